"""CSV export of a sign-up sheet: one row per slot place and waitlist entry, times in Hong Kong time.

Cells that a spreadsheet would evaluate as formulas are prefixed with a quote (CSV injection).

Empty places are exported too, so the file is the whole sheet as the old spreadsheet tab showed it.
"""

from __future__ import annotations

import csv
import io

from django.utils import timezone

from .models import Sheet
from .selectors import sheet_board

CSV_COLUMNS = (
    "sheet",
    "session",
    "date",
    "topic",
    "room",
    "slot",
    "starts_hkt",
    "minutes",
    "status",
    "place",
    "group",
    "members",
    "emails",
    "paper",
    "paper_id",
    "signed_up_hkt",
)


def _paper_id(paper) -> str:
    if paper is None:
        return ""
    if paper.arxiv_id:
        return f"arXiv:{paper.arxiv_id}"
    return f"doi:{paper.doi}" if paper.doi else ""


def _cell(value: object) -> object:
    """Text a spreadsheet would run as a formula (=, +, -, @) is prefixed with a quote; numbers pass."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _local(moment, fmt: str) -> str:
    return timezone.localtime(moment).strftime(fmt) if moment else ""


def sheet_csv(*, sheet: Sheet) -> str:
    """The sheet as CSV text (UTF-8, header row first)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    board = sheet_board(sheet=sheet)
    for row in board.rows:
        slot, session = row.slot, row.slot.session
        base = [
            sheet.title,
            session.number,
            _local(session.starts_at, "%Y-%m-%d"),
            session.topic,
            session.room,
            slot.position,
            _local(slot.starts_at, "%Y-%m-%d %H:%M"),
            slot.minutes or "",
        ]
        by_place = {s.place: s for s in row.confirmed}
        entries = [("confirmed", p, by_place.get(p)) for p in range(1, slot.capacity + 1)]
        entries += [("waitlisted", n, s) for n, s in enumerate(row.waitlist, start=1)]
        for status, number, signup in entries:
            if signup is None:
                writer.writerow([_cell(v) for v in (*base, "free", number, "", "", "", "", "", "")])
                continue
            users = [m.user for m in signup.group.memberships.all()]
            writer.writerow(
                _cell(v)
                for v in (
                    *base,
                    status,
                    number,
                    signup.group.name,
                    "; ".join(u.name for u in users),
                    "; ".join(u.email for u in users),
                    signup.paper.display_title if signup.paper else "",
                    _paper_id(signup.paper),
                    _local(signup.created_at, "%Y-%m-%d %H:%M:%S"),
                )
            )
    return out.getvalue()
