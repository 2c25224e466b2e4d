"""CSV export in Canvas's gradebook layout, so the grades can be imported into Canvas as they are.

Columns: Student, ID, SIS User ID, SIS Login ID, Section, one column per item named "Title (slug)", then
Current Score and Final Score (percent); the second row is Canvas's "Points Possible" row.
"""

from __future__ import annotations

import csv
import io

from courseweb.gradebook.selectors import Gradebook

FIXED = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}".rstrip("0").rstrip(".")


def gradebook_csv(*, book: Gradebook) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*FIXED, *(f"{i.title} ({i.slug})" for i in book.items), "Current Score", "Final Score"])
    writer.writerow(
        ["    Points Possible", "", "", "", "", *(_fmt(float(i.points)) for i in book.items), "", ""]
    )
    section = f"{book.offering.code} {book.offering.season}"
    for row in book.rows:
        user = row.user
        name = f"{user.last_name}, {user.first_name}" if user.last_name and user.first_name else user.name
        writer.writerow(
            [
                name,
                user.pk,
                user.student_number,
                user.username,
                section,
                *(_fmt(row.cells[i.pk].score) for i in book.items),
                _fmt(row.current),
                _fmt(row.final),
            ]
        )
    return out.getvalue()
