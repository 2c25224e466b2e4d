"""Two CSV exports of the gradebook, both from the grade pipeline.

* `gradebook_csv`: Canvas's gradebook import layout and nothing else — Student, ID, SIS User ID, SIS Login ID,
  Section, then one column per item named "Title (slug)", and Canvas's "Points Possible" row. Canvas turns
  every column it does not know into a new assignment, so totals and details stay out of this file. A cell is
  the points graded so far (pending manual points are not in it; see the details file).
* `gradebook_details_csv`: one row per student and item with what the grade is made of — the counted submission
  and whether the group chose it, automatic, manual and pending points, the original grade, the late penalty,
  the adjusted grade, whether a homework counts toward the best N and why (optional practice never does) — and
  the student's current and final percentages.
"""

from __future__ import annotations

import csv
import io

from courseweb.gradebook.selectors import Gradebook

FIXED = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
DETAILS = [
    "Student",
    "SIS User ID",
    "SIS Login ID",
    "Group",
    "Item",
    "Category",
    "State",
    "Points possible",
    "Automatic points",
    "Manual points",
    "Pending points",
    "Original grade",
    "Late",
    "Late penalty %",
    "Late penalty points",
    "Grade before peer factor",
    "Peer factor",
    "Adjusted grade",
    "Counted submission",
    "Chosen by the group",
    "Counts toward best N",
    "Best N note",
    "Current %",
    "Final %",
]


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}".rstrip("0").rstrip(".")


def _name(user) -> str:
    return f"{user.last_name}, {user.first_name}" if user.last_name and user.first_name else user.name


def gradebook_csv(*, book: Gradebook) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*FIXED, *(f"{i.title} ({i.slug})" for i in book.items)])
    writer.writerow(["    Points Possible", "", "", "", "", *(_fmt(float(i.points)) for i in book.items)])
    section = f"{book.offering.code} {book.offering.season}"
    for row in book.rows:
        user = row.user
        writer.writerow(
            [
                _name(user),
                user.pk,
                user.student_number,
                user.username,
                section,
                *(_fmt(row.cells[i.pk].score) for i in book.items),
            ]
        )
    return out.getvalue()


def gradebook_details_csv(*, book: Gradebook) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(DETAILS)
    for row in book.rows:
        user = row.user
        for item in book.items:
            cell = row.cells[item.pk]
            homework = item.category == "homework"
            writer.writerow(
                [
                    _name(user),
                    user.student_number,
                    user.username,
                    row.group_name,
                    f"{item.title} ({item.slug})",
                    item.category,
                    cell.state,
                    _fmt(cell.max_score),
                    _fmt(cell.auto_points),
                    _fmt(cell.manual_points) if cell.score is not None else "",
                    _fmt(cell.pending_points),
                    _fmt(cell.original),
                    "yes" if cell.late else "no",
                    _fmt(100 * cell.penalty),
                    _fmt(cell.penalty_points) if cell.score is not None else "",
                    _fmt(cell.before_peer if cell.peer_factor is not None else cell.score),
                    _fmt(cell.peer_factor),
                    _fmt(cell.score),
                    cell.submission_id or "",
                    ("yes" if cell.chosen else "no") if cell.submission_id else "",
                    ("yes" if item.pk in row.counted_homework else "no") if homework else "",
                    row.homework_notes.get(item.pk, "") if homework else "",
                    _fmt(row.current),
                    _fmt(row.final),
                ]
            )
    return out.getvalue()
