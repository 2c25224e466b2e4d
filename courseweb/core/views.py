"""Home page, health check and the staff status page."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views import defaults
from django.views.decorators.cache import never_cache

from courseweb.access import require_staff, role_in
from courseweb.announcements.selectors import announcement_list_unread
from courseweb.courses.models import Role
from courseweb.courses.selectors import deadline_list_upcoming, offering_current
from courseweb.lectures.selectors import session_this_week

from .health import OK, health_report, workers_alive
from .selectors import todo_extras, todo_list


def home(request):
    offering = offering_current()
    now = timezone.now()
    context = {
        "now": now,
        "this_session": session_this_week(offering=offering, now=now) if offering else None,
        "deadlines": deadline_list_upcoming(offering=offering, now=now) if offering else [],
    }
    if offering and role_in(request.user, offering) == Role.STUDENT:
        context["todo"] = todo_list(offering=offering, user=request.user, now=now)
        listed = {e.item.pk for e in context["todo"]}
        # The to-do shows the student's own deadline for these items; the course-wide one would disagree.
        context["deadlines"] = [d for d in context["deadlines"] if d.coursework_id not in listed]
    if offering and role_in(request.user, offering) in (Role.STUDENT, Role.TA, Role.INSTRUCTOR):
        context["todo_extras"] = todo_extras(
            offering=offering,
            user=request.user,
            now=now,
            staff=role_in(request.user, offering) != Role.STUDENT,
        )
    if offering and request.user.is_authenticated:
        context["unread_announcements"] = announcement_list_unread(offering=offering, user=request.user)
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


def page_not_found(request, exception):
    """The site's 404: JSON under the homework API (its clients read JSON errors), the normal page elsewhere."""
    api_root = reverse("homework:api_openapi").rsplit("/", 1)[0] + "/"
    if request.path.startswith(api_root):
        return JsonResponse({"error": "Not found: no such API URL, assignment or submission."}, status=404)
    return defaults.page_not_found(request, exception)
