"""Feedback rendering: student HTML, JavaScript and SVG become inert; PNG plots and HTML tables remain."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
from django.urls import reverse

from courseweb.homework import storage
from courseweb.homework.feedback import clean_html, render_feedback
from courseweb.homework.services import grading
from courseweb.homework.services.submissions import submission_create
from tests.courseweb.homework.notebooks import to_bytes

PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e221bc330000000049454e44ae426082"
    )
).decode()
EVIL_HTML = (
    "<script>window.top.__pwned = 1</script>"
    '<img src="x" onerror="window.top.__pwned = 2">'
    '<a href="javascript:window.top.__pwned = 3">click</a>'
    '<svg onload="window.top.__pwned = 4"><script>window.top.__pwned = 5</script></svg>'
    '<iframe src="https://evil.example"></iframe><style>body{display:none}</style>'
    "<table><thead><tr><th>model</th><th>rmse</th></tr></thead><tbody><tr><td>ols</td><td>0.42</td></tr></tbody></table>"
)
EVIL_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg"><script>window.top.__pwned = 6</script><circle r="4"/></svg>'
)


def evil_notebook() -> dict:
    """A feedback notebook whose outputs try every trick, plus a real PNG plot and an HTML table."""
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {"cell_type": "markdown", "id": "m", "metadata": {},
             "source": "# Notes <script>window.top.__pwned = 7</script> [x](javascript:alert(1))"},
            {"cell_type": "code", "id": "c", "metadata": {"nbgrader": {"grade_id": "means", "solution": True}},
             "source": "display(HTML(evil))", "execution_count": 1, "outputs": [
                 {"output_type": "display_data", "metadata": {}, "data": {"text/html": EVIL_HTML}},
                 {"output_type": "display_data", "metadata": {}, "data": {"image/svg+xml": EVIL_SVG}},
                 {"output_type": "display_data", "metadata": {}, "data": {"image/png": PNG, "text/plain": "<Figure>"}},
                 {"output_type": "stream", "name": "stdout", "text": "<b>not bold</b>\n"},
             ]},
            {"cell_type": "code", "id": "t", "metadata": {"nbgrader": {"grade_id": "test_means", "grade": True}},
             "source": "assert ok\n### BEGIN HIDDEN TESTS\nassert secret_check()\n### END HIDDEN TESTS",
             "execution_count": 2, "outputs": [{"output_type": "error", "ename": "AssertionError",
                                                 "evalue": "secret_check", "traceback": ["secret_check()"]}]},
        ],
    }  # fmt: skip


RELEASED = {
    "cells": [
        {"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "test_means"}}, "source": "assert ok"}
    ]
}


def test_rendered_feedback_is_inert_but_keeps_plots_and_tables():
    html = render_feedback(
        notebook=evil_notebook(),
        released=RELEASED,
        results={"test_means": {"status": "failed", "score": 0, "max_score": 2, "message": "failed"}},
        test_ids={"test_means"},
    )
    lowered = html.lower()
    assert "<script" not in lowered and "onerror" not in lowered and "onload" not in lowered
    assert not re.search(r"(href|src)\s*=\s*[\"']?\s*javascript:", lowered)
    assert "<iframe" not in lowered and "<svg" not in lowered and "display:none" not in lowered
    assert f'src="data:image/png;base64,{PNG}"' in html
    assert "<table>" in html and "<td>0.42</td>" in html
    assert 'src="data:image/svg+xml;base64,' in html  # SVG only as an image, which never runs scripts
    assert "&lt;b&gt;not bold&lt;/b&gt;" in html
    assert "secret_check" not in html  # hidden tests and their outputs never reach the student
    assert "Test failed" in html


def test_clean_html_drops_data_urls_that_are_not_images():
    out = clean_html('<img src="data:text/html;base64,PHNjcmlwdD4="><a href="data:text/html,x">x</a>')
    assert "data:text/html" not in out


@pytest.fixture
def graded_job(tiny, released, solo):
    """A job completed with the evil feedback notebook stored where the worker stores it."""
    job = submission_create(user=solo, assignment=tiny, filename="tiny.ipynb", data=to_bytes(released)).job
    claim = grading.job_claim(job_id=job.pk, worker="test")
    folder = storage.homework_root() / "feedback" / str(job.pk) / "1"
    folder.mkdir(parents=True)
    (folder / "tiny.ipynb").write_text(json.dumps(evil_notebook()))
    grading.job_complete(
        job_id=job.pk,
        token=claim.token,
        outcome={
            "score": 0.0, "max_score": 5.0, "needs_manual": True, "flags": [],
            "cells": {"tiny": {"test_means": {"status": "failed", "score": 0, "max_score": 2, "message": ""}}},
            "feedback_dir": storage.relative(folder),
        },
    )  # fmt: skip
    job.refresh_from_db()
    return job


def test_feedback_response_has_a_strict_sandboxing_csp(client, graded_job, solo):
    client.force_login(solo)
    response = client.get(reverse("homework:feedback", args=[graded_job.pk, "tiny"]))
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "img-src data:" in csp and re.search(r"\bsandbox\b", csp)
    assert "script-src" not in csp  # scripts fall back to default-src 'none'
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    page = client.get(reverse("homework:submission", args=[graded_job.submission_id])).content.decode()
    frame = re.search(r"<iframe[^>]*>", page).group(0)
    assert " sandbox " in frame and "allow-scripts" not in frame and "allow-same-origin" not in frame


def test_feedback_of_another_group_is_forbidden(client, graded_job, pair):
    client.force_login(pair[0])
    assert client.get(reverse("homework:feedback", args=[graded_job.pk, "tiny"])).status_code == 403


def test_released_notebook_download(client, tiny, solo):
    client.force_login(solo)
    response = client.get(reverse("homework:download", args=["tiny", "tiny"]))
    body = b"".join(response.streaming_content)
    assert response.status_code == 200 and b"HIDDEN" not in body
    assert json.loads(body) == json.loads((Path(tiny.release_dir) / "tiny.ipynb").read_text())
