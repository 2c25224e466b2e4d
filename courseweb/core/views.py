"""Home page, health check and the staff status page."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from courseweb.access import require_staff
from courseweb.courses.selectors import deadline_list_upcoming, offering_current
from courseweb.lectures.selectors import session_this_week

from .health import OK, health_report, workers_alive


def home(request):
    offering = offering_current()
    now = timezone.now()
    context = {
        "now": now,
        "this_session": session_this_week(offering=offering, now=now) if offering else None,
        "deadlines": deadline_list_upcoming(offering=offering, now=now) if offering else [],
    }
    return render(request, "core/home.html", context)


@never_cache
def healthz(request):
    report = health_report()
    status = 200 if all(v == OK for v in report.values()) else 503
    return JsonResponse(report, status=status)


@require_staff
@never_cache
def status(request):
    return render(request, "core/status.html", {"report": health_report(), "workers": workers_alive()})
