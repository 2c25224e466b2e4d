"""Homework reads: assignment lists with each student's status, submission history, job status, feedback."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from django.core.files import File
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.safestring import mark_safe

from courseweb.homework import feedback, storage
from courseweb.homework.engine import engine_notebook_parse, engine_released_notebook
from courseweb.homework.models import (
    Assignment,
    Deliverable,
    GradingJob,
    ManualGrade,
    RubricCriterion,
    Submission,
)


@dataclass(frozen=True)
class TestRow:
    grade_id: str
    status: str
    score: float | None
    max_score: float | None
    message: str
    manual: bool
    comment: str = ""  # the staff's comment on a manually graded cell
    graded_by_staff: bool = False


@dataclass(frozen=True)
class JobStatus:
    job: GradingJob
    state: str
    is_final: bool
    phase: str
    percent: int
    label: str
    tests: list[TestRow]
    score: float | None
    max_score: float | None
    events: list[dict[str, Any]]
    grade: Any = None  # the pipeline's ItemGrade of this submission (pending points, late penalty)


def assignment_list(*, offering: Any, user: Any, include_unreleased: bool) -> list[dict[str, Any]]:
    """Assignments with the user's latest submission and its latest job (a fixed number of queries)."""
    qs = Assignment.objects.filter(offering=offering).select_related("item").order_by("item__due_at", "key")
    if not include_unreleased:
        now = timezone.now()
        qs = [a for a in qs if a.item.released_at is None or a.item.released_at <= now]
    latest: dict[int, Submission] = {}
    subs = (
        Submission.objects.filter(assignment__offering=offering, memberships__user_id=user.pk)
        .prefetch_related(Prefetch("jobs", queryset=GradingJob.objects.order_by("-created_at", "-id")))
        .order_by("-submitted_at", "-id")
    )
    for sub in subs:
        latest.setdefault(sub.assignment_id, sub)
    rows = []
    for a in qs:
        sub = latest.get(a.pk)
        job = sub.jobs.all()[0] if sub and sub.jobs.all() else None
        rows.append({"assignment": a, "submission": sub, "job": job})
    return rows


HANDIN_KINDS = ("project", "replication")


def handin_items(*, offering: Any, include_unreleased: bool) -> list[Any]:
    """Project and replication items handed in on their item page (files and links), by due time, undated last."""
    from courseweb.courses.models import CourseworkItem

    items = CourseworkItem.objects.filter(offering=offering, kind__in=HANDIN_KINDS, assignment__isnull=True)
    now = timezone.now()
    out = [i for i in items if include_unreleased or i.released_at is None or i.released_at <= now]
    return sorted(out, key=lambda i: (i.due_at is None, i.due_at or now, i.title))


def submission_history(*, assignment: Assignment, user: Any) -> QuerySet[Submission]:
    return (
        Submission.objects.filter(assignment=assignment, memberships__user_id=user.pk)
        .select_related("submitted_by")
        .prefetch_related(Prefetch("jobs", queryset=GradingJob.objects.order_by("-created_at", "-id")))
        .order_by("-submitted_at", "-id")
    )


def submissions_for_staff(*, assignment: Assignment) -> QuerySet[Submission]:
    return (
        Submission.objects.filter(assignment=assignment)
        .select_related("submitted_by", "group")
        .prefetch_related(
            Prefetch("jobs", queryset=GradingJob.objects.order_by("-created_at", "-id")), "members"
        )
        .order_by("-submitted_at", "-id")
    )


def job_latest(*, submission: Submission) -> GradingJob | None:
    return submission.jobs.order_by("-created_at", "-id").first()


def _percent(job: GradingJob) -> tuple[str, int, str]:
    progress = job.progress or {}
    phase = str(progress.get("phase") or job.state)
    if job.is_final:
        return phase, 100, job.get_state_display()
    if job.state == "queued":
        return "queued", 0, "Waiting for a grader"
    count = progress.get("cell_count") or 0
    index = progress.get("cell_index")
    if count and isinstance(index, int):
        pct = max(5, min(95, int(100 * (index + 1) / count)))
        return phase, pct, f"Running cell {index + 1} of {count}"
    label = str(progress.get("message") or phase or "Running").strip()
    return phase, 5, label[:80].capitalize()


def job_status(*, job: GradingJob, assignment: Assignment) -> JobStatus:
    """What the status fragment shows: state, progress, and per-test rows once graded."""
    phase, pct, label = _percent(job)
    tests: list[TestRow] = []
    if job.state == "graded":
        manual_grades = {m.grade_id: m for m in ManualGrade.objects.filter(submission_id=job.submission_id)}
        manual_scores = {gid: m.points for gid, m in manual_grades.items()}
        for stem, cells in (job.cells or {}).items():
            summary = assignment.notebooks.get(stem, {})
            manual = set(summary.get("manual", []))
            order = summary.get("grade_ids", list(cells))
            for gid in sorted(cells, key=lambda g: order.index(g) if g in order else len(order)):
                cell = cells[gid]
                is_manual = gid in manual
                score = manual_scores.get(gid, cell.get("score")) if is_manual else cell.get("score")
                tests.append(
                    TestRow(
                        grade_id=gid,
                        status="graded by staff"
                        if is_manual and gid in manual_scores
                        else str(cell.get("status")),
                        score=score,
                        max_score=cell.get("max_score"),
                        message=str(cell.get("message") or ""),
                        manual=is_manual,
                        comment=manual_grades[gid].comment if is_manual and gid in manual_grades else "",
                        graded_by_staff=is_manual and gid in manual_grades,
                    )
                )
    grade = None
    score = job.score
    if job.state == "graded":
        from courseweb.gradebook.grades import submission_grade

        grade = submission_grade(submission=job.submission)
        score = grade.score
    return JobStatus(
        job=job,
        state=job.state,
        is_final=job.is_final,
        phase=phase,
        percent=pct,
        label=label,
        tests=tests,
        score=score,
        max_score=job.max_score,
        events=list(job.events or []),
        grade=grade,
    )


def job_timeline(*, job: GradingJob) -> list[dict[str, Any]]:
    """The job's phase events with aware datetimes (templates show them in Hong Kong time)."""
    out = []
    for event in job.events or []:
        try:
            at = datetime.fromisoformat(str(event.get("at")))
        except ValueError:
            at = None
        out.append({**event, "at": at})
    return out


def staff_jobs(*, submission: Submission) -> list[tuple[GradingJob, list[dict[str, Any]]]]:
    return [(job, job_timeline(job=job)) for job in submission.jobs.order_by("-created_at", "-id")]


def released_notebook_path(*, assignment: Assignment, stem: str) -> Path | None:
    if stem not in assignment.notebooks:
        return None
    path = Path(assignment.release_dir) / f"{stem}.ipynb"
    return path if path.is_file() else None


def _released(assignment: Assignment, stem: str) -> dict[str, Any] | None:
    if released_notebook_path(assignment=assignment, stem=stem) is None:
        return None
    return engine_released_notebook(release_dir=Path(assignment.release_dir), stem=stem)


def _load_stored(name: str) -> dict[str, Any] | None:
    data = storage.file_read(name)
    return engine_notebook_parse(data=data, name=PurePosixPath(name).name) if data is not None else None


def _feedback_inputs(*, job: GradingJob, stem: str) -> dict[str, Any] | None:
    assignment = job.submission.assignment
    if not job.feedback_dir or stem not in assignment.notebooks:
        return None
    notebook = _load_stored(f"{job.feedback_dir}/{stem}.ipynb")
    if notebook is None:
        return None
    return {
        "notebook": notebook,
        "released": _released(assignment, stem),
        "results": (job.cells or {}).get(stem, {}),
        "test_ids": set(assignment.notebooks[stem].get("tests", [])),
    }


def feedback_document(*, job: GradingJob, stem: str) -> str | None:
    """The inert HTML feedback for one notebook of a graded job, or None if there is none."""
    inputs = _feedback_inputs(job=job, stem=stem)
    return feedback.render_feedback(**inputs) if inputs is not None else None


def feedback_fragments(*, job: GradingJob) -> list[tuple[str, str]]:
    """(stem, inert HTML fragment) of each notebook's feedback, shown inline in the submission page."""
    out = []
    for stem in job.submission.assignment.notebooks:
        inputs = _feedback_inputs(job=job, stem=stem)
        if inputs is not None:
            fragment = feedback.render_feedback_fragment(**inputs, stem=stem)
            out.append((stem, mark_safe(fragment)))  # noqa: S308 - cleaned by nh3, math from KaTeX (feedback.py)
    return out


def item_deliverables(*, item: Any, group_id: int | None, user: Any) -> QuerySet[Deliverable]:
    qs = Deliverable.objects.filter(item=item).select_related("submitted_by")
    return qs.filter(group_id=group_id) if group_id else qs.filter(group__isnull=True, submitted_by=user)


def item_rubric(*, item: Any) -> list[RubricCriterion]:
    return list(RubricCriterion.objects.filter(item=item))


def local(dt: datetime | None) -> datetime | None:
    return timezone.localtime(dt) if dt else None


# --- solutions shared with the class (services/sharing.py writes) -----------------------------------------


@dataclass(frozen=True)
class SharingState:
    """What the assignment page shows about shared solutions, for one user."""

    enabled: bool  # staff turned sharing on
    open: bool  # on, and every owner's cut-off has passed: solutions may be published and read
    last_cutoff: datetime | None
    solutions: list[Any]  # the published solutions anyone enrolled may read (empty unless open)
    own: Any = None  # the user's group's published solution, if any


def sharing_state(*, assignment: Assignment, user: Any, now: datetime | None = None) -> SharingState:
    """Sharing on the assignment page: whether it is open, the solutions shown, the user's own (fixed queries)."""
    from courseweb.homework.models import SharedSolution
    from courseweb.homework.services.sharing import sharing_open, solution_owner

    is_open, cutoff = sharing_open(assignment=assignment, at=now or timezone.now())
    if not is_open:
        return SharingState(enabled=assignment.sharing_enabled, open=False, last_cutoff=cutoff, solutions=[])
    solutions = list(
        SharedSolution.objects.filter(assignment=assignment, withdrawn_at__isnull=True)
        .select_related("group", "user", "submission")
        .order_by("published_at", "id")
    )
    owner = solution_owner(user=user, assignment=assignment)
    own = next(
        (
            s
            for s in solutions
            if (owner["group_id"] and s.group_id == owner["group_id"])
            or (not owner["group_id"] and s.group_id is None and s.user_id == owner["user_id"])
        ),
        None,
    )
    return SharingState(enabled=True, open=True, last_cutoff=cutoff, solutions=solutions, own=own)


def shared_solution_visible(*, assignment: Assignment, pk: int, now: datetime | None = None) -> Any:
    """The published solution `pk` of `assignment` if the class may read it now, else None."""
    from courseweb.homework.models import SharedSolution
    from courseweb.homework.services.sharing import sharing_open

    is_open, _ = sharing_open(assignment=assignment, at=now or timezone.now())
    if not is_open:
        return None
    return (
        SharedSolution.objects.filter(assignment=assignment, pk=pk, withdrawn_at__isnull=True)
        .select_related("group", "user", "submission", "published_by")
        .first()
    )


def shared_solution_open(*, solution: Any) -> File | None:
    """The shared submission's notebook, open for reading (None if the file is gone)."""
    try:
        return storage.file_open(solution.submission.storage_path)
    except FileNotFoundError:
        return None


def shared_solution_html(*, solution: Any) -> str | None:
    """The shared notebook as inert HTML, read-only (the feedback renderer without grades or verdicts)."""
    try:
        notebook = _load_stored(solution.submission.storage_path)
    except (OSError, ValueError):
        notebook = None
    if not isinstance(notebook, dict):
        return None
    fragment = feedback.render_feedback_fragment(
        notebook=notebook, released=None, results={}, test_ids=set(), stem=solution.submission.stem
    )
    return mark_safe(fragment)  # noqa: S308 - cleaned by nh3, math from KaTeX (feedback.py)
