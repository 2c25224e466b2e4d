"""Fixtures for the assignment tests: one parameter per assignment and per mutant, and a grading session.

Assignments are found by globbing ``assignments/*/source/``, so new homework is picked up without edits
here. The ``grading`` fixture caches every engine call for the whole session: each submission (source,
released notebook, mutant) is graded once, however many tests read its result, and all of an assignment's
submissions are graded together in one warm sandbox (``python -m graders autograde-batch``).
"""

from __future__ import annotations

import pytest

from tests.assignments import hwharness as hw
from tests.conftest import skip_or_fail

ASSIGNMENTS = hw.discover()
MUTANT_CASES = [(a, m) for a in ASSIGNMENTS for m in a.mutants]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "assignment" in metafunc.fixturenames:
        metafunc.parametrize("assignment", ASSIGNMENTS, ids=[a.id for a in ASSIGNMENTS])
    if "mutant_case" in metafunc.fixturenames:
        metafunc.parametrize("mutant_case", MUTANT_CASES, ids=[f"{a.id}/{m.name}" for a, m in MUTANT_CASES])


@pytest.hookimpl(tryfirst=True)  # before xdist turns the xdist_group marks into node ids
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under ``pytest -n N --dist loadgroup`` the engine-graded tests of one assignment share a test process,
    so its submissions are graded in one warm batch there, not once per process."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is None or "grading" not in getattr(item, "fixturenames", ()):
            continue
        case = callspec.params.get("assignment") or callspec.params.get("mutant_case", (None,))[0]
        if isinstance(case, hw.Assignment):
            item.add_marker(pytest.mark.xdist_group(f"assignment-{case.id}"))


@pytest.fixture(scope="session")
def grading(tmp_path_factory: pytest.TempPathFactory) -> hw.GradingSession:
    """The engine-backed session; skips (fails under CI=true) while the engine's CLI is missing."""
    if hw.BACKEND == "engine" and not hw.engine_available():
        skip_or_fail("the grading engine (python -m graders) is not in this checkout yet")
    return hw.GradingSession(tmp_path_factory.mktemp("grading"))


@pytest.fixture(scope="session")
def visible_runs(tmp_path_factory: pytest.TempPathFactory) -> hw.GradingSession:
    """Runs submissions as a student would; needs no engine."""
    return hw.GradingSession(tmp_path_factory.mktemp("visible"))
