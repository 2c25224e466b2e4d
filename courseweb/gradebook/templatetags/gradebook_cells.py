"""The staff gradebook's cells, written in Python.

The matrix has a cell per student and item (3,400 at 200 students and 17 items). In the template language each
cell cost a `{% url %}` look-up and a dozen nodes, and rendering them took most of the page's time; here a row's
cells are one tag that builds each cell with an f-string, every value escaped, and the submission links come from
one `reverse` per page.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from django import template
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from courseweb.gradebook.grades import ItemGrade
from courseweb.homework.templatetags.hwtags import points

register = template.Library()

_SENTINEL = "987654321"  # an id reversed once per page, then replaced by each cell's submission id


def _score(cell: ItemGrade, link: tuple[str, str]) -> str:
    if cell.score is None:
        return '<span class="muted">grading</span>' if cell.pending else '<span class="muted">—</span>'
    html = escape(points(cell.score))
    if cell.submission_id:
        html = f'<a href="{link[0]}{cell.submission_id:d}{link[1]}">{html}</a>'
    if cell.peer_factor is not None:
        before, factor = escape(points(cell.before_peer)), escape(floatformat(cell.peer_factor, "2"))
        html += f' <span class="muted" title="buddy evaluation factor">(from {before} × {factor})</span>'
    if cell.pending_points:
        html += f' <span class="pending">+{escape(points(cell.pending_points))} pending</span>'
    return html


def _cell(cell: ItemGrade, link: tuple[str, str]) -> str:
    html = _score(cell, link)
    if cell.late:
        html += f' <span class="badge room-change" title="late: −{round(cell.penalty * 100):d}%">late</span>'
    if cell.chosen:
        html += ' <span class="badge" title="chosen by the group">chosen</span>'
    return f"<td>{html}</td>"


def _submission_link(context: template.Context) -> tuple[str, str]:
    """The submission URL around its id, reversed once per rendering of the page."""
    link = context.render_context.get(_submission_link)
    if link is None:
        head, _, tail = reverse("homework:submission", args=[_SENTINEL]).rpartition(_SENTINEL)
        link = context.render_context[_submission_link] = (escape(head), escape(tail))
    return link


@register.simple_tag(takes_context=True)
def gradebook_cells(context: template.Context, cells: Iterable[ItemGrade]) -> SafeString:
    """One `<td>` per item: the grade (linked to the counted submission), the buddy factor, pending points,
    "grading" or a dash, and the late and chosen badges; every value is escaped."""
    link = _submission_link(context)
    return mark_safe("".join(_cell(cell, link) for cell in cells))  # noqa: S308 - the values are escaped above
