"""Open in JupyterHub (POST from the assignment page) and its progress page, polled until the server is ready."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from courseweb.access import require_login
from courseweb.access.homework import access_assignment
from courseweb.access.hub import access_hub_open, check_hub_available, check_hub_caller, hub_user
from courseweb.homework.services.tokens import api_token_rotate_for_hub
from courseweb.hub.selectors import hub_lab_url, open_events
from courseweb.hub.services import hub_open_create


@require_login
@require_POST
def open_assignment(request: HttpRequest, key: str) -> HttpResponse:
    assignment = access_assignment(request.user, key)
    check_hub_available()
    row = hub_open_create(user=request.user, assignment=assignment, fresh=request.POST.get("fresh") == "1")
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
