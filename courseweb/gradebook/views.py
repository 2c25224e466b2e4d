"""Gradebook pages: the staff matrix (sort, filter, CSV), a student's own grades, item histograms."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from courseweb.access import require_login
from courseweb.access.gradebook import (
    access_gradebook_staff,
    access_item_distribution,
    access_own_grades,
    can_see_gradebook,
)

from .export import gradebook_csv
from .plots import histogram_png
from .selectors import SORT_KEYS, gradebook_build, gradebook_row_for, gradebook_rows


@require_login
def index(request: HttpRequest) -> HttpResponse:
    offering = access_own_grades(request.user)
    if not can_see_gradebook(request.user, offering):
        book, row = gradebook_row_for(offering=offering, user=request.user)
        cells = [(item, row.cells[item.pk]) for item in book.items] if row else []
        return render(request, "gradebook/mine.html", {"book": book, "row": row, "cells": cells})
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


@require_login
def export_csv(request: HttpRequest) -> HttpResponse:
    offering = access_gradebook_staff(request.user)
    body = gradebook_csv(book=gradebook_build(offering=offering))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="grades-{offering.slug}-{stamp}.csv"'
    return response


@require_login
def histogram(request: HttpRequest, slug: str) -> HttpResponse:
    item = access_item_distribution(request.user, slug)
    book = gradebook_build(offering=item.offering)
    png = histogram_png(scores=book.column(item.pk), max_score=float(item.points), title=item.title)
    response = HttpResponse(png, content_type="image/png")
    response["Cache-Control"] = "private, max-age=60"
    return response
