"""The site's Content-Security-Policy, enforced in Chromium (no bypass): the pages a student and a TA use load with
zero policy violations, htmx works without eval (the sign-up board keeps polling), and KaTeX math renders."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.e2e.conftest import RECORD_CSP_VIOLATIONS, csp_violations
from tests.factories import PASSWORD, EnrollmentFactory, OfferingFactory, SessionFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def course():
    from courseweb.notes.scribing import notes_demo_load
    from courseweb.signups.staff import sheets_create_standard

    now = timezone.now()
    offering = OfferingFactory()
    for n in (1, 2, 3):
        start = now - dt.timedelta(days=1) + dt.timedelta(weeks=n - 1)
        SessionFactory(offering=offering, number=n, starts_at=start, ends_at=start + dt.timedelta(hours=2))
    student, ta = UserFactory(username="csp-student"), UserFactory(username="csp-ta")
    EnrollmentFactory(user=student, offering=offering, role="student")
    EnrollmentFactory(user=ta, offering=offering, role="ta")
    sheets = sheets_create_standard(
        offering=offering,
        staff=None,
        opens_at=now - dt.timedelta(days=1),
        closes_at=now + dt.timedelta(days=7),
    )
    notes_demo_load(offering=offering)
    return {"offering": offering, "student": student, "ta": ta, "sheet": sheets[0]}


@pytest.fixture
def strict_page(page):
    """The shared Chromium page, recording every CSP violation report from the first script on."""
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    return page


def _login(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username or e-mail address").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("networkidle")


def _violations_on(page, url: str) -> list[str]:
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    response = page.goto(url)
    assert response is not None and response.status < 400, (url, response and response.status)
    page.wait_for_load_state("networkidle")
    return csp_violations(page) + console


def test_pages_load_with_no_csp_violations_and_htmx_polls_without_eval(course, strict_page, live_server):
    page = strict_page
    _login(page, live_server, course["student"].username)
    found = {}
    for path in ("/", "/schedule/", "/schedule/1/", "/homework/", "/groups/", "/signups/", "/notes/"):
        found[path] = _violations_on(page, f"{live_server.url}{path}")
    sheet_url = f"{live_server.url}/signups/{course['sheet'].pk}/"
    with page.expect_request(lambda r: f"/signups/{course['sheet'].pk}/board/" in r.url, timeout=20_000):
        found["sheet"] = _violations_on(page, sheet_url)
    assert page.evaluate("() => typeof htmx !== 'undefined' && htmx.config.allowEval === false")
    # a published note renders its math with KaTeX's inline styles, which the policy allows
    page.goto(f"{live_server.url}/notes/")
    found["notes page"] = csp_violations(page)
    page.context.clear_cookies()
    _login(page, live_server, course["ta"].username)
    for path in ("/staff/status/", "/signups/manage/", "/accounts/roster/", "/admin/login/"):
        found[path] = _violations_on(page, f"{live_server.url}{path}")
    assert {k: v for k, v in found.items() if v} == {}
    # the detector works: an injected inline script is refused, and reported
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1';"
        " document.head.appendChild(s); }"
    )
    page.wait_for_function("() => window.__cspViolations.length > 0")
    assert page.evaluate("() => window.__ran === undefined")
