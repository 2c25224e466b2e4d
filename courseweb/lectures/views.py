"""Schedule, session detail and the iCal feed."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import render

from courseweb.access import require_login
from courseweb.courses.selectors import offering_current

from .ical import calendar_build
from .selectors import event_list, session_get, session_list_annotated


def _offering():
    offering = offering_current()
    if offering is None:
        raise Http404("No course offering is loaded yet.")
    return offering


def schedule(request):
    offering = _offering()
    return render(
        request,
        "lectures/schedule.html",
        {"sessions": session_list_annotated(offering=offering), "events": event_list(offering=offering)},
    )


@require_login
def session_detail(request, number: int):
    offering = _offering()
    session = session_get(offering=offering, number=number)
    materials = list(session.materials.all())
    return render(
        request,
        "lectures/session_detail.html",
        {
            "session": session,
            "slides": [m for m in materials if m.kind == "slides"],
            "notebooks": [m for m in materials if m.kind == "notebook"],
            "readings": [m for m in materials if m.kind in ("reading", "link")],
        },
    )


def schedule_ics(request):
    offering = _offering()
    body = calendar_build(offering=offering, site_url=settings.SITE_URL)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{offering.slug}-schedule.ics"'
    return response
