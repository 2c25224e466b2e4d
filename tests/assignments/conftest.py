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


def _group(a: hw.Assignment) -> pytest.MarkDecorator:
    """Under ``pytest -n N --dist loadgroup`` an assignment's tests share a test process, so its submissions are
    graded in one warm batch there, not once per process. The mark goes on the parameter itself: it is then on the
    item from its creation, before any collection hook (xdist's own included) reads the marks."""
    return pytest.mark.xdist_group(f"assignment-{a.id}")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "assignment" in metafunc.fixturenames:
        metafunc.parametrize("assignment", [pytest.param(a, id=a.id, marks=_group(a)) for a in ASSIGNMENTS])
    if "mutant_case" in metafunc.fixturenames:
        metafunc.parametrize(
            "mutant_case",
            [pytest.param((a, m), id=f"{a.id}/{m.name}", marks=_group(a)) for a, m in MUTANT_CASES],
        )
    if "graded_mutant" in metafunc.fixturenames:
        # `make test` grades the mutant that games equality (the forged pass a grader must never give); grading
        # every other mutant of every assignment is a sweep of about a hundred notebooks: `make test-slow`.
        metafunc.parametrize(
            "graded_mutant",
            [
                pytest.param(
                    (a, m),
                    id=f"{a.id}/{m.name}",
                    marks=[_group(a)] if m.games_equality else [_group(a), pytest.mark.slow],
                )
                for a, m in MUTANT_CASES
            ],
        )


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
