"""The release manifest's accessors (graders/release.py): what the site reads about an assignment's cells.

The site stores these per notebook (`Assignment.notebooks`) and derives nothing from the notebooks itself, so the
accessors carry the engine's rule for cell kinds: a grade cell is a test, a graded answer (grade and solution) or
a task is graded by hand, a plain solution or a locked cell has no points of its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graders.check import manifest_read
from graders.release import release
from tests.graders.conftest import code_cell, write_assignment


def _task(gid: str, points: float) -> dict[str, Any]:
    meta = {
        "grade": False,
        "solution": False,
        "locked": True,
        "task": True,
        "points": points,
        "grade_id": gid,
    }
    return {
        "cell_type": "markdown",
        "metadata": {"nbgrader": {**meta, "schema_version": 3}},
        "source": "Explain.",
    }


CELLS = [
    code_cell("import math\n", gid="setup", locked=True),
    code_cell(
        "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n", gid="f", solution=True
    ),
    code_cell("assert f() == 1\n", gid="test-f", grade=True, points=2),
    code_cell("# YOUR ANSWER\n", gid="answer", grade=True, solution=True, points=3),
    code_cell(
        "assert True\n### BEGIN HIDDEN TESTS\nassert f()\n### END HIDDEN TESTS\n",
        gid="test-hidden",
        grade=True,
        points=1.5,
    ),
    _task("task-plot", 4),
]


def test_the_manifest_says_which_cells_are_tests_which_are_manual_and_their_points(tmp_path: Path) -> None:
    manifest = release(write_assignment(tmp_path / "source", CELLS), tmp_path / "release")
    assert manifest.grade_ids("hw") == ["setup", "f", "test-f", "answer", "test-hidden", "task-plot"]
    assert manifest.test_cells("hw") == ["test-f", "test-hidden"]
    assert manifest.manual_cells("hw") == ["answer", "task-plot"]
    assert manifest.points("hw") == {"test-f": 2.0, "answer": 3.0, "test-hidden": 1.5, "task-plot": 4.0}
    assert sum(manifest.points("hw").values()) == manifest.max_score


def test_the_manifest_read_back_from_the_release_answers_the_same(tmp_path: Path) -> None:
    written = release(write_assignment(tmp_path / "source", CELLS), tmp_path / "release")
    read = manifest_read(tmp_path / "release")
    for stem in ("hw", "unknown"):
        assert read.grade_ids(stem) == written.grade_ids(stem)
        assert read.test_cells(stem) == written.test_cells(stem)
        assert read.manual_cells(stem) == written.manual_cells(stem)
        assert read.points(stem) == written.points(stem)
    assert read.grade_ids("unknown") == [] and read.points("unknown") == {}
