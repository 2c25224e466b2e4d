"""End to end in Chromium with a real Celery worker: upload, live status to graded, feedback safety, gradebook.

* A student uploads a notebook on the assignment page and watches the status turn to graded in the same document
  (no reload, no navigation), then sees the per-test results.
* A feedback notebook full of scripts, event handlers, SVG scripts and javascript: links runs nothing in the site's
  origin, while its PNG plot and HTML table render inside the sandboxed frame.
* A TA opens the gradebook, sees the histogram plot and downloads the CSV.
"""

# ruff: noqa: F811  (the homework fixtures are imported by name, then requested as arguments)
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from courseweb.homework import storage
from courseweb.homework.models import GradingJob
from courseweb.homework.services import grading
from courseweb.homework.services.submissions import submission_create
from tests.courseweb.homework.conftest import (  # noqa: F401
    hw_media,
    offering,
    pair,
    released,
    sessions,
    solo,
    synced,
    ta,
    tiny,
)
from tests.courseweb.homework.notebooks import ANSWERS_HALF, student_notebook, to_bytes
from tests.courseweb.homework.test_feedback import evil_notebook
from tests.e2e.conftest import axe_violations, login
from tests.factories import PASSWORD
from tests.workers import celery_worker

pytestmark = pytest.mark.django_db(transaction=True)


def test_student_uploads_and_watches_the_status_turn_to_graded(
    page, live_server, tiny, released, pair, hw_media, tmp_path
):
    student = pair[0]
    notebook = tmp_path / "tiny.ipynb"
    notebook.write_bytes(to_bytes(student_notebook(released, ANSWERS_HALF)))
    with celery_worker(queues="default,grading,gpu", concurrency=1, extra_env={"MEDIA_ROOT": str(hw_media)}):
        login(page, live_server, student.username, PASSWORD)
        page.goto(f"{live_server.url}/homework/tiny/")
        assert axe_violations(page) == []
        page.get_by_label("Your notebook (.ipynb)").set_input_files(str(notebook))
        page.get_by_role("button", name="Upload and grade").click()
        page.wait_for_url("**/homework/submissions/*/")
        page.evaluate("window.__sameDocument = 'yes'")
        status = page.locator("#grading-status")
        assert status.get_attribute("data-state") in ("queued", "running", "graded")
        page.wait_for_selector("#grading-status[data-state=graded]", timeout=240_000)
    assert page.evaluate("window.__sameDocument") == "yes"  # updated in place: no reload, no navigation
    assert "Score: 2 / 5" in status.inner_text()
    rows = page.locator("tr.test-row")
    assert rows.count() == 3
    assert "passed" in page.locator("tr.test-row", has_text="test_means").inner_text()
    assert "failed" in page.locator("tr.test-row", has_text="test_scale").inner_text()
    assert "np.eye(3)" not in page.content()
    feedback = page.locator(".feedback-notebook").first  # inline in the page, no frame
    feedback.locator("section.fb-cell").first.wait_for()
    assert "np.eye(3)" not in feedback.inner_text()


@pytest.fixture
def evil_job(tiny, released, solo):
    job = submission_create(user=solo, assignment=tiny, filename="tiny.ipynb", data=to_bytes(released)).job
    claim = grading.job_claim(job_id=job.pk, worker="e2e")
    folder = f"feedback/{job.pk}/1"
    storage.file_write(name=f"{folder}/tiny.ipynb", data=json.dumps(evil_notebook()).encode())
    outcome = {
        "score": 0.0, "max_score": 5.0, "needs_manual": True, "flags": [],
        "cells": {"tiny": {"test_means": {"status": "failed", "score": 0, "max_score": 2, "message": ""}}},
        "feedback_dir": folder,
    }  # fmt: skip
    assert grading.job_complete(job_id=job.pk, token=claim.token, outcome=outcome)
    return GradingJob.objects.get(pk=job.pk)


def test_feedback_outputs_run_nothing_in_the_site_origin(page, live_server, evil_job, solo):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, live_server, solo.username, PASSWORD)
    page.goto(f"{live_server.url}/homework/submissions/{evil_job.submission_id}/")
    frame = page.locator(".feedback-notebook")  # inline in the page, no frame
    frame.locator("table").wait_for()
    assert frame.locator("td", has_text="0.42").count() == 1  # the HTML table renders
    assert axe_violations(page) == []
    png = frame.locator('img[src^="data:image/png"]')
    assert png.evaluate("img => img.complete && img.naturalWidth > 0")  # the PNG plot renders
    frame.locator("a", has_text="click").click()  # the javascript: link was neutralised
    page.wait_for_timeout(500)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.evaluate("document.cookie.length >= 0")
    # Opened directly, the document is still sandboxed by its own CSP.
    page.goto(f"{live_server.url}/homework/jobs/{evil_job.pk}/feedback/tiny/")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.evaluate("window.origin") == "null"  # CSP sandbox: an opaque origin, not the site's
    assert not [e for e in errors if "__pwned" in e]


def test_ta_sees_the_gradebook_plot_and_downloads_the_csv(page, live_server, evil_job, ta):
    login(page, live_server, ta.username, PASSWORD)
    page.goto(f"{live_server.url}/gradebook/")
    plot = page.get_by_role("img", name="Histogram of Tiny homework scores")
    plot.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => [...document.images].some(i => i.alt.includes('Tiny homework') && i.complete && i.naturalWidth > 0)"
    )
    assert axe_violations(page) == []
    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV for Canvas").click()
    download = info.value
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert rows[0][0] == "Student" and "Tiny homework (tiny)" in rows[0]
