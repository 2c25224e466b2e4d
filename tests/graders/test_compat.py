"""The engine reproduces nbgrader 0.9.6 on nbgrader's own example assignment (ps1), cell by cell."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from graders import autograde, release
from graders.engine import Pool

from .conftest import REPO


def test_release_matches_nbgrader_release_cell_by_cell(compat: Path, tmp_path: Path) -> None:
    manifest = release(compat / "source" / "ps1", tmp_path / "ps1")
    assert manifest.max_score == 13.0
    for stem in ("problem1", "problem2"):
        ours = json.loads((tmp_path / "ps1" / f"{stem}.ipynb").read_text())
        theirs = json.loads((compat / "release" / "ps1" / f"{stem}.ipynb").read_text())
        graded = [c for c in theirs["cells"] if "nbgrader" in c["metadata"]]
        mine = [c for c in ours["cells"] if "nbgrader" in c["metadata"]]
        assert [c["metadata"]["nbgrader"]["grade_id"] for c in mine] == [
            c["metadata"]["nbgrader"]["grade_id"] for c in graded
        ]
        for a, b in zip(mine, graded, strict=True):
            assert a["source"] == "".join(b["source"])
            assert a["metadata"]["nbgrader"]["checksum"] == b["metadata"]["nbgrader"]["checksum"]
    assert (tmp_path / "ps1" / "jupyter.png").is_file()


@pytest.mark.parametrize("student", ["bitdiddle", "hacker"])
def test_autograde_reproduces_expected_scores(compat: Path, pool: Pool, student: str) -> None:
    expected = json.loads((compat / "EXPECTED.json").read_text())
    want = expected["students"][student]
    result = autograde(compat / "source" / "ps1", compat / "submitted" / student / "ps1", pool=pool)
    assert result.error is None
    assert result.max_score == expected["max_score"] == 13.0
    assert result.score == want["auto_total"]
    assert result.needs_manual is want["needs_manual_grade"]
    got = {
        f"{stem}/{gid}": cell.score for stem, nb in result.notebooks.items() for gid, cell in nb.cells.items()
    }
    assert got == want["cells"]
    payload = result.to_json()
    assert payload["notebooks"]["problem1"]["cells"]["squares_invalid_input"]["status"] == "passed"
    assert result.sandbox.startswith("bwrap")
    tamper = [f for f in result.flags if "test cell" in f or "verdict" in f]
    assert tamper == [], "nbgrader's own example raises no tamper flag"


def test_unchanged_release_scores_zero_and_feedback_has_no_hidden_source(
    compat: Path, pool: Pool, tmp_path: Path
) -> None:
    release(compat / "source" / "ps1", tmp_path / "ps1")
    result = autograde(compat / "source" / "ps1", tmp_path / "ps1", pool=pool)
    assert result.score == 0.0
    cells = result.notebooks["problem1"].cells
    assert cells["sum_of_squares_application"].status == "failed"
    assert cells["correct_squares"].score == 0.0
    fb = result.notebooks["problem1"].feedback_notebook
    assert fb["nbformat"] == 4
    graded = [c for c in fb["cells"] if "grader" in c["metadata"]]
    assert {c["metadata"]["grader"]["status"] for c in graded} >= {"failed", "needs_manual"}


def test_cli_batch_prints_one_json_line_per_student(compat: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "graders", "autograde-batch", str(compat / "source" / "ps1"),
         str(compat / "submitted"), "--workers", "2", "--json"],
        cwd=REPO, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert {line["student"]: line["score"] for line in lines} == {"bitdiddle": 1.5, "hacker": 3.0}
    assert all(line["max_score"] == 13.0 and line["sandbox"].startswith("bwrap") for line in lines)
