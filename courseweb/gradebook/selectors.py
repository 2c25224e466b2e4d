"""The gradebook: every student's grade on every coursework item, category percentages and totals.

The grades come from the one grade pipeline (`courseweb.gradebook.grades`: counted submission, automatic and
manual points with pending points apart, late penalty, cap, best N of M, category weights). This module shapes
them into rows. Loading costs a fixed number of queries whatever the number of students, and a page loads only
what it shows: a student's page one row, a histogram one column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from courseweb.courses.models import CourseworkItem, Offering
from courseweb.gradebook.grades import (
    GradeInputs,
    ItemGrade,
    grade_inputs_load,
    item_grade,
    student_grades,
)


@dataclass
class Row:
    user: Any
    group_name: str
    cells: dict[int, ItemGrade] = field(default_factory=dict)
    categories: dict[str, float | None] = field(default_factory=dict)
    counted_homework: set[int] = field(default_factory=set)
    homework_notes: dict[int, str] = field(
        default_factory=dict
    )  # item id -> why it counts toward best N or not
    current: float | None = None
    final: float = 0.0

    @property
    def pending_points(self) -> float:
        return sum(c.pending_points for c in self.cells.values())


@dataclass
class Gradebook:
    offering: Offering
    items: list[CourseworkItem]
    rows: list[Row]
    weights: dict[str, float]
    homework_count: int
    competing: set[int] = field(default_factory=set)  # homework item ids that compete for the best N

    def column(self, item_id: int) -> list[float]:
        return [r.cells[item_id].score for r in self.rows if r.cells[item_id].score is not None]


def _row(*, inputs: GradeInputs, user: Any) -> Row:
    grades = student_grades(inputs=inputs, user_id=user.pk)
    return Row(
        user=user,
        group_name=inputs.groups.get(user.pk, (None, ""))[1],
        cells=grades.cells,
        categories=grades.categories,
        counted_homework=grades.counted_homework,
        homework_notes=grades.homework_notes,
        current=grades.current,
        final=grades.final,
    )


def gradebook_build(*, offering: Offering, users: list[Any] | None = None) -> Gradebook:
    """Rows for every enrolled student (or only `users`), all items."""
    inputs = grade_inputs_load(offering=offering, users=users)
    rows = [_row(inputs=inputs, user=user) for user in inputs.students]
    return Gradebook(
        offering=offering,
        items=inputs.items,
        rows=rows,
        weights=inputs.weights,
        homework_count=inputs.homework_count,
        competing=inputs.competing,
    )


@dataclass(frozen=True)
class HomeworkLine:
    """One line of a student's grades page: the item, its grade and, for homework, why it counts or not."""

    item: CourseworkItem
    cell: ItemGrade
    note: str = ""
    counts: bool = False
    optional: bool = False


def grade_lines(*, book: Gradebook, row: Row) -> list[HomeworkLine]:
    """The student's items in the gradebook's order, each homework with its best-N sentence."""
    return [
        HomeworkLine(
            item=item,
            cell=row.cells[item.pk],
            note=row.homework_notes.get(item.pk, ""),
            counts=item.pk in row.counted_homework,
            optional=item.category == "homework" and item.pk not in book.competing,
        )
        for item in book.items
    ]


def counting_now(*, lines: list[HomeworkLine]) -> list[HomeworkLine]:
    """The homework that count now, best grade first (ties: earlier due date first, as the choice ranks them)."""
    kept = [line for line in lines if line.counts]
    return sorted(kept, key=lambda line: -line.cell.final_percent)


def gradebook_row_for(*, offering: Offering, user: Any) -> tuple[Gradebook, Row | None]:
    """The user's own row only (no other student's grades are computed)."""
    book = gradebook_build(offering=offering, users=[user])
    return book, next((r for r in book.rows if r.user.pk == user.pk), None)


def item_scores(*, offering: Offering, item: CourseworkItem) -> list[float]:
    """Every student's grade for one item (what its histogram plots): one column, no rows."""
    inputs = grade_inputs_load(offering=offering, items=[item])
    grades = (item_grade(inputs=inputs, item=item, user_id=s.pk) for s in inputs.students)
    return [g.score for g in grades if g.score is not None]


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


def counted_choice_log(*, offering: Offering) -> list[Any]:
    """Every change of a counted submission in the offering, newest first (who, when, from, to)."""
    from courseweb.homework.models import CountedChoice

    return list(
        CountedChoice.objects.filter(assignment__offering=offering)
        .select_related("assignment__item", "group", "user", "chosen_by", "submission", "previous")
        .order_by("-chosen_at", "-id")
    )
