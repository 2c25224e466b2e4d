"""The grade pipeline: one function, `item_grade`, computes a student's grade for one coursework item, and every
page and export calls it (the gradebook, a student's grades page, the assignment and submission pages, the CSVs,
the histograms).

For a notebook homework the steps are, in order:

1. the counted submission: the one the group (or the student without a group) chose, else the default — the
   latest on-time submission, else the latest late one (`Offering.rules["homework_submission_rule"] = "best"`
   makes the default the best one after penalties instead; an explicit choice always wins);
2. automatic points (the latest graded run) + the manual points staff gave for written answers; manual cells not
   graded yet are *pending*: reported separately, never counted as lost;
3. the late penalty, from the owner's deadline (`homework.deadlines.deadlines_for`: extensions of the group and
   its members included);
4. capped at the item's maximum.

Other items (project, replication, ...) take the staff's grade for the student, else for the student's group,
capped at the item's points. `student_grades` then keeps the best N of M homework (`Offering.homework_count`)
and weighs the categories (`Offering.category_weights`): `current` counts graded work only (pending points are
left out of both earned and possible points), `final` counts missing work as zero.

Best N of M (`best_n_choose`): only *counted* homework compete (`CourseworkItem.counted`; optional practice is
graded and shown but never counted, unless the course file's `rules.optional_homework_counts` is true). They are
ranked by their grade as a percentage of the maximum (`ItemGrade.final_percent`: missing, still grading and
pending points count as zero, as in `final`), ties going to the earlier due date; the first N count. Each
homework gets one sentence saying whether it counts and why (the grades page and the details CSV show it).

`grade_inputs_load` reads everything with a fixed number of queries, optionally for some items and some users
only, so a page computes only the rows (or the column) it shows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from courseweb.courses.models import CourseworkItem, Enrollment, Offering, Role
from courseweb.groups.models import Membership
from courseweb.homework import policy
from courseweb.homework.deadlines import deadlines_for
from courseweb.homework.models import (
    Assignment,
    CountedChoice,
    GradingJob,
    ManualGrade,
    Submission,
    SubmissionMember,
)

HOMEWORK = "homework"


class GradeState:
    GRADED = "graded"  # points are known (possibly with manual points still pending)
    GRADING = "grading"  # the counted submission has no graded run yet
    MISSING = "missing"  # nothing handed in / not graded by staff


@dataclass(frozen=True)
class ItemGrade:
    """A student's grade for one item, with every step of the pipeline visible."""

    item_id: int
    max_score: float
    state: str = GradeState.MISSING
    auto_points: float | None = None
    manual_points: float = 0.0
    pending_points: float = 0.0
    original: float | None = None  # automatic + manual, before the late penalty
    penalty: float = 0.0  # the fraction lost to the late penalty (0 on time)
    late: bool = False
    score: float | None = None  # after the penalty, capped at max_score: the grade
    submission_id: int | None = None  # the counted submission
    chosen: bool = False  # the counted submission was chosen by the group (not the default)
    peer_factor: float | None = None  # the buddy evaluation's factor, when staff applied it to this item
    before_peer: float | None = None  # the grade before the peer factor (capped), shown next to `score`

    @property
    def pending(self) -> bool:
        """The counted submission is still being graded."""
        return self.state == GradeState.GRADING

    @property
    def penalty_points(self) -> float:
        after = self.before_peer if self.peer_factor is not None else self.score
        return 0.0 if self.original is None or after is None else max(0.0, self.original - after)

    @property
    def graded_max(self) -> float:
        """The points that have been graded so far: the maximum less the pending ones."""
        return max(0.0, self.max_score - self.pending_points)

    @property
    def percent(self) -> float | None:
        """Percent of the graded points (what `current` uses); None when nothing is graded yet."""
        if self.score is None or not self.graded_max:
            return None
        return 100.0 * self.score / self.graded_max

    @property
    def final_percent(self) -> float:
        """Percent of all points, missing and pending points counting as zero (what `final` uses)."""
        return 100.0 * (self.score or 0.0) / self.max_score if self.max_score else 0.0


@dataclass
class StudentGrades:
    cells: dict[int, ItemGrade] = field(default_factory=dict)
    categories: dict[str, float | None] = field(default_factory=dict)
    counted_homework: set[int] = field(default_factory=set)  # item ids kept by best N of M
    homework_notes: dict[int, str] = field(default_factory=dict)  # item id -> why it counts or not
    current: float | None = None
    final: float = 0.0


@dataclass
class GradeInputs:
    """Everything the pipeline reads, loaded once for a set of items and students."""

    offering: Offering
    items: list[CourseworkItem]
    students: list[Any]
    groups: dict[int, tuple[int, str]]  # user id -> (group id, name)
    assignments: dict[int, Assignment]  # item id -> assignment
    subs_by_user: dict[tuple[int, int], list[dict[str, Any]]]  # (user id, assignment id) -> submissions
    results: dict[int, dict[str, Any]]  # submission id -> latest graded job values
    manual_cells: dict[int, dict[str, float]]  # submission id -> grade id -> points
    item_grades: dict[tuple[int, str, int], float]
    choices: dict[int, list[dict[str, Any]]]  # assignment id -> choice rows, oldest first
    deadlines: dict[tuple[int, int], policy.Deadline]  # (item id, user id) -> the user's deadline
    rule: str
    weights: dict[str, float]
    homework_count: int
    peer_factors: dict[tuple[int, int], float] = field(default_factory=dict)  # (item id, user id) -> factor
    competing: set[int] = field(default_factory=set)  # homework item ids that compete for the best N


def _user_ids(users: Iterable[Any] | None) -> list[int] | None:
    return None if users is None else [u if isinstance(u, int) else u.pk for u in users]


def _deadlines(
    *, offering: Offering, items: list[CourseworkItem], user_ids: list[int]
) -> dict[tuple[int, int], policy.Deadline]:
    return deadlines_for(offering=offering, items=items, users=user_ids)


def grade_inputs_load(
    *, offering: Offering, items: Iterable[CourseworkItem] | None = None, users: Iterable[Any] | None = None
) -> GradeInputs:
    """Read what `item_grade` needs for these items (default: all) and students (default: all enrolled)."""
    all_items = list(
        CourseworkItem.objects.filter(offering=offering)
        .select_related("peer_setting")  # whether staff apply the buddy evaluation's factor (no extra query)
        .order_by("category", "due_at", "title")
    )
    item_list = all_items if items is None else [i for i in all_items if i.pk in {x.pk for x in items}]
    ids = _user_ids(users)
    enrolled = Enrollment.objects.filter(offering=offering, role=Role.STUDENT)
    if ids is not None:
        enrolled = enrolled.filter(user_id__in=ids)
    students = [
        e.user for e in enrolled.select_related("user").order_by("user__display_name", "user__username")
    ]
    student_ids = [s.pk for s in students]
    groups = {
        m.user_id: (m.group_id, m.group.name)
        for m in Membership.objects.filter(offering=offering, user_id__in=student_ids).select_related("group")
    }
    item_ids = [i.pk for i in item_list]
    assignments = {
        a.item_id: a
        for a in Assignment.objects.filter(offering=offering, item_id__in=item_ids).select_related("item")
    }
    assignment_ids = [a.pk for a in assignments.values()]
    members = SubmissionMember.objects.filter(submission__assignment_id__in=assignment_ids)
    if ids is not None:
        members = members.filter(user_id__in=student_ids)
    member_rows = list(members.values_list("user_id", "submission_id"))
    sub_ids = {sid for _, sid in member_rows}
    # Every student: select by assignment (a join), not by a list of every submission's id.
    wanted = Q(assignment_id__in=assignment_ids) if ids is None else Q(pk__in=sub_ids)
    subs = {
        s["id"]: s
        for s in Submission.objects.filter(wanted).values(
            "id", "assignment_id", "group_id", "submitted_by_id", "submitted_at", "stem"
        )
    }
    subs_by_user: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for user_id, sub_id in member_rows:
        subs_by_user[(user_id, subs[sub_id]["assignment_id"])].append(subs[sub_id])
    results: dict[int, dict[str, Any]] = {}
    jobs = (
        GradingJob.objects.filter(submission__assignment_id__in=assignment_ids)
        if ids is None
        else GradingJob.objects.filter(submission_id__in=sub_ids)
    )
    for job in (
        jobs.filter(state="graded").order_by("created_at", "id").values("submission_id", "score", "max_score")
    ):
        results[job["submission_id"]] = job  # the latest graded run wins
    manual_cells: dict[int, dict[str, float]] = defaultdict(dict)
    item_grades: dict[tuple[int, str, int], float] = {}
    group_ids = {g for g, _ in groups.values()}
    manual = ManualGrade.objects.filter(item_id__in=item_ids)
    if ids is not None:  # only the grades of the students shown
        manual = manual.filter(
            Q(submission_id__in=sub_ids) | Q(group_id__in=group_ids) | Q(user_id__in=student_ids)
        )
    for g in manual.values("submission_id", "item_id", "group_id", "user_id", "grade_id", "points"):
        if g["submission_id"]:
            manual_cells[g["submission_id"]][g["grade_id"]] = g["points"]
        elif g["group_id"]:
            item_grades[(g["item_id"], "group", g["group_id"])] = g["points"]
        else:
            item_grades[(g["item_id"], "user", g["user_id"])] = g["points"]
    choices: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for c in (
        CountedChoice.objects.filter(assignment_id__in=assignment_ids)
        .order_by("chosen_at", "id")
        .values("assignment_id", "group_id", "user_id", "submission_id")
    ):
        choices[c["assignment_id"]].append(c)
    homework_items = [i for i in item_list if i.pk in assignments]
    deadlines = (
        _deadlines(offering=offering, items=homework_items, user_ids=student_ids)
        if homework_items and student_ids
        else {}
    )
    optional_counts = bool((offering.rules or {}).get("optional_homework_counts", False))
    competing = {i.pk for i in all_items if i.category == HOMEWORK and (i.counted or optional_counts)}
    n_all = len(competing) or 1
    from courseweb.peer.selectors import adjusted_item_ids, peer_factors

    adjusted = adjusted_item_ids(item_list)
    factors = peer_factors(offering=offering, item_ids=adjusted, user_ids=student_ids) if adjusted else {}
    return GradeInputs(
        offering=offering,
        items=item_list,
        students=students,
        groups=groups,
        assignments=assignments,
        subs_by_user=subs_by_user,
        results=results,
        manual_cells=manual_cells,
        item_grades=item_grades,
        choices=choices,
        deadlines=deadlines,
        rule=str((offering.rules or {}).get("homework_submission_rule", "latest")),
        weights={str(k): float(v) for k, v in (offering.category_weights or {}).items()},
        homework_count=int(offering.homework_count or 0) or n_all,
        peer_factors=factors,
        competing=competing,
    )


# --- the steps -------------------------------------------------------------------------------------------


def _owner(sub: dict[str, Any]) -> tuple[str, int]:
    return ("group", sub["group_id"]) if sub["group_id"] else ("user", sub["submitted_by_id"])


def _choice(*, inputs: GradeInputs, assignment: Assignment, candidates: list[dict[str, Any]]) -> int | None:
    """The submission the owner chose (None: no choice in force, the default applies)."""
    by_id = {s["id"]: s for s in candidates}
    owners = {_owner(s) for s in candidates}
    chosen = None
    for c in inputs.choices.get(assignment.pk, []):
        owner = ("group", c["group_id"]) if c["group_id"] else ("user", c["user_id"])
        if owner not in owners:
            continue
        if c["submission_id"] is None:
            chosen = None  # back to the default
        elif c["submission_id"] in by_id and _owner(by_id[c["submission_id"]]) == owner:
            chosen = c["submission_id"]
    return chosen


def _submission_points(
    *, inputs: GradeInputs, assignment: Assignment, sub: dict[str, Any]
) -> tuple[float | None, float, float]:
    """Step 2: (automatic points or None while grading, manual points given, manual points pending)."""
    result = inputs.results.get(sub["id"])
    if result is None:
        return None, 0.0, 0.0
    summary = assignment.notebooks.get(sub["stem"], {})
    given = inputs.manual_cells.get(sub["id"], {})
    points = summary.get("points", {})
    manual_ids = summary.get("manual", [])
    manual = sum(given.get(gid, 0.0) for gid in manual_ids)
    pending = sum(float(points.get(gid, 0)) for gid in manual_ids if gid not in given)
    return float(result["score"] or 0.0), manual, pending


def _deadline(*, inputs: GradeInputs, assignment: Assignment, user_id: int) -> policy.Deadline:
    found = inputs.deadlines.get((assignment.item_id, user_id))
    if found is not None:
        return found
    return policy.deadline_for(
        due_at=assignment.item.due_at,
        extension_due_at=None,
        cutoff_days=assignment.cutoff_days,
        policy=assignment.late_policy,
        late_percent=assignment.late_percent,
    )


def _adjust(*, original: float, fraction: float, max_score: float, factor: float = 1.0) -> float:
    """Steps 3 and 4: the late penalty, the peer adjustment factor (1.0 unless staff switched it on for the
    item: `courseweb.peer`), then the cap at the item's maximum."""
    points = policy.apply_penalty(score=original, fraction=fraction) * factor
    return min(points, max_score)


def _peer(
    *, inputs: GradeInputs, item_id: int, user_id: int, original: float, fraction: float, max_score: float
) -> dict[str, Any]:
    """The score with the peer factor applied, and (when one applies) the factor and the grade before it."""
    factor = inputs.peer_factors.get((item_id, user_id))
    plain = _adjust(original=original, fraction=fraction, max_score=max_score)
    if factor is None:
        return {"score": plain}
    adjusted = _adjust(original=original, fraction=fraction, max_score=max_score, factor=factor)
    return {"score": adjusted, "peer_factor": factor, "before_peer": plain}


def _homework_grade(
    *, inputs: GradeInputs, assignment: Assignment, user_id: int, sub: dict[str, Any], chosen: bool
) -> ItemGrade:
    max_score = float(assignment.max_score)
    deadline = _deadline(inputs=inputs, assignment=assignment, user_id=user_id)
    late = deadline.is_late(at=sub["submitted_at"])
    fraction = deadline.penalty_fraction(at=sub["submitted_at"])
    auto, manual, pending = _submission_points(inputs=inputs, assignment=assignment, sub=sub)
    base = {
        "item_id": assignment.item_id,
        "max_score": max_score,
        "late": late,
        "penalty": fraction,
        "submission_id": sub["id"],
        "chosen": chosen,
    }
    if auto is None:
        return ItemGrade(state=GradeState.GRADING, **base)
    original = auto + manual
    peer = _peer(
        inputs=inputs,
        item_id=assignment.item_id,
        user_id=user_id,
        original=original,
        fraction=fraction,
        max_score=max_score,
    )
    return ItemGrade(
        state=GradeState.GRADED,
        auto_points=auto,
        manual_points=manual,
        pending_points=pending,
        original=original,
        **peer,
        **base,
    )


def _default_pick(
    *, inputs: GradeInputs, assignment: Assignment, user_id: int, candidates: list[dict[str, Any]]
) -> dict[str, Any]:
    if len(candidates) == 1:  # the usual case: either rule picks the only submission
        return candidates[0]
    if inputs.rule == "best":
        graded = [
            (g.score, s["submitted_at"], s["id"], s)
            for s in candidates
            if (
                g := _homework_grade(
                    inputs=inputs, assignment=assignment, user_id=user_id, sub=s, chosen=False
                )
            ).score
            is not None
        ]
        if graded:
            return max(graded, key=lambda t: t[:3])[3]
        return max(candidates, key=lambda s: (s["submitted_at"], s["id"]))
    deadline = _deadline(inputs=inputs, assignment=assignment, user_id=user_id)
    on_time = [s for s in candidates if not deadline.is_late(at=s["submitted_at"])]
    return max(on_time or candidates, key=lambda s: (s["submitted_at"], s["id"]))


def item_grade(
    *, inputs: GradeInputs, item: CourseworkItem, user_id: int, submission_id: int | None = None
) -> ItemGrade:
    """THE grade of one student for one item. `submission_id` grades that submission instead of the counted one
    (the submission pages show each submission's score with the same rules)."""
    assignment = inputs.assignments.get(item.pk)
    if assignment is None:
        points = inputs.item_grades.get((item.pk, "user", user_id))
        group = inputs.groups.get(user_id)
        if points is None and group:
            points = inputs.item_grades.get((item.pk, "group", group[0]))
        max_score = float(item.points)
        if points is None:
            return ItemGrade(item_id=item.pk, max_score=max_score)
        return ItemGrade(
            item_id=item.pk,
            max_score=max_score,
            state=GradeState.GRADED,
            manual_points=points,
            original=points,
            **_peer(
                inputs=inputs,
                item_id=item.pk,
                user_id=user_id,
                original=points,
                fraction=0.0,
                max_score=max_score,
            ),
        )
    candidates = inputs.subs_by_user.get((user_id, assignment.pk), [])
    if not candidates:
        return ItemGrade(item_id=item.pk, max_score=float(assignment.max_score))
    chosen_id = _choice(inputs=inputs, assignment=assignment, candidates=candidates)
    if submission_id is not None:
        sub = next((s for s in candidates if s["id"] == submission_id), None)
        if sub is None:
            return ItemGrade(item_id=item.pk, max_score=float(assignment.max_score))
    elif chosen_id is not None:
        sub = next(s for s in candidates if s["id"] == chosen_id)
    else:
        sub = _default_pick(inputs=inputs, assignment=assignment, user_id=user_id, candidates=candidates)
    return _homework_grade(
        inputs=inputs, assignment=assignment, user_id=user_id, sub=sub, chosen=sub["id"] == chosen_id
    )


OPTIONAL_NOTE = "optional practice: graded, never counts toward the best {n}"
COUNTS_NOTE = "counts: one of your best {n} ({percent}%, rank {rank} of {m})"
COUNTS_AS_ZERO_NOTE = "counts as 0 until it has a grade: fewer than {n} of your homework have one"
DROPPED_NOTE = "does not count: your best {n} are higher ({percent}%, rank {rank} of {m})"
WAITING_NOTE = "does not count yet: no grade, and your best {n} are filled"


@dataclass(frozen=True)
class BestN:
    """Which homework count toward the best N for one student, and one sentence per homework saying why."""

    kept: set[int]
    notes: dict[int, str]


def best_n_choose(*, cells: list[ItemGrade], competing: set[int], n: int) -> BestN:
    """The best `n` of the competing homework by grade (percent of the maximum, missing ones as zero), ties to
    the earlier item in `cells` (ordered by due date); items not competing are optional practice."""
    contenders = [c for c in cells if c.item_id in competing]
    order = sorted(range(len(contenders)), key=lambda k: (-contenders[k].final_percent, k))
    ranked = [contenders[k] for k in order]
    kept = {c.item_id for c in ranked[:n]}
    notes: dict[int, str] = {}
    m = len(ranked)
    for rank, cell in enumerate(ranked, start=1):
        graded = cell.score is not None
        percent = f"{cell.final_percent:.1f}".removesuffix(".0")
        values = {"n": n, "m": m, "rank": rank, "percent": percent}
        if cell.item_id in kept:
            notes[cell.item_id] = (COUNTS_NOTE if graded else COUNTS_AS_ZERO_NOTE).format(**values)
        else:
            notes[cell.item_id] = (DROPPED_NOTE if graded else WAITING_NOTE).format(**values)
    for cell in cells:
        notes.setdefault(cell.item_id, OPTIONAL_NOTE.format(n=n))
    return BestN(kept=kept, notes=notes)


def _best_n(cells: list[ItemGrade], n: int, competing: set[int]) -> tuple[float | None, float, BestN]:
    """Homework: (current, final, the choice). Current: best n of the graded; final: best n of all (missing
    as zero). Optional practice takes part in neither."""
    contenders = [c for c in cells if c.item_id in competing]
    graded = sorted((c.percent for c in contenders if c.percent is not None), reverse=True)
    current = sum(graded[:n]) / min(n, len(graded)) if graded else None
    choice = best_n_choose(cells=cells, competing=competing, n=n)
    ranked = [c for c in contenders if c.item_id in choice.kept]
    final = sum(c.final_percent for c in ranked) / len(ranked) if ranked else 0.0
    return current, final, choice


def student_grades(*, inputs: GradeInputs, user_id: int) -> StudentGrades:
    """Every item's grade for one student, then best N of M and the category weights."""
    out = StudentGrades()
    for item in inputs.items:
        out.cells[item.pk] = item_grade(inputs=inputs, item=item, user_id=user_id)
    by_category: dict[str, list[CourseworkItem]] = defaultdict(list)
    for item in inputs.items:
        by_category[item.category].append(item)
    current_parts, final_parts = [], []
    for category, cat_items in by_category.items():
        weight = inputs.weights.get(category, 0.0)
        cells = [out.cells[i.pk] for i in cat_items]
        if category == HOMEWORK:
            current, final, choice = _best_n(cells, inputs.homework_count, inputs.competing)
            out.counted_homework = choice.kept
            out.homework_notes = choice.notes
            if not choice.kept:  # only optional practice: nothing in the category counts
                out.categories[category] = None
                continue
        else:
            graded = [c for c in cells if c.score is not None and c.graded_max]
            possible = sum(c.graded_max for c in graded)
            current = 100 * sum(c.score or 0.0 for c in graded) / possible if possible else None
            total_max = sum(c.max_score for c in cells)
            final = 100 * sum(c.score or 0.0 for c in cells) / total_max if total_max else 0.0
        out.categories[category] = current
        if weight:
            final_parts.append((weight, final))
            if current is not None:
                current_parts.append((weight, current))
    if final_parts:
        out.final = round(sum(w * p for w, p in final_parts) / sum(w for w, _ in final_parts), 2)
    if current_parts:
        out.current = round(sum(w * p for w, p in current_parts) / sum(w for w, _ in current_parts), 2)
    return out


def submission_grades(*, assignment: Assignment, user: Any) -> tuple[dict[int, ItemGrade], int | None]:
    """Each of the user's submissions to `assignment` graded by the pipeline, and the counted one's id."""
    inputs = grade_inputs_load(offering=assignment.offering, items=[assignment.item], users=[user])
    candidates = inputs.subs_by_user.get((user.pk, assignment.pk), [])
    grades = {
        s["id"]: item_grade(inputs=inputs, item=assignment.item, user_id=user.pk, submission_id=s["id"])
        for s in candidates
    }
    counted = item_grade(inputs=inputs, item=assignment.item, user_id=user.pk) if candidates else None
    return grades, (counted.submission_id if counted else None)


def submission_grade(*, submission: Submission) -> ItemGrade:
    """One submission's grade under the pipeline's rules, for its submitter (the job status score)."""
    assignment = submission.assignment
    user_id = submission.submitted_by_id
    inputs = grade_inputs_load(offering=assignment.offering, items=[assignment.item], users=[user_id])
    if not inputs.subs_by_user.get((user_id, assignment.pk)):  # staff or a student no longer enrolled
        inputs = _inputs_for_unenrolled(inputs=inputs, submission=submission)
    return item_grade(inputs=inputs, item=assignment.item, user_id=user_id, submission_id=submission.pk)


def _inputs_for_unenrolled(*, inputs: GradeInputs, submission: Submission) -> GradeInputs:
    sub = Submission.objects.filter(pk=submission.pk).values(
        "id", "assignment_id", "group_id", "submitted_by_id", "submitted_at", "stem"
    )[0]
    inputs.subs_by_user[(submission.submitted_by_id, submission.assignment_id)] = [sub]
    job = (
        GradingJob.objects.filter(submission_id=submission.pk, state="graded")
        .order_by("-created_at", "-id")
        .values("submission_id", "score", "max_score")
        .first()
    )
    if job is not None:
        inputs.results[submission.pk] = job
    inputs.manual_cells[submission.pk] = dict(
        ManualGrade.objects.filter(submission_id=submission.pk).values_list("grade_id", "points")
    )
    return inputs
