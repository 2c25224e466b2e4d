"""Open in JupyterHub (POST from the assignment page) and its progress page, polled until the server is ready;
the hub's service calls (a server's API token, a user's GPU allowance, server start and stop reports); the staff's
JupyterHub usage page."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from courseweb.access import require_login, require_staff
from courseweb.access.homework import access_assignment
from courseweb.access.hub import access_hub_open, check_hub_available, check_hub_caller, hub_user
from courseweb.homework.services.tokens import api_token_rotate_for_hub
from courseweb.hub.models import Profile
from courseweb.hub.selectors import gpu_allowance, hub_lab_url, open_events, usage_table
from courseweb.hub.services import hub_open_create, usage_start, usage_stop

ERR_BAD_PROFILE = "Choose a CPU or a GPU server."


@require_login
@require_POST
def open_assignment(request: HttpRequest, key: str) -> HttpResponse:
    assignment = access_assignment(request.user, key)
    check_hub_available()
    profile = request.POST.get("profile") or Profile.CPU
    if profile not in Profile.values:
        messages.error(request, ERR_BAD_PROFILE)
        return redirect("homework:assignment", key=key)
    row = hub_open_create(
        user=request.user, assignment=assignment, fresh=request.POST.get("fresh") == "1", profile=profile
    )
    return redirect("hub:progress", pk=row.pk)


def _context(row) -> dict:
    return {
        "open": row,
        "events": open_events(row=row),
        "lab_url": hub_lab_url(open_path=row.open_path) if row.open_path else "",
    }


@require_login
@never_cache
def progress(request: HttpRequest, pk: int) -> HttpResponse:
    row = access_hub_open(request.user, pk)
    return render(request, "hub/progress.html", _context(row))


@require_login
@never_cache
def progress_status(request: HttpRequest, pk: int) -> HttpResponse:
    row = access_hub_open(request.user, pk)
    response = render(request, "hub/_progress.html", _context(row))
    if row.state == "done" and request.headers.get("HX-Request"):
        response["HX-Redirect"] = _context(row)["lab_url"]
    return response


@csrf_exempt
@require_POST
def spawn_token(request: HttpRequest) -> JsonResponse:
    """The hub's pre-spawn hook (with the service token) gets a new API token for the server it starts."""
    check_hub_caller(request)
    try:
        name = json.loads(request.body or b"{}").get("user", "")
    except (ValueError, AttributeError):
        name = ""
    user = hub_user(name)
    return JsonResponse({"token": api_token_rotate_for_hub(user=user).secret})


@require_GET
@never_cache
def gpu_allowance_view(request: HttpRequest, name: str) -> JsonResponse:
    """The spawner (with the service token) asks before a GPU start: does the user's course allow GPU servers,
    and how many GPU hours are left."""
    check_hub_caller(request)
    return JsonResponse(gpu_allowance(user=hub_user(name)).as_json())


@csrf_exempt
@require_POST
def usage_events(request: HttpRequest) -> JsonResponse:
    """The spawner (with the service token) reports a server's start {user, event: start, profile, gpu} or stop
    {user, event: stop}."""
    check_hub_caller(request)
    try:
        body = json.loads(request.body or b"{}")
        event, profile = body.get("event"), body.get("profile", "")
    except (ValueError, AttributeError):
        return JsonResponse({"error": "expected a JSON object"}, status=400)
    user = hub_user(str(body.get("user", "")))
    if event == "start" and profile in Profile.values:
        row = usage_start(
            user=user, profile=profile, gpu=body.get("gpu") if isinstance(body.get("gpu"), dict) else None
        )
        return JsonResponse({"usage": row.pk})
    if event == "stop":
        return JsonResponse({"closed": usage_stop(user=user)})
    return JsonResponse({"error": "expected event start (with profile cpu or gpu) or stop"}, status=400)


@require_staff
@never_cache
def usage(request: HttpRequest) -> HttpResponse:
    """Staff: each student's JupyterHub hours (GPU hours against the course's quota) and running server."""
    from courseweb.courses.selectors import offering_current
    from courseweb.hub.selectors import offering_gpu_hours

    offering = offering_current()
    rows = usage_table(offering=offering) if offering else []
    quota = offering_gpu_hours(offering=offering) if offering else 0.0
    return render(request, "hub/usage.html", {"rows": rows, "quota": quota, "course": offering})
