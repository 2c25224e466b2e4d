"""The homework JSON API (personal API tokens) and the page where students create and revoke tokens.

Authentication: `Authorization: Bearer dote_…` (a personal token from /homework/tokens/). Endpoints:

* `GET  /homework/api/assignments/` — the released assignments and their notebooks;
* `POST /homework/api/assignments/<key>/submissions/` — the notebook as a multipart field `notebook`, or the raw
  notebook JSON as the body (`Content-Type: application/json`, `X-Filename: name.ipynb` optional);
  201 with the submission, 200 with `"duplicate": true` for the same bytes again, 4xx with `{"error": …}`;
* `GET  /homework/api/submissions/<id>/` — state, progress and, once graded, the score and per-test results.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from courseweb.access import require_login
from courseweb.access.homework import access_assignment, access_submission, check_homework_reader
from courseweb.courses.selectors import offering_current

from . import selectors
from .deadlines import deadlines_for
from .forms import TokenForm
from .models import ApiToken
from .services.submissions import SubmissionRejected, check_declared_length, check_size, submission_create
from .services.tokens import api_token_authenticate, api_token_create, api_token_revoke

ERR_AUTH = "Send a personal API token: 'Authorization: Bearer <token>' (create one at /homework/tokens/)."
CHUNK = 1024 * 1024


def token_required(view: Callable) -> Callable:
    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, raw = header.partition(" ")
        user = api_token_authenticate(raw=raw) if scheme.lower() in ("bearer", "token") else None
        if user is None:
            return JsonResponse({"error": ERR_AUTH}, status=401)
        request.user = user
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as exc:
            return JsonResponse({"error": str(exc) or "Forbidden."}, status=403)
        except Http404 as exc:
            return JsonResponse({"error": str(exc) or "Not found."}, status=404)

    return wrapper


def _read_body(request: HttpRequest) -> bytes:
    """The raw body, read in chunks and refused as soon as it passes the size limit."""
    check_declared_length(length=int(request.META.get("CONTENT_LENGTH") or 0), slack=0)
    parts, total = [], 0
    while chunk := request.read(CHUNK):
        total += len(chunk)
        check_size(size=total)
        parts.append(chunk)
    return b"".join(parts)


def submission_json(request: HttpRequest, submission: Any, *, duplicate: bool = False) -> dict[str, Any]:
    job = selectors.job_latest(submission=submission)
    status = selectors.job_status(job=job, assignment=submission.assignment) if job else None
    data: dict[str, Any] = {
        "id": submission.pk,
        "assignment": submission.assignment.key,
        "notebook": submission.stem,
        "content_hash": submission.content_hash,
        "size": submission.size,
        "submitted_at": submission.submitted_at.isoformat(),
        "late": submission.is_late,
        "duplicate": duplicate,
        "url": request.build_absolute_uri(reverse("homework:submission", kwargs={"pk": submission.pk})),
        "state": status.state if status else None,
        "progress": {"percent": status.percent, "label": status.label} if status else None,
    }
    if status and status.is_final:
        data["score"] = status.score
        data["max_score"] = status.max_score
        data["tests"] = [
            {
                "grade_id": t.grade_id,
                "status": t.status,
                "score": t.score,
                "max_score": t.max_score,
                "message": t.message,
            }
            for t in status.tests
        ]
        data["error"] = job.error or None
    return data


@require_GET
@token_required
def api_assignments(request: HttpRequest) -> JsonResponse:
    offering = offering_current()
    check_homework_reader(request.user, offering)
    rows = (
        selectors.assignment_list(offering=offering, user=request.user, include_unreleased=False)
        if offering
        else []
    )
    own = (
        deadlines_for(offering=offering, items=[r["assignment"].item for r in rows], users=[request.user])
        if offering
        else {}
    )
    due = {item_id: d.due_at for (item_id, _), d in own.items()}
    items = [
        {
            "key": r["assignment"].key,
            "title": r["assignment"].item.title,
            "due_at": due[r["assignment"].item_id].isoformat() if due[r["assignment"].item_id] else None,
            "notebooks": [f"{stem}.ipynb" for stem in r["assignment"].notebooks],
            "submit_url": request.build_absolute_uri(
                reverse("homework:api_submit", kwargs={"key": r["assignment"].key})
            ),
        }
        for r in rows
    ]
    return JsonResponse({"assignments": items})


@require_POST
@token_required
def api_submit(request: HttpRequest, key: str) -> JsonResponse:
    assignment = access_assignment(request.user, key)
    try:
        if request.content_type == "multipart/form-data":
            check_declared_length(length=int(request.META.get("CONTENT_LENGTH") or 0))
            upload = request.FILES.get("notebook")
            if upload is None:
                raise SubmissionRejected("Send the notebook in a multipart field named 'notebook'.")
            check_size(size=upload.size)
            filename, data = upload.name, upload.read()
        else:
            data = _read_body(request)
            filename = request.headers.get("X-Filename", "")
        outcome = submission_create(
            user=request.user, assignment=assignment, filename=filename, data=data, via="api"
        )
    except SubmissionRejected as exc:
        return JsonResponse({"error": str(exc)}, status=exc.status)
    body = submission_json(request, outcome.submission, duplicate=outcome.duplicate)
    return JsonResponse(body, status=200 if outcome.duplicate else 201)


@require_GET
@token_required
def api_submission(request: HttpRequest, pk: int) -> JsonResponse:
    submission = access_submission(request.user, pk)
    return JsonResponse(submission_json(request, submission))


@require_login
def tokens(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        try:
            secret = api_token_create(user=request.user, name=form.cleaned_data["name"]).secret
            form = TokenForm()
        except ValueError as exc:
            form.add_error("name", str(exc))
    context = {
        "form": form,
        "secret": secret,
        "tokens": ApiToken.objects.filter(user=request.user),
        "api_root": request.build_absolute_uri(reverse("homework:api_assignments")),
    }
    return render(request, "homework/tokens.html", context)


@require_login
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        api_token_revoke(user=request.user, token_id=pk)
        messages.success(request, "Token revoked; it no longer works.")
    except ValueError as exc:
        messages.error(request, str(exc))
    return redirect("homework:tokens")
