"""Gradebook pages: the staff matrix (sort, filter, CSVs), a student's own grades, item histograms, and the log
of which submission counts."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import render
from django.utils import timezone

from courseweb.access import require_login
from courseweb.access.gradebook import (
    access_gradebook_staff,
    access_item_distribution,
    access_own_grades,
    can_see_gradebook,
)

from .export import gradebook_csv, gradebook_details_csv
from .plots import histogram_cached
from .selectors import (
    SORT_KEYS,
    counted_choice_log,
    counting_now,
    grade_lines,
    gradebook_build,
    gradebook_row_for,
    gradebook_rows,
    item_scores,
)


@require_login
def index(request: HttpRequest) -> HttpResponse:
    offering = access_own_grades(request.user)
    if not can_see_gradebook(request.user, offering):
        book, row = gradebook_row_for(offering=offering, user=request.user)
        lines = grade_lines(book=book, row=row) if row else []
        context = {
            "book": book,
            "row": row,
            "lines": lines,
            "counting": counting_now(lines=lines),
            "optional": [line for line in lines if line.optional],
        }
        return render(request, "gradebook/mine.html", context)
    book = gradebook_build(offering=offering)
    sort = request.GET.get("sort", "name")
    if sort not in SORT_KEYS and sort not in {i.slug for i in book.items}:
        sort = "name"
    descending = request.GET.get("order") == "desc"
    query = request.GET.get("q", "")
    rows = gradebook_rows(book=book, sort=sort, descending=descending, query=query)
    table = [(row, [row.cells[item.pk] for item in book.items]) for row in rows]
    context = {"book": book, "table": table, "sort": sort, "descending": descending, "q": query}
    return render(request, "gradebook/staff.html", context)


def _csv(body: str, *, name: str, offering) -> HttpResponse:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{offering.slug}-{stamp}.csv"'
    return response


@require_login
def export_csv(request: HttpRequest) -> HttpResponse:
    offering = access_gradebook_staff(request.user)
    return _csv(gradebook_csv(book=gradebook_build(offering=offering)), name="grades", offering=offering)


@require_login
def export_details_csv(request: HttpRequest) -> HttpResponse:
    offering = access_gradebook_staff(request.user)
    body = gradebook_details_csv(book=gradebook_build(offering=offering))
    return _csv(body, name="grade-details", offering=offering)


@require_login
def histogram(request: HttpRequest, slug: str) -> HttpResponse:
    item = access_item_distribution(request.user, slug)
    png, key = histogram_cached(
        scores=item_scores(offering=item.offering, item=item), max_score=float(item.points), title=item.title
    )
    etag = f'"{key}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(png, content_type="image/png")
    response["ETag"] = etag
    response["Cache-Control"] = "private, max-age=60"
    return response


@require_login
def counted_log(request: HttpRequest) -> HttpResponse:
    offering = access_gradebook_staff(request.user)
    return render(request, "gradebook/counted_log.html", {"entries": counted_choice_log(offering=offering)})
