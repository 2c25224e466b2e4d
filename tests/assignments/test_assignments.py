"""Every assignment in assignments/*/ is gradable, and its hidden tests tell right from wrong.

Through the grading engine's CLI: the reference solution earns every auto-graded point, the released
notebook earns none, and each mutant loses exactly the grade ids in its expect.json. Without the engine:
the layout and metadata follow the contract in assignments/README.md, each mutant differs from the source
only inside solution regions and passes every visible test. The ``slow`` tests (``make test-slow``)
grade each reference under 20 seeds and check that the generated data change with the seed.
"""

from __future__ import annotations

import tomllib

import nbformat
import pytest

from tests.assignments import hwharness as hw
from tests.assignments import hwnotebooks

SLOW_SEEDS = list(range(1, 21))
COURSE_KEYS = {"title", "release_session", "requires_gpu", "late_policy", "late_percent"}
LIMIT_KEYS = {"cell_timeout_s", "total_timeout_s", "memory_mb"}


def _lost_points(assignment: hw.Assignment, result: hw.GradeResult) -> dict[hw.CellKey, float]:
    missing = set(assignment.auto_cells) - set(result.cells)
    assert not missing, f"the engine did not report {sorted(missing)}"
    lost = {}
    for key in assignment.auto_cells:
        cell = result.cells[key]
        assert cell.score is not None, f"{key} is auto-graded but has no score ({cell.status})"
        lost[key] = cell.max_score - cell.score
    return lost


def test_layout_and_limits(assignment: hw.Assignment) -> None:
    assert (assignment.root / "README.md").is_file(), "every assignment has a README.md"
    config = tomllib.loads((assignment.source / "assignment.toml").read_text())
    assert COURSE_KEYS <= set(config["course"]), f"[course] needs {sorted(COURSE_KEYS)}"
    assert isinstance(config["course"]["release_session"], int)
    assert LIMIT_KEYS <= set(config["limits"]), f"[limits] needs {sorted(LIMIT_KEYS)}"
    assert 0 < config["limits"]["cell_timeout_s"] <= config["limits"]["total_timeout_s"]
    assert 0 < config["limits"]["memory_mb"] <= 2048
    assert len(assignment.mutants) >= 3, "at least three mutants"


def test_source_notebooks_follow_nbgrader_format(assignment: hw.Assignment) -> None:
    grade_ids: list[str] = []
    for stem, nb in assignment.notebooks.items():
        nbformat.validate(nb)
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader")
            if not meta:
                continue
            assert meta.get("schema_version") == 3, f"{stem}: nbgrader schema_version 3"
            grade_ids.append(meta["grade_id"])
            if meta.get("solution") and cell.cell_type == "code":
                assert hwnotebooks.BEGIN_SOLUTION in cell.source and hwnotebooks.END_SOLUTION in cell.source
            if meta.get("grade"):
                assert float(meta["points"]) > 0, f"{meta['grade_id']} has points"
    assert len(grade_ids) == len(set(grade_ids)), "grade ids are unique"
    sources = "\n".join(c.source for nb in assignment.notebooks.values() for c in nb.cells)
    assert hwnotebooks.BEGIN_HIDDEN in sources, "hidden tests decide"
    assert 'os.environ.get("GRADER_SEED"' in sources, "locked data cells read the seed from GRADER_SEED"
    assert assignment.auto_cells, "at least one auto-graded test cell"


def test_expect_files_name_auto_graded_cells(assignment: hw.Assignment) -> None:
    for mutant in assignment.mutants:
        assert mutant.fails, f"{mutant.name} must lose at least one grade id"
        assignment.resolve(mutant.fails)
        assert list((mutant.path).glob("*.ipynb")), f"{mutant.name} holds a notebook"


def test_one_mutant_games_equality(assignment: hw.Assignment) -> None:
    gaming = [m.name for m in assignment.mutants if m.games_equality]
    assert gaming, "one mutant returns an object whose __eq__ is always true"


def test_mutant_changes_only_solution_regions(mutant_case: tuple[hw.Assignment, hw.MutantSpec]) -> None:
    assignment, mutant = mutant_case
    for stem, source_nb in assignment.notebooks.items():
        submitted = nbformat.read(mutant.path / f"{stem}.ipynb", as_version=4)
        assert hwnotebooks.solution_region_diff(source_nb, submitted) == []


@pytest.mark.slow  # a Jupyter kernel for every mutant of every assignment: a sweep, run by `make test-slow`
def test_mutant_passes_visible_tests(
    mutant_case: tuple[hw.Assignment, hw.MutantSpec], visible_runs: hw.GradingSession
) -> None:
    assignment, mutant = mutant_case
    for stem in assignment.notebooks:
        failures = {
            gid: err
            for gid, err in visible_runs.visible(
                mutant.path / f"{stem}.ipynb", data=assignment.source
            ).items()
            if err
        }
        assert failures == {}, f"{mutant.name} fails visible tests"


def test_reference_scores_full_marks(assignment: hw.Assignment, grading: hw.GradingSession) -> None:
    result = grading.grade(assignment, assignment.source)
    assert result.error is None
    lost = {key: points for key, points in _lost_points(assignment, result).items() if points}
    assert lost == {}, "the reference solution loses no auto-graded point"
    # the source is graded as the submission, so its test cells (hidden parts included) read as edited; what must
    # never appear is a tamper signal from the tester or a verdict from the notebook process
    tamper = [f for f in result.flags if "test cell" in f or "verdict" in f]
    assert tamper == [], "the reference raises no tamper flag"
    for key, points in assignment.auto_cells.items():
        assert result.cells[key].max_score == points


def test_release_removes_solutions_and_hidden_tests(
    assignment: hw.Assignment, grading: hw.GradingSession
) -> None:
    released = grading.released(assignment)
    for stem, source_nb in assignment.notebooks.items():
        student = nbformat.read(released / f"{stem}.ipynb", as_version=4)
        text = "\n".join(cell.source for cell in student.cells)
        for marker in (hwnotebooks.BEGIN_SOLUTION, hwnotebooks.BEGIN_HIDDEN, hwnotebooks.END_HIDDEN):
            assert marker not in text
        assert len(student.cells) == len(source_nb.cells)


def test_release_ships_the_data_files(assignment: hw.Assignment, grading: hw.GradingSession) -> None:
    released = grading.released(assignment)
    for path in assignment.data_files:
        rel = path.relative_to(assignment.source)
        assert (released / rel).read_bytes() == path.read_bytes(), f"{rel} ships with the release"


def test_released_notebook_scores_zero(assignment: hw.Assignment, grading: hw.GradingSession) -> None:
    result = grading.grade(assignment, grading.released(assignment))
    assert result.error is None
    scored = {key: result.cells[key].score for key in assignment.auto_cells if result.cells[key].score}
    assert scored == {}, "no auto-graded test passes without a solution"


def test_mutant_loses_exactly_expected_points(
    graded_mutant: tuple[hw.Assignment, hw.MutantSpec], grading: hw.GradingSession
) -> None:
    assignment, mutant = graded_mutant
    result = grading.grade(assignment, mutant.path)
    assert result.error is None
    expected = assignment.resolve(mutant.fails)
    lost = _lost_points(assignment, result)
    assert {key for key, points in lost.items() if points} == expected
    for key in expected:
        assert result.cells[key].score == 0, f"{key} loses all its points"


@pytest.mark.slow
def test_reference_passes_under_many_seeds(assignment: hw.Assignment, grading: hw.GradingSession) -> None:
    failures = {}
    for seed in SLOW_SEEDS:
        result = grading.grade(assignment, assignment.source, seed=seed)
        lost = {key: points for key, points in _lost_points(assignment, result).items() if points}
        if lost or result.error:
            failures[seed] = (result.error, lost)
    assert failures == {}, "the reference must pass under every seed"


@pytest.mark.slow
def test_generated_data_differ_between_seeds(assignment: hw.Assignment) -> None:
    for stem, nb in assignment.notebooks.items():
        if not any("GRADER_SEED" in cell.source for cell in nb.cells):
            continue
        prints = hwnotebooks.data_fingerprints(nb, SLOW_SEEDS, cwd=assignment.source)
        assert all(count > 0 for _, count in prints.values()), f"{stem}: the data cells create arrays"
        digests = [digest for digest, _ in prints.values()]
        assert len(set(digests)) == len(SLOW_SEEDS), f"{stem}: every seed generates different data"
        again = hwnotebooks.data_fingerprints(nb, SLOW_SEEDS[:2], cwd=assignment.source)
        assert [again[s][0] for s in SLOW_SEEDS[:2]] == [prints[s][0] for s in SLOW_SEEDS[:2]], (
            "same seed, same data"
        )
