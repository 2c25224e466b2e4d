"""The course page: description, meetings, staff, the course's rules and the grading breakdown."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from .page import course_page_get
from .selectors import offering_current


def course_page(request: HttpRequest) -> HttpResponse:
    offering = offering_current()
    if offering is None:
        raise Http404("No offering is loaded yet.")
    return render(request, "courses/course.html", {"page": course_page_get(offering=offering)})
