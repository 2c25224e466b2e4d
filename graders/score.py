"""nbgrader's scoring rules, applied to the engine's own record of each test (never to cell outputs).

* a test (grade cell that is not a solution): 0 if it raised, timed out, ended the process or wrote to
  stderr; partial credit if its final expression was a plain number (as the harness evaluated it);
  otherwise full points;
* a graded answer (solution + grade cell): 0 if unchanged from the release, else needs manual grading;
* task cells and graded markdown: needs manual grading.
"""

from __future__ import annotations

from collections.abc import Callable

from graders import format as fmt
from graders.plan import NotebookPlan, PlanCell, SourceNotebook
from graders.protocol import NotebookRun
from graders.results import CellResult
from graders.tracebacks import CellSource, visible_error

MSG_UNCHANGED = "no answer: the cell is unchanged from the released notebook"
MSG_MANUAL = "needs manual grading"
MSG_NOT_SUBMITTED = "the notebook was not submitted"
MSG_BROKEN = "the notebook could not be read"
MSG_TIMEOUT = "the test did not finish within the time limit"
MSG_TOTAL_TIMEOUT = "the submission hit its total time limit before this test ran"
MSG_NOT_RUN = "the test did not run (the notebook stopped earlier)"
MSG_DIED = "the test ended the process early"
MSG_EXITED = "the test tried to exit (sys.exit or similar): no points"
MSG_STDERR = "the test wrote to stderr"
MSG_TAMPERED = "library code was changed while the test ran: no points"
MSG_FORGED = "the test result could not be trusted: no points"
MSG_HIDDEN_PASSED = "hidden tests passed"
MSG_HIDDEN_FAILED = "hidden tests failed"


def _graded(pc: PlanCell) -> bool:
    sc = pc.source_cell
    return sc is not None and (sc.grade or sc.task)


def score_missing(source: SourceNotebook, *, message: str) -> dict[str, CellResult]:
    return {
        sc.grade_id: CellResult(score=0.0, max_score=sc.points, status="failed", message=message)
        for sc in source.cells
        if sc.grade or sc.task
    }


def _cell_sources(plan: NotebookPlan) -> Callable[[int], CellSource | None]:
    """How a traceback names and quotes a cell that ran in the notebook process (``<cell-N>``)."""
    by_index = {pc.index: pc for pc in plan.cells}

    def lookup(index: int) -> CellSource | None:
        pc = by_index.get(index)
        if pc is None:
            return None
        if pc.kind == "test" and pc.source_cell is not None:  # replayed in the notebook: its visible part
            return CellSource(f"Test cell {pc.grade_id} (visible part)", pc.source_cell.release_source)
        owner = "Cell" if pc.kind == "locked" else "Your cell"
        name = f"{owner} {index + 1}" + (f" ({pc.grade_id})" if pc.grade_id else "")
        return CellSource(name, fmt.cell_source(pc.cell))

    return lookup


def score_test(
    pc: PlanCell, run: NotebookRun, *, cells: Callable[[int], CellSource | None] | None = None
) -> CellResult:
    sc = pc.source_cell
    assert sc is not None
    maximum = sc.points
    hidden = sc.has_hidden
    if pc.index in run.timeouts:
        return CellResult(score=0.0, max_score=maximum, status="timeout", message=MSG_TIMEOUT)
    record = run.tests.get(pc.index)
    if record is None and run.total_timeout:
        return CellResult(score=0.0, max_score=maximum, status="timeout", message=MSG_TOTAL_TIMEOUT)
    if record is None:
        return CellResult(score=0.0, max_score=maximum, status="error", message=MSG_NOT_RUN)
    outcome = record.get("outcome")
    if outcome == "forged":
        return CellResult(score=0.0, max_score=maximum, status="error", message=MSG_FORGED)
    if outcome == "died":
        return CellResult(score=0.0, max_score=maximum, status="error", message=MSG_DIED)
    if outcome == "exited":
        return CellResult(score=0.0, max_score=maximum, status="error", message=MSG_EXITED)
    if outcome == "tampered":
        return CellResult(score=0.0, max_score=maximum, status="failed", message=MSG_TAMPERED)
    if outcome in ("failed", "error"):
        shown = visible_error(
            record=record,
            index=pc.index,
            grade_id=sc.grade_id,
            full_source=sc.full_source,
            release_source=sc.release_source,
            cell_source=cells or (lambda index: None),
        )
        if shown is not None:
            return CellResult(
                score=0.0, max_score=maximum, status=outcome, message=shown.summary, traceback=shown.traceback
            )
        detail = MSG_HIDDEN_FAILED if hidden else str(record.get("message") or outcome)
        return CellResult(score=0.0, max_score=maximum, status=outcome, message=detail)
    if outcome != "passed":
        return CellResult(score=0.0, max_score=maximum, status="error", message=MSG_FORGED)
    if record.get("stderr"):
        return CellResult(
            score=0.0, max_score=maximum, status="failed", message=MSG_HIDDEN_FAILED if hidden else MSG_STDERR
        )
    partial = record.get("partial")
    numeric = isinstance(partial, int | float) and not isinstance(partial, bool) and partial == partial
    if numeric and isinstance(partial, int | float) and 0.0 <= partial < maximum:
        return CellResult(
            score=float(partial),
            max_score=maximum,
            status="failed",
            message=f"partial credit: {partial:g} of {maximum:g}",
        )
    # nbgrader: negative -> full credit; above the maximum nbgrader errors out, we cap at the maximum
    return CellResult(
        score=maximum, max_score=maximum, status="passed", message=MSG_HIDDEN_PASSED if hidden else ""
    )


def score_notebook(
    plan: NotebookPlan, run: NotebookRun | None, *, source: SourceNotebook
) -> dict[str, CellResult]:
    if plan.missing:
        return score_missing(source, message=MSG_NOT_SUBMITTED)
    if plan.error:
        return score_missing(source, message=MSG_BROKEN)
    results: dict[str, CellResult] = {}
    for pc in plan.cells:
        sc = pc.source_cell
        if not _graded(pc) or sc is None or pc.grade_id is None:
            continue
        if sc.task:
            results[pc.grade_id] = CellResult(
                score=None, max_score=sc.points, status="needs_manual", message=MSG_MANUAL
            )
        elif sc.solution:
            if pc.unchanged:
                results[pc.grade_id] = CellResult(
                    score=0.0, max_score=sc.points, status="failed", message=MSG_UNCHANGED
                )
            else:
                results[pc.grade_id] = CellResult(
                    score=None, max_score=sc.points, status="needs_manual", message=MSG_MANUAL
                )
        elif pc.kind == "test":
            results[pc.grade_id] = score_test(
                pc, run if run is not None else NotebookRun(), cells=_cell_sources(plan)
            )
        else:
            results[pc.grade_id] = CellResult(
                score=None, max_score=sc.points, status="needs_manual", message=MSG_MANUAL
            )
    return results


def totals(cells: dict[str, CellResult]) -> tuple[float, float, bool]:
    score = sum(c.score for c in cells.values() if c.score is not None)
    maximum = sum(c.max_score for c in cells.values())
    return float(score), float(maximum), any(c.score is None for c in cells.values())
