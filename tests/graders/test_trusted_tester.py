"""The verdict comes from a process that never runs student code (issue 16, "one root cause, one design").

Each case of `tests/graders/attacks/trusted.py` answers wrongly and attacks the harness from the notebook
process: speaking for the harness with its key, patching numpy with code that looks like numpy's, writing into
the tamper snapshot, rebinding a name of the locked setup cell, reading the test's source through its frame,
forging a result from a called function, a trace function that jumps over the assert, finalizers and at-fork
hooks calling harness code, lying objects, classes that claim to be numpy's, confusing containers. Every one
must score 0 on every test it attacks, and no hidden text may reach what the student sees, even encoded. Each
case forged a pass or leaked on the engine before the trusted tester (checked against main of 2026-12-07).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from pathlib import Path

import pytest

from graders import autograde
from graders.engine import Pool

from .attacks import trusted
from .attacks.notebooks import Assignment, student_notebook, write_assignment, write_submission
from .conftest import code_cell
from .conftest import write_assignment as write_cells


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_assignment(trusted.ASSIGNMENT, root=tmp_path_factory.mktemp("trusted") / "src")


@pytest.fixture(scope="module")
def lib_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_assignment(trusted.LIB_ASSIGNMENT, root=tmp_path_factory.mktemp("trusted_lib") / "src")


def _grade(
    case: trusted.TrustedCase,
    source: Path,
    pool: Pool,
    tmp_path: Path,
    assignment: Assignment = trusted.ASSIGNMENT,
):
    stem = assignment.name
    nb = student_notebook(assignment.notebooks[stem], answers={"answers": case.answers})
    folder = write_submission(tmp_path / case.name, notebooks={stem: nb})
    return autograde(source, folder, pool=pool)


def _student_visible_text(result) -> str:
    """Everything a student sees: cell messages, tracebacks and the feedback notebooks."""
    parts = []
    for nb in result.notebooks.values():
        parts.append(json.dumps(nb.feedback_notebook))
        for cell in nb.cells.values():
            parts.append(str(cell.message or ""))
            parts.append(str(getattr(cell, "traceback", "") or ""))
    return "\n".join(parts)


def _decoded(text: str) -> str:
    """The text plus every base64 run in it, decoded (a leak may be encoded)."""
    found = [text]
    for run in re.findall(r"[A-Za-z0-9+/=]{16,}", text):
        try:
            found.append(base64.b64decode(run + "=" * (-len(run) % 4)).decode("utf-8", "replace"))
        except (binascii.Error, ValueError):
            continue
    return "\n".join(found)


@pytest.mark.parametrize("case", trusted.CASES, ids=lambda c: c.name)
def test_attack_gets_nothing(
    case: trusted.TrustedCase, source: Path, light_pool: Pool, tmp_path: Path
) -> None:
    _check(case, _grade(case, source, light_pool, tmp_path), trusted.ASSIGNMENT)


@pytest.mark.parametrize("case", trusted.LIB_CASES, ids=lambda c: c.name)
def test_library_object_attack_gets_nothing(
    case: trusted.TrustedCase, lib_source: Path, pool: Pool, tmp_path: Path
) -> None:
    """Objects that confuse a proxy or claim to be torch's, and hw1's rebinding of a locked cell's class."""
    _check(case, _grade(case, lib_source, pool, tmp_path, trusted.LIB_ASSIGNMENT), trusted.LIB_ASSIGNMENT)


def _check(case: trusted.TrustedCase, result, assignment: Assignment) -> None:
    cells = result.notebooks[assignment.name].cells
    why = {gid: (c.score, c.status, c.message) for gid, c in cells.items()}
    if case.honest:
        assert result.score == assignment.max_score(), why
        assert result.flags == (), result.flags
        return
    zero = list(cells) if "*" in case.zero else case.zero
    for grade_id in zero:
        assert cells[grade_id].score == 0.0, f"{case.name}: {grade_id} scored {why}"
    if "*" in case.zero:
        assert result.score == 0.0, why
    visible = _decoded(_student_visible_text(result))
    assert trusted.MARK not in visible, f"{case.name}: hidden test text reached the student"


def test_the_verdict_is_not_on_the_notebook_channel(source: Path, light_pool: Pool, tmp_path: Path) -> None:
    """The forged verdicts of the stack walk are seen and flagged for staff, never counted."""
    case = next(c for c in trusted.CASES if c.name == "stack_walk_forge")
    result = _grade(case, source, light_pool, tmp_path)
    assert result.score == 0.0
    assert any("verdict from the notebook process" in flag for flag in result.flags), result.flags


def test_many_tests_fit_the_total_time_limit(light_pool: Pool, tmp_path: Path) -> None:
    """The host goes on as soon as it has read a test's end: twelve quick tests fit a 30 s total limit (the host
    once waited its full 10 s bound after every test, and the last tests of longer notebooks timed out)."""
    cells = [code_cell("import numpy as np\n", gid="setup", locked=True)]
    cells += [
        code_cell(f"assert np.sum(np.arange({n})) == {n * (n - 1) // 2}\n", gid=f"t{n}", grade=True, points=1)
        for n in range(12)
    ]
    source = write_cells(
        tmp_path / "src", cells, toml="[limits]\ncell_timeout_s = 10\ntotal_timeout_s = 30\n"
    )
    result = autograde(source, source, pool=light_pool)
    cells_result = result.notebooks["hw"].cells
    assert result.score == 12.0, {gid: (c.status, c.message) for gid, c in cells_result.items()}
