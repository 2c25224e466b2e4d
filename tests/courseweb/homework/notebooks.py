"""The tiny test assignments (numpy only) and helpers that turn a released notebook into student submissions.

`python -m tests.courseweb.homework.notebooks` rewrites the fixture sources under fixtures/ from the cells below.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TINY = FIXTURES / "tiny"
OTHER = FIXTURES / "other"


def _cell(kind: str, source: str, *, gid: str | None = None, **flags: Any) -> dict[str, Any]:
    cell: dict[str, Any] = {
        "cell_type": kind,
        "id": gid or "cell-" + hashlib.md5(source.encode()).hexdigest()[:8],
        "metadata": {},
        "source": source,
    }
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    if gid is not None:
        cell["metadata"]["nbgrader"] = {
            "grade": flags.get("grade", False),
            "grade_id": gid,
            "locked": flags.get("locked", False),
            "points": flags.get("points", 0),
            "schema_version": 3,
            "solution": flags.get("solution", False),
            "task": False,
        }
    return cell


def _notebook(cells: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


TINY_CELLS = [
    _cell("markdown", "# Tiny homework\nColumn means and scaling with numpy.", gid="intro", locked=True),
    _cell("code", "import numpy as np", gid="setup", locked=True),
    _cell(
        "code",
        "def column_means(x):\n    ### BEGIN SOLUTION\n    return np.asarray(x, dtype=float).mean(axis=0)\n"
        "    ### END SOLUTION",
        gid="means",
        solution=True,
    ),
    _cell(
        "code",
        "assert np.allclose(column_means([[1, 2], [3, 4]]), [2, 3]), 'column_means([[1, 2], [3, 4]]) is wrong'\n"
        "### BEGIN HIDDEN TESTS\nassert np.allclose(column_means(np.eye(3)), [1 / 3] * 3)\n### END HIDDEN TESTS",
        gid="test_means",
        grade=True,
        points=2,
    ),
    _cell(
        "code",
        "def scale(x, k):\n    ### BEGIN SOLUTION\n    return k * np.asarray(x, dtype=float)\n    ### END SOLUTION",
        gid="scale",
        solution=True,
    ),
    _cell(
        "code",
        "### BEGIN HIDDEN TESTS\nassert np.allclose(scale([1, 2], 3), [3, 6])\n### END HIDDEN TESTS",
        gid="test_scale",
        grade=True,
        points=1,
    ),
    _cell(
        "markdown",
        "Explain in one sentence why the mean is sensitive to outliers.\n\n### BEGIN SOLUTION\n"
        "Because every value enters with the same weight.\n### END SOLUTION",
        gid="explain",
        solution=True,
        grade=True,
        points=2,
    ),
]

OTHER_CELLS = [
    _cell("code", "import numpy as np", gid="other_setup", locked=True),
    _cell(
        "code",
        "def norm(x):\n    ### BEGIN SOLUTION\n    return float(np.linalg.norm(x))\n    ### END SOLUTION",
        gid="norm",
        solution=True,
    ),
    _cell("code", "assert abs(norm([3, 4]) - 5) < 1e-9", gid="test_norm", grade=True, points=1),
]

TINY_TOML = """[course]
title = "Tiny homework"
release_session = 1
late_policy = "percent_per_day"
late_percent = 10
cutoff_days = 7
requires_gpu = false

[limits]
cell_timeout_s = 25
total_timeout_s = 90
"""

OTHER_TOML = """[course]
title = "Other homework"
release_session = 2
late_policy = "zero"
"""


def build_fixtures() -> None:
    for folder, stem, cells, toml in (
        (TINY, "tiny", TINY_CELLS, TINY_TOML),
        (OTHER, "other", OTHER_CELLS, OTHER_TOML),
    ):
        src = folder / "source"
        src.mkdir(parents=True, exist_ok=True)
        (src / f"{stem}.ipynb").write_text(json.dumps(_notebook(cells), indent=1) + "\n", encoding="utf-8")
        (src / "assignment.toml").write_text(toml, encoding="utf-8")


ANSWERS_RIGHT = {
    "means": "def column_means(x):\n    return np.asarray(x, dtype=float).mean(axis=0)",
    "scale": "def scale(x, k):\n    return k * np.asarray(x, dtype=float)",
    "explain": "Each observation has equal weight, so one extreme value moves the mean a lot.",
}
ANSWERS_HALF = {
    "means": "def column_means(x):\n    return np.asarray(x, dtype=float).mean(axis=0)",
    "scale": "def scale(x, k):\n    return np.asarray(x, dtype=float) + k",
}


def student_notebook(
    released: dict[str, Any], answers: dict[str, str], *, extra: str = "", extra_at: str | None = None
) -> dict[str, Any]:
    """The released notebook with the given solution cells filled in; `extra` is appended to the answer of
    `extra_at` (default: the first answered cell)."""
    nb = copy.deepcopy(released)
    target = extra_at or next(
        (
            c["metadata"]["nbgrader"]["grade_id"]
            for c in nb["cells"]
            if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") in answers
        ),
        None,
    )
    for cell in nb["cells"]:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell["source"] = answers[gid] + (f"\n{extra}" if extra and gid == target else "")
    return nb


def to_bytes(nb: dict[str, Any]) -> bytes:
    return json.dumps(nb, indent=1).encode("utf-8")


if __name__ == "__main__":
    build_fixtures()
