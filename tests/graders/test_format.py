"""graders.format agrees with nbgrader 0.9.6's own preprocessors on arbitrary cell sources (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nbformat.v4 import new_code_cell, new_markdown_cell
from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions
from nbgrader.utils import compute_checksum as nbgrader_checksum

from graders import format as fmt

LINES = st.sampled_from(
    [
        "### BEGIN SOLUTION", "### END SOLUTION", "    ### BEGIN SOLUTION", "# BEGIN SOLUTION  ", "### END SOLUTION\r",
        "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS", "assert f(1) == 2", "    return x + 1", "def f(x):",
        "print('ünïcødé ✓')", "", "\r", "x = 1  # END", "\tindented = True",
    ]
)  # fmt: skip
SOURCES = st.lists(st.one_of(LINES, st.text(max_size=20)), max_size=12).map("\n".join)


def _nbgrader_solution(source: str, cell_type: str) -> tuple[str, bool] | None:
    cell = new_code_cell(source) if cell_type == "code" else new_markdown_cell(source)
    try:
        found = ClearSolutions()._replace_solution_region(cell, "python")
    except RuntimeError:
        return None
    return cell.source, found


def _nbgrader_hidden(source: str) -> tuple[str, bool] | None:
    cell = new_code_cell(source)
    try:
        found = ClearHiddenTests()._remove_hidden_test_region(cell)
    except RuntimeError:
        return None
    return cell.source, found


@settings(max_examples=250, deadline=None)
@given(source=SOURCES, cell_type=st.sampled_from(["code", "markdown"]))
def test_solution_regions_match_nbgrader(source: str, cell_type: str) -> None:
    expected = _nbgrader_solution(source, cell_type)
    cell = {"cell_type": cell_type, "metadata": {}, "source": source}
    if expected is None:
        with pytest.raises(fmt.FormatError):
            fmt.replace_solution_regions(cell, where=0)
    else:
        assert fmt.replace_solution_regions(cell, where=0) == expected


@settings(max_examples=250, deadline=None)
@given(source=SOURCES)
def test_hidden_regions_match_nbgrader(source: str) -> None:
    expected = _nbgrader_hidden(source)
    if expected is None:
        with pytest.raises(fmt.FormatError):
            fmt.remove_hidden_regions(source, where=0)
    else:
        assert fmt.remove_hidden_regions(source, where=0) == expected


@settings(max_examples=200, deadline=None)
@given(
    source=st.text(max_size=40),
    grade=st.booleans(),
    solution=st.booleans(),
    locked=st.booleans(),
    points=st.sampled_from([0, 0.5, 1, 3]),
    cell_type=st.sampled_from(["code", "markdown"]),
)
def test_checksum_matches_nbgrader(
    source: str, grade: bool, solution: bool, locked: bool, points: float, cell_type: str
) -> None:
    meta = {"grade": grade, "solution": solution, "locked": locked, "grade_id": "q1", "points": points}
    ours = {"cell_type": cell_type, "metadata": {"nbgrader": dict(meta)}, "source": source}
    theirs = new_code_cell(source) if cell_type == "code" else new_markdown_cell(source)
    theirs.metadata["nbgrader"] = dict(meta)
    assert fmt.compute_checksum(ours) == nbgrader_checksum(theirs)


def test_not_json_and_not_a_notebook_are_format_errors() -> None:
    with pytest.raises(fmt.FormatError, match="not JSON"):
        fmt.parse_notebook(b"\x00\xff{", name="x.ipynb")
    with pytest.raises(fmt.FormatError, match="nbformat 4"):
        fmt.parse_notebook(b'{"cells": [], "nbformat": 3}', name="x.ipynb")
