"""Feedback teaches: a failed or errored test shows its exception and the traceback lines of its visible part and
of the student's own code, and never a line, message or value of a hidden part (unless the instructor opts a
hidden assertion's message in with ``# feedback: show message``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graders import autograde, release
from graders.engine import Pool
from graders.results import AutogradeResult

from .conftest import code_cell, write_assignment

HIDDEN_SECRETS = ("SECRET_MESSAGE", "secret_value_91", "7777", "HIDDEN_CALL", "-4242", "15554")


def build(root: Path) -> Path:
    cells = [
        code_cell("import math\n", gid="setup", locked=True),
        code_cell(
            "def knn(x):\n    ### BEGIN SOLUTION\n    return x * 2\n    ### END SOLUTION\n",
            gid="sol",
            solution=True,
        ),
        code_cell(  # the visible part raises when the student's function is still the stub
            "assert knn(1) == 2\n"
            "### BEGIN HIDDEN TESTS\n"
            "secret_value_91 = 7777\n"
            'assert knn(secret_value_91) == 15554, f"SECRET_MESSAGE {secret_value_91}"\n'
            "### END HIDDEN TESTS\n",
            gid="t_hidden_plain",
            grade=True,
            points=2,
        ),
        code_cell(  # an instructor's opt-in: the hidden assertion's message reaches the student
            "assert knn(2) == 4\n"
            "### BEGIN HIDDEN TESTS\n"
            'assert knn(5) == 10, "knn must double every input"  # feedback: show message\n'
            "### END HIDDEN TESTS\n",
            gid="t_hidden_optin",
            grade=True,
            points=1,
        ),
        code_cell(  # the student's function raises with a hidden argument in its message
            "assert knn(3) == 6\n### BEGIN HIDDEN TESTS\nHIDDEN_CALL = knn(-4242)\n### END HIDDEN TESTS\n",
            gid="t_hidden_student_raises",
            grade=True,
            points=1,
        ),
        code_cell(  # no hidden part: everything may be shown
            "value = knn(4)\nassert value == 8, f'knn(4) returned {value}'\n",
            gid="t_visible",
            grade=True,
            points=1,
        ),
    ]
    return write_assignment(root / "src" / "tb", cells, stem="tb")


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("tb"))


def submit(source: Path, tmp_path: Path, knn_body: str | None) -> Path:
    """The released notebook, with the solution cell replaced by ``knn_body`` (None: the unchanged stub)."""
    release(source, tmp_path / "rel")
    nb = json.loads((tmp_path / "rel" / "tb.ipynb").read_text())
    if knn_body is not None:
        for cell in nb["cells"]:
            if cell["metadata"].get("nbgrader", {}).get("grade_id") == "sol":
                cell["source"] = knn_body
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "tb.ipynb").write_text(json.dumps(nb))
    return sub


def traceback_of(result: AutogradeResult, gid: str) -> str:
    return "\n".join(result.notebooks["tb"].cells[gid].traceback)


def feedback_text(result: AutogradeResult) -> str:
    return json.dumps(result.notebooks["tb"].feedback_notebook)


def test_a_visible_test_that_raises_shows_the_exception_and_the_students_line(
    source: Path, light_pool: Pool, tmp_path: Path
) -> None:
    result = autograde(source, submit(source, tmp_path, None), pool=light_pool)
    cell = result.notebooks["tb"].cells["t_hidden_plain"]
    assert cell.status == "error" and cell.score == 0.0
    assert "NotImplementedError" in cell.message
    text = traceback_of(result, "t_hidden_plain")
    assert "assert knn(1) == 2" in text  # the visible line of the test
    assert "raise NotImplementedError()" in text  # the student's own line
    assert "in knn" in text
    assert text.splitlines()[-1].startswith("NotImplementedError")
    fb = result.notebooks["tb"].feedback_notebook
    test_cell = next(
        c for c in fb["cells"] if c["metadata"].get("grader") and "t_hidden_plain" in json.dumps(c)
    )
    errors = [o for o in test_cell["outputs"] if o["output_type"] == "error"]
    assert errors and errors[0]["ename"] == "NotImplementedError"
    assert "raise NotImplementedError()" in "\n".join(errors[0]["traceback"])
    everything = feedback_text(result) + json.dumps(result.to_json())
    for secret in HIDDEN_SECRETS:
        assert secret not in everything


def test_hidden_failures_show_no_hidden_line_message_or_value(
    source: Path, light_pool: Pool, tmp_path: Path
) -> None:
    body = (
        "def knn(x):\n"
        "    if x < 0:\n"
        "        raise ValueError(f'cannot handle {x}')\n"
        "    return x * 2 if x < 5 else 0\n"
    )
    result = autograde(source, submit(source, tmp_path, body), pool=light_pool)
    cells = result.notebooks["tb"].cells
    assert cells["t_visible"].status == "passed"
    plain = cells["t_hidden_plain"]
    assert plain.status == "failed" and plain.score == 0.0
    assert "AssertionError" in traceback_of(result, "t_hidden_plain")
    assert "hidden" in traceback_of(result, "t_hidden_plain")
    raises = traceback_of(result, "t_hidden_student_raises")
    assert cells["t_hidden_student_raises"].status == "error"
    assert "ValueError" in raises and "cannot handle" not in raises
    optin = traceback_of(result, "t_hidden_optin")
    assert "AssertionError: knn must double every input" in optin
    assert "knn(5)" not in optin  # the opted-in message, never the hidden line itself
    assert "knn must double every input" in cells["t_hidden_optin"].message
    everything = feedback_text(result) + json.dumps(result.to_json())
    for secret in HIDDEN_SECRETS:
        assert secret not in everything
    assert "cannot handle" not in json.dumps(result.to_json())  # (the student's own cell shows it, once)


def test_a_message_that_carries_hidden_source_is_withheld(
    source: Path, light_pool: Pool, tmp_path: Path
) -> None:
    """Student code called from a visible line reads the test's source through its caller's frame."""
    body = (
        "import inspect, linecache\n"
        "def knn(x):\n"
        "    caller = inspect.currentframe().f_back\n"
        "    text = ''.join(linecache.getlines(caller.f_code.co_filename))\n"
        "    raise RuntimeError(text)\n"
    )
    result = autograde(source, submit(source, tmp_path, body), pool=light_pool)
    assert result.notebooks["tb"].cells["t_hidden_plain"].status == "error"
    assert "RuntimeError" in traceback_of(result, "t_hidden_plain")
    everything = feedback_text(result) + json.dumps(result.to_json())
    for secret in HIDDEN_SECRETS:
        assert secret not in everything


def test_a_test_without_hidden_parts_shows_its_message(
    source: Path, light_pool: Pool, tmp_path: Path
) -> None:
    body = "def knn(x):\n    return x * 2 if x < 4 else -1\n"
    result = autograde(source, submit(source, tmp_path, body), pool=light_pool)
    text = traceback_of(result, "t_visible")
    assert "assert value == 8, f'knn(4) returned {value}'" in text
    assert text.splitlines()[-1] == "AssertionError: knn(4) returned -1"
