"""JupyterLab's Submit button and "Submit to the course" command, against the real hub: the server extension
(`course_hub.serverext`, `POST /course/submit` and `GET /course/submissions/<id>` of the student's server, reached
through the proxy) hands the opened notebook in with the server's own token and reports its state, never showing
that token; a notebook without course metadata gets a clear 400; and the built lab extension
(`course_hub/labextension`, `bin/build-labextension`) is installed in the course environment and served to the
student's JupyterLab.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from courseweb.courses.models import Role
from courseweb.homework.models import Submission
from courseweb.hub.services import hub_open_create, hub_open_perform
from tests.factories import EnrollmentFactory, UserFactory

LAB_EXTENSION = "course-hub-submit"
EMPTY_NOTEBOOK = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _raw(hub_stack, name: str, method: str, path: str, body: dict | None = None) -> tuple[int, str]:
    """A request to the user's server through the proxy; the status and the body exactly as sent."""
    request = urllib.request.Request(
        f"{hub_stack.url}/user/{name}{path}",
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Authorization": f"token {hub_stack.token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=180) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.mark.workers
@pytest.mark.django_db(transaction=True)
def test_the_server_extension_hands_the_open_notebook_in_and_reports_its_state(
    site_for_hub, hub_stack, assignment
):
    student = UserFactory()
    EnrollmentFactory(user=student, offering=assignment.offering, role=Role.STUDENT)
    row = hub_open_create(user=student, assignment=assignment)
    assert hub_open_perform(open_id=row.pk) == "done"
    name = f"u{student.pk}"
    token = hub_stack.run_code(name, "import os; print(os.environ['COURSE_API_TOKEN'])").strip()
    assert len(token) > 20, token

    status, text = _raw(hub_stack, name, "POST", "/course/submit", {"path": "hubhw/hubhw.ipynb"})

    assert status == 201, text
    sub = json.loads(text)
    submission = Submission.objects.get(assignment=assignment, submitted_by=student)
    assert submission.via == "api" and submission.stem == "hubhw" and sub["id"] == submission.pk
    assert sub["url"] == f"{site_for_hub}/homework/submissions/{submission.pk}/"
    assert sub["state"] in ("queued", "graded"), sub

    status, polled = _raw(hub_stack, name, "GET", f"/course/submissions/{submission.pk}")
    assert status == 200, polled
    assert json.loads(polled)["state"] in ("queued", "graded") and json.loads(polled)["id"] == submission.pk
    assert token not in text and token not in polled

    # the same file again: the site's duplicate, not a second submission
    status, again = _raw(hub_stack, name, "POST", "/course/submit", {"path": "/hubhw/hubhw.ipynb"})
    assert status == 200 and json.loads(again)["duplicate"] is True, again
    assert Submission.objects.filter(assignment=assignment, submitted_by=student).count() == 1

    # a notebook without course metadata, a missing file, an unknown submission: clear JSON errors
    status, _ = hub_stack.server_request(
        name,
        "PUT",
        "/api/contents/scratch.ipynb",
        {"type": "notebook", "format": "json", "content": EMPTY_NOTEBOOK},
    )
    assert status == 201
    status, text = _raw(hub_stack, name, "POST", "/course/submit", {"path": "scratch.ipynb"})
    assert status == 400, text
    assert json.loads(text)["message"].startswith("scratch.ipynb has no course metadata: open the homework")
    status, text = _raw(hub_stack, name, "POST", "/course/submit", {"path": "../../etc/passwd"})
    assert status == 404 and "was not found" in json.loads(text)["message"], text
    status, text = _raw(hub_stack, name, "GET", "/course/submissions/999999999")
    assert status == 404, text
    assert (
        json.loads(text)["message"] == "The site refused the status request (HTTP 404): No such submission."
    )
    assert token not in text

    # and the student's JupyterLab loads the Submit button's extension from the course environment
    status, page = _raw(hub_stack, name, "GET", "/lab")
    assert status == 200
    config = json.loads(
        page.split('id="jupyter-config-data"', 1)[1].split(">", 1)[1].split("</script>", 1)[0]
    )
    extension = next(e for e in config["federated_extensions"] if e["name"] == LAB_EXTENSION)
    status, _ = _raw(hub_stack, name, "GET", f"/lab/extensions/{LAB_EXTENSION}/{extension['load']}")
    assert status == 200


def test_the_lab_extension_is_installed_in_the_course_environment():
    listed = subprocess.run(
        [str(Path(sys.prefix) / "bin" / "jupyter"), "labextension", "list"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    line = next((line for line in (listed.stdout + listed.stderr).splitlines() if LAB_EXTENSION in line), "")
    assert "enabled" in line and "OK" in line, (
        f"{LAB_EXTENSION} is not installed: run bin/build-labextension\n{listed.stdout}{listed.stderr}"
    )
