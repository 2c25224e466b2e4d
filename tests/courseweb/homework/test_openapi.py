"""The homework API's OpenAPI description: it covers every API URL, and schemathesis fuzzes the API against it
in process (WSGI) with a real student's token, a released assignment and a stored submission: no request ends in
a 500, and every answer matches its documented status, content type and schema."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from hypothesis import HealthCheck, given, settings

from courseweb.homework.openapi import api_schema
from courseweb.homework.services.submissions import submission_create
from courseweb.homework.services.tokens import api_token_create
from tests.courseweb.homework.notebooks import ANSWERS_RIGHT, student_notebook, to_bytes


def _routes(resolver: URLResolver, prefix: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for p in resolver.url_patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            out += _routes(p, route)
        elif isinstance(p, URLPattern):
            out.append((route, p.name or ""))
    return out


def _openapi_path(route: str) -> str:
    """A Django route (`homework/api/submissions/<int:pk>/`) as an OpenAPI path template."""
    import re

    return "/" + re.sub(
        r"<(?:\w+:)?(\w+)>", lambda m: "{id}" if m.group(1) == "pk" else "{" + m.group(1) + "}", route
    )


def test_every_api_url_is_described():
    api = [r for r in _routes(get_resolver()) if r[0].startswith("homework/api/")]
    assert len(api) >= 4
    described = set(api_schema()["paths"])
    missing = [route for route, _ in api if _openapi_path(route) not in described]
    assert missing == [], f"add these API URLs to courseweb/homework/openapi.py: {missing}"


def test_the_description_is_served_to_anyone(client):
    response = client.get(reverse("homework:api_openapi"))
    assert response.status_code == 200 and response.json()["openapi"].startswith("3.")


@pytest.fixture
def fuzz_target(solo, tiny, released):
    """The site as a WSGI app and one stored submission of the student's.

    Like Django's test client, the app must not close the test's database connection at the end of each
    request (the test's data lives in that connection's transaction)."""
    submission_create(
        user=solo,
        assignment=tiny,
        filename="tiny.ipynb",
        data=to_bytes(student_notebook(released, ANSWERS_RIGHT)),
    )
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi(reverse("homework:api_openapi"), get_wsgi_application())
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


@pytest.fixture
def token(solo):
    return api_token_create(user=solo, name="fuzz").secret


def _fuzz(operation, token: str, seen: dict[str, set[int]]) -> None:
    """Run schemathesis's strategy for one operation: every answer below 500 and as described."""
    auth = {"Authorization": f"Bearer {token}"}

    @given(case=operation.as_strategy())
    @settings(
        max_examples=30,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case) -> None:
        response = case.call(headers=auth)
        seen.setdefault(operation.label, set()).add(response.status_code)
        assert response.status_code < 500, (case.method, case.formatted_path, response.status_code)
        # every check, including the probes that resend without and with a wrong token (401 expected)
        case.validate_response(response, headers=auth)

    fuzz()


def test_the_api_never_answers_500_and_matches_its_description(fuzz_target, token):
    """Each documented operation, fuzzed by schemathesis's strategies (schemathesis's own pytest plugin does not
    run under pytest 9 yet, so hypothesis drives the strategies here)."""
    operations = [result.ok() for result in fuzz_target.get_all_operations()]
    assert {op.label for op in operations} >= {
        "GET /homework/api/assignments/",
        "POST /homework/api/assignments/{key}/submissions/",
        "GET /homework/api/submissions/{id}/",
    }
    seen: dict[str, set[int]] = {}
    for operation in operations:
        _fuzz(operation, token, seen)
    # the fuzz reached past the token check: some answers were the documented successes
    assert 200 in seen["GET /homework/api/assignments/"], seen


def test_an_unknown_api_url_answers_json_and_a_page_answers_html(client):
    api = client.get("/homework/api/assignments/no%20such%20key/submissions/")
    assert api.status_code == 404 and api["Content-Type"] == "application/json" and "error" in api.json()
    page = client.get("/zz-no-such-page/at/all/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
