"""Pages for uploads that arrived after the session expired: keep the file, then offer it after logging in.

`anonymous_upload` answers an anonymous POST to a submit endpoint (the notebook upload, the item hand-in); `kept`
is the page the log-in sends the student back to: "Your session expired; we kept FILE. Submit it?".
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from courseweb.access import require_login
from courseweb.access.homework import access_assignment, access_item
from courseweb.accounts.backends import client_address

from . import quarantine
from .services.manual import deliverable_file_create
from .services.submissions import SubmissionRejected, submission_create

MSG_KEPT = "Your session expired. We kept {name} for one hour: log in and you can submit it with one click."
MSG_NOTHING_KEPT = "Your session expired, so nothing was uploaded. Log in and try again."
MSG_LINK_NOT_KEPT = (
    "Your session expired, so your link {url} was not handed in. Log in and hand it in again (it is here so you "
    "can copy it)."
)


def _back(kind: str, target: str) -> str:
    if kind == "assignment":
        return reverse("homework:assignment", kwargs={"key": target})
    return reverse("homework:item", kwargs={"slug": target})


def anonymous_upload(request: HttpRequest, *, kind: str, target: str, field: str) -> HttpResponse:
    """An anonymous request to a submit endpoint: keep a POSTed file, then send the visitor to log in."""
    if not quarantine.target_exists(kind=kind, target=target):
        raise Http404("No such homework.")
    back = _back(kind, target)
    if request.method != "POST":
        return redirect_to_login(back)
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        quarantine.check_kept_size(kind=kind, size=declared, slack=64 * 1024)
        upload = request.FILES.get(field)
        if upload is None:
            url = request.POST.get("url", "").strip()
            if url:
                messages.warning(request, MSG_LINK_NOT_KEPT.format(url=url[:500]))
            else:
                messages.info(request, MSG_NOTHING_KEPT)
            return redirect_to_login(back)
        kept = quarantine.upload_keep(
            kind=kind,
            target=target,
            filename=upload.name,
            data=upload.read(),
            label=request.POST.get("label", ""),
            address=client_address(request),
        )
    except SubmissionRejected as exc:
        context = {"reason": str(exc), "login_url": f"{reverse('login')}?next={back}"}
        return render(request, "homework/kept_refused.html", context, status=exc.status)
    quarantine.session_remember(request.session, kept)
    messages.info(request, MSG_KEPT.format(name=kept.filename))
    return redirect_to_login(reverse("homework:kept", kwargs={"token": quarantine.kept_token(kept)}))


@require_login
def kept(request: HttpRequest, token: str) -> HttpResponse:
    """Offer (GET) and submit or discard (POST) a file kept while the session was expired."""
    entry = quarantine.kept_from_token(token)
    if entry is None or not quarantine.session_owns(request.session, entry):
        return render(request, "homework/kept.html", {"gone": True}, status=404)
    if entry.kind == "assignment":
        target = access_assignment(request.user, entry.target)
        title = target.item.title
    else:
        target = access_item(request.user, entry.target)
        title = target.title
    back = _back(entry.kind, entry.target)
    error = ""
    if request.method == "POST":
        if request.POST.get("action") == "discard":
            quarantine.kept_discard(entry)
            quarantine.session_forget(request.session, entry)
            messages.info(request, f"{entry.filename} was discarded.")
            return redirect(back)
        data = quarantine.kept_read(entry)
        try:
            if entry.kind == "assignment":
                outcome = submission_create(
                    user=request.user, assignment=target, filename=entry.filename, data=data, via="web"
                )
            else:
                deliverable_file_create(
                    user=request.user,
                    item=target,
                    label=entry.label or entry.filename,
                    filename=entry.filename,
                    data=data,
                )
        except (SubmissionRejected, ValueError) as exc:
            error = str(exc)
        else:
            quarantine.kept_discard(entry)
            quarantine.session_forget(request.session, entry)
            if entry.kind == "item":
                messages.success(request, f"{entry.filename} handed in.")
                return redirect(back)
            if outcome.duplicate:
                messages.info(
                    request, "You already submitted exactly this notebook; here is that submission."
                )
            else:
                messages.success(request, "Submission stored. Grading has started.")
            return redirect("homework:submission", pk=outcome.submission.pk)
    context = {"kept": entry, "title": title, "back": back, "error": error}
    return render(request, "homework/kept.html", context, status=400 if error else 200)
