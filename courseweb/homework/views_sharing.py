"""Solutions shared with the class: read one (rendered, read-only) or download its notebook; publish or withdraw
the group's own; staff turn sharing on or off. Access checks in `courseweb.access.homework`, writes in
`services/sharing.py`."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from courseweb.access import require_login
from courseweb.access.homework import access_assignment, access_assignment_staff, access_shared_solution
from courseweb.core.files import file_attachment

from . import selectors
from .services.sharing import SharingRefused, sharing_set, solution_publish, solution_withdraw

MSG_PUBLISHED = "Your group's counted submission is now shared with the class."
MSG_WITHDRAWN = "Your group's solution is no longer shared."
MSG_SHARING_ON = "Sharing is on: after the last cut-off, groups may share their counted submission."
MSG_SHARING_OFF = "Sharing is off: no shared solution is shown."


def _back(key: str) -> HttpResponse:
    return redirect(reverse("homework:assignment", kwargs={"key": key}) + "#solutions")


@require_login
def solution_detail(request: HttpRequest, key: str, pk: int) -> HttpResponse:
    solution = access_shared_solution(request.user, key, pk)
    context = {
        "assignment": solution.assignment,
        "solution": solution,
        "notebook": selectors.shared_solution_html(solution=solution),
    }
    return render(request, "homework/solution.html", context)


@require_login
def solution_download(request: HttpRequest, key: str, pk: int) -> FileResponse:
    solution = access_shared_solution(request.user, key, pk)
    handle = selectors.shared_solution_open(solution=solution)
    if handle is None:
        raise Http404("The shared notebook is no longer stored.")
    owner = solution.group.name if solution.group_id else solution.user.name
    name = "".join(c if c.isalnum() or c in "-_" else "-" for c in owner) or "group"
    return file_attachment(handle, filename=f"{solution.submission.stem}-{name}.ipynb")


@require_login
@require_POST
def solution_publish_view(request: HttpRequest, key: str) -> HttpResponse:
    assignment = access_assignment(request.user, key)
    try:
        solution_publish(user=request.user, assignment=assignment)
    except SharingRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, MSG_PUBLISHED)
    return _back(key)


@require_login
@require_POST
def solution_withdraw_view(request: HttpRequest, key: str) -> HttpResponse:
    assignment = access_assignment(request.user, key)
    try:
        solution_withdraw(user=request.user, assignment=assignment)
    except SharingRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, MSG_WITHDRAWN)
    return _back(key)


@require_login
@require_POST
def sharing_toggle(request: HttpRequest, key: str) -> HttpResponse:
    assignment = access_assignment_staff(request.user, key)
    enabled = request.POST.get("enabled") == "on"
    sharing_set(assignment=assignment, enabled=enabled)
    messages.success(request, MSG_SHARING_ON if enabled else MSG_SHARING_OFF)
    return redirect(reverse("homework:staff", kwargs={"key": key}) + "#sharing")
