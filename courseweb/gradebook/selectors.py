"""The gradebook: every student's score on every coursework item, category percentages and totals.

Built from a fixed number of queries (one per table, whatever the number of students), then computed in Python:

* homework: the counting submission of the student's group — by default the latest on-time one, else the latest
  late one with its penalty (`Offering.rules["homework_submission_rule"] = "best"` takes the best instead) —
  scored as the latest graded result plus manual cell grades, minus the late penalty of the owner's deadline
  (extensions applied, so a deadline that moves changes the penalty);
* other items: the TA's grade for the student, else for the student's group;
* categories: weights from `Offering.category_weights`; homework keeps the best N of M (`Offering.homework_count`);
* totals: `current` counts graded items only (weights renormalised), `final` counts missing work as zero.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from courseweb.courses.models import CourseworkItem, Enrollment, Offering, Role
from courseweb.groups.models import Membership
from courseweb.homework import policy
from courseweb.homework.models import (
    Assignment,
    Extension,
    GradingJob,
    ManualGrade,
    Submission,
    SubmissionMember,
)


@dataclass
class Cell:
    score: float | None = None
    max_score: float = 0.0
    penalty: float = 0.0
    late: bool = False
    pending: bool = False
    submission_id: int | None = None

    @property
    def percent(self) -> float | None:
        return None if self.score is None or not self.max_score else 100.0 * self.score / self.max_score


@dataclass
class Row:
    user: Any
    group_name: str
    cells: dict[int, Cell] = field(default_factory=dict)
    categories: dict[str, float | None] = field(default_factory=dict)
    current: float | None = None
    final: float = 0.0


@dataclass
class Gradebook:
    offering: Offering
    items: list[CourseworkItem]
    rows: list[Row]
    weights: dict[str, float]
    homework_count: int

    def column(self, item_id: int) -> list[float]:
        return [r.cells[item_id].score for r in self.rows if r.cells[item_id].score is not None]


def _deadline(assignment: Assignment, due_override: datetime | None) -> policy.Deadline:
    return policy.deadline_for(
        due_at=assignment.item.due_at,
        extension_due_at=due_override,
        cutoff_days=assignment.cutoff_days,
        policy=assignment.late_policy,
        late_percent=assignment.late_percent,
    )


def _homework_cell(
    *, assignment: Assignment, subs: list[dict[str, Any]], results: dict[int, dict[str, Any]],
    manual: dict[int, float], extensions: dict[tuple[int, str, int], datetime], rule: str,
) -> Cell:  # fmt: skip
    cell = Cell(max_score=assignment.max_score)
    scored: list[tuple[bool, datetime, float | None, float, int]] = []
    for sub in subs:
        owner = ("group", sub["group_id"]) if sub["group_id"] else ("user", sub["submitted_by_id"])
        deadline = _deadline(assignment, extensions.get((assignment.item_id, *owner)))
        late = deadline.is_late(at=sub["submitted_at"])
        fraction = deadline.penalty_fraction(at=sub["submitted_at"])
        result = results.get(sub["id"])
        raw = None if result is None else result["score"] + manual.get(sub["id"], 0.0)
        scored.append((late, sub["submitted_at"], raw, fraction, sub["id"]))
    if not scored:
        return cell
    if rule == "best":
        graded = [s for s in scored if s[2] is not None]
        pick = max(graded, key=lambda s: policy.apply_penalty(score=s[2], fraction=s[3])) if graded else None
        pick = pick or max(scored, key=lambda s: s[1])
    else:
        on_time = [s for s in scored if not s[0]]
        pick = max(on_time or scored, key=lambda s: (s[1], s[4]))
    late, _, raw, fraction, sub_id = pick
    cell.late, cell.submission_id, cell.penalty = late, sub_id, fraction
    if raw is None:
        cell.pending = True
    else:
        cell.score = policy.apply_penalty(score=raw, fraction=fraction)
    return cell


def _best_n(percents: list[float | None], n: int) -> tuple[float | None, float]:
    """(current, final) category percentages for homework: the best n of the graded ones / of all (missing 0)."""
    graded = sorted((p for p in percents if p is not None), reverse=True)
    current = sum(graded[:n]) / min(n, len(graded)) if graded else None
    all_scores = sorted((p or 0.0 for p in percents), reverse=True)
    final = sum(all_scores[:n]) / min(n, len(all_scores)) if all_scores else 0.0
    return current, final


def gradebook_build(*, offering: Offering) -> Gradebook:
    items = list(CourseworkItem.objects.filter(offering=offering).order_by("category", "due_at", "title"))
    students = [
        e.user
        for e in Enrollment.objects.filter(offering=offering, role=Role.STUDENT)
        .select_related("user")
        .order_by("user__display_name", "user__username")
    ]
    groups = {
        m.user_id: (m.group_id, m.group.name)
        for m in Membership.objects.filter(offering=offering).select_related("group")
    }
    assignments = {a.item_id: a for a in Assignment.objects.filter(offering=offering).select_related("item")}
    subs = {
        s["id"]: s
        for s in Submission.objects.filter(assignment__offering=offering).values(
            "id", "assignment_id", "group_id", "submitted_by_id", "submitted_at"
        )
    }
    by_user: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for user_id, sub_id in SubmissionMember.objects.filter(
        submission__assignment__offering=offering
    ).values_list("user_id", "submission_id"):
        by_user[(user_id, subs[sub_id]["assignment_id"])].append(subs[sub_id])
    results: dict[int, dict[str, Any]] = {}
    for job in (
        GradingJob.objects.filter(submission__assignment__offering=offering, state="graded")
        .order_by("created_at", "id")
        .values("submission_id", "score", "max_score")
    ):
        results[job["submission_id"]] = job  # the latest graded run wins
    manual: dict[int, float] = defaultdict(float)
    item_grades: dict[tuple[int, str, int], float] = {}
    for g in ManualGrade.objects.filter(item__offering=offering).values(
        "submission_id", "item_id", "group_id", "user_id", "points"
    ):
        if g["submission_id"]:
            manual[g["submission_id"]] += g["points"]
        elif g["group_id"]:
            item_grades[(g["item_id"], "group", g["group_id"])] = g["points"]
        else:
            item_grades[(g["item_id"], "user", g["user_id"])] = g["points"]
    extensions = {}
    for e in Extension.objects.filter(item__offering=offering).values(
        "item_id", "group_id", "user_id", "due_at"
    ):
        key = (
            (e["item_id"], "group", e["group_id"]) if e["group_id"] else (e["item_id"], "user", e["user_id"])
        )
        extensions[key] = max(e["due_at"], extensions.get(key, e["due_at"]))
    rule = str((offering.rules or {}).get("homework_submission_rule", "latest"))
    weights = {str(k): float(v) for k, v in (offering.category_weights or {}).items()}
    n_best = int(offering.homework_count or 0) or len(assignments) or 1
    rows = []
    for user in students:
        group_id, group_name = groups.get(user.pk, (None, ""))
        row = Row(user=user, group_name=group_name)
        for item in items:
            assignment = assignments.get(item.pk)
            if assignment is not None:
                row.cells[item.pk] = _homework_cell(
                    assignment=assignment, subs=by_user.get((user.pk, assignment.pk), []), results=results,
                    manual=manual, extensions=extensions, rule=rule,
                )  # fmt: skip
            else:
                points = item_grades.get((item.pk, "user", user.pk))
                if points is None and group_id:
                    points = item_grades.get((item.pk, "group", group_id))
                row.cells[item.pk] = Cell(score=points, max_score=float(item.points))
        _totals(row=row, items=items, weights=weights, n_best=n_best)
        rows.append(row)
    return Gradebook(offering=offering, items=items, rows=rows, weights=weights, homework_count=n_best)


def _totals(*, row: Row, items: list[CourseworkItem], weights: dict[str, float], n_best: int) -> None:
    by_category: dict[str, list[CourseworkItem]] = defaultdict(list)
    for item in items:
        by_category[item.category].append(item)
    current_parts, final_parts = [], []
    for category, cat_items in by_category.items():
        weight = weights.get(category, 0.0)
        cells = [row.cells[i.pk] for i in cat_items]
        if category == "homework":
            current, final = _best_n([c.percent for c in cells], n_best)
        else:
            graded = [c for c in cells if c.score is not None]
            current = (
                100 * sum(c.score for c in graded) / sum(c.max_score for c in graded) if graded else None
            )
            total_max = sum(c.max_score for c in cells)
            final = 100 * sum(c.score or 0 for c in cells) / total_max if total_max else 0.0
        row.categories[category] = current
        if weight:
            final_parts.append((weight, final))
            if current is not None:
                current_parts.append((weight, current))
    row.final = (
        round(sum(w * p for w, p in final_parts) / sum(w for w, _ in final_parts), 2) if final_parts else 0.0
    )
    if current_parts:
        row.current = round(sum(w * p for w, p in current_parts) / sum(w for w, _ in current_parts), 2)


def gradebook_row_for(*, offering: Offering, user: Any) -> tuple[Gradebook, Row | None]:
    book = gradebook_build(offering=offering)
    return book, next((r for r in book.rows if r.user.pk == user.pk), None)


SORT_KEYS = ("name", "group", "current", "final")


def gradebook_rows(
    *, book: Gradebook, sort: str = "name", descending: bool = False, query: str = ""
) -> list[Row]:
    """Rows filtered by a name, username, student number or group fragment and sorted by a column."""
    query = query.strip().lower()
    rows = [
        r
        for r in book.rows
        if not query
        or any(
            query in (v or "").lower()
            for v in (r.user.name, r.user.username, r.user.student_number, r.group_name)
        )
    ]
    slugs = {item.slug: item.pk for item in book.items}

    def key(row: Row) -> tuple:
        if sort in slugs:
            value = row.cells[slugs[sort]].score
        elif sort in ("current", "final"):
            value = getattr(row, sort)
        elif sort == "group":
            return (row.group_name.lower(), row.user.name.lower())
        else:
            return (row.user.name.lower(),)
        return (value is None, value if value is not None else 0.0)

    rows.sort(key=key, reverse=descending)
    if descending and sort not in ("name", "group"):  # missing values stay last
        rows.sort(key=lambda r: key(r)[0])
    return rows
