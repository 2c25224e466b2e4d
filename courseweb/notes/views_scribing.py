"""Scribing workflow pages: my notes / staff overview, the editor with preview, review, history and diffs."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from courseweb.access import check_enrolled, is_course_staff, require_login
from courseweb.access.notes import (
    access_note,
    access_note_review,
    access_scribing_staff,
    access_session_scribe,
    can_review_note,
)
from courseweb.courses.selectors import offering_current
from courseweb.groups.selectors import group_for_user

from . import scribing
from .forms import AssignForm, CommentForm, NoteEditForm, ReviewForm
from .models import NoteStatus, ScribedNote
from .selectors import sessions_for_scribing, sessions_scribed_by, version_diff


@require_login
def scribe_home(request: HttpRequest) -> HttpResponse:
    offering = offering_current()
    if offering is None:
        raise Http404("No course offering yet.")
    check_enrolled(request.user, offering)
    staff = is_course_staff(request.user, offering)
    group = group_for_user(user=request.user, offering=offering, members=False)
    context = {"offering": offering, "staff": staff, "group": group}
    if staff:
        context["sessions"] = sessions_for_scribing(offering=offering)
        context["assign_form"] = AssignForm(offering=offering)
    else:
        context["sessions"] = sessions_scribed_by(group=group) if group else []
    return render(request, "notes/scribe_home.html", context)


@require_login
def note_edit(request: HttpRequest, session_id: int) -> HttpResponse:
    session = access_session_scribe(request.user, session_id)
    note = scribing.note_for_session(session=session)
    latest = note.versions.order_by("-number").first()
    preview = None
    if request.method == "POST":
        form = NoteEditForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if request.POST.get("action") == "submit":
                    scribing.note_version_create(
                        note=note,
                        author=request.user,
                        markdown=data["markdown"],
                        tex=data["tex"],
                        title=data["title"],
                    )
                    messages.success(request, "Your note was submitted for review.")
                    return redirect("notes:note_detail", note_id=note.pk)
                source, preview = scribing.note_preview(markdown=data["markdown"], tex=data["tex"])
                form = NoteEditForm(initial={"title": data["title"], "markdown": source})
            except ValidationError as exc:
                form.add_error(None, exc)
    else:
        form = NoteEditForm(initial={"title": note.title, "markdown": latest.markdown if latest else ""})
    return render(
        request,
        "notes/note_edit.html",
        {"session": session, "note": note, "form": form, "preview": preview, "offering": session.offering},
    )


@require_login
@require_POST
def note_assign_view(request: HttpRequest, session_id: int) -> HttpResponse:
    session = access_scribing_staff(request.user, session_id)
    form = AssignForm(request.POST, offering=session.offering)
    if form.is_valid():
        try:
            scribing.note_assign(session=session, group=form.cleaned_data["group"], actor=request.user)
            messages.success(
                request, f"Session {session.number} is scribed by {form.cleaned_data['group'].name}."
            )
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
    else:
        messages.error(request, "Choose a group.")
    return redirect("notes:scribe_home")


@require_login
def note_view(request: HttpRequest, note_id: int) -> HttpResponse:
    note = access_note(request.user, note_id)
    versions = list(note.versions.all())
    shown = versions[0] if versions else None
    if "v" in request.GET:
        shown = next((v for v in versions if str(v.number) == request.GET["v"]), shown)
    return render(
        request,
        "notes/note_detail.html",
        {
            "note": note,
            "versions": versions,
            "shown": shown,
            "events": list(note.events.all()),
            "can_review": can_review_note(request.user, note),
            "can_edit": note.status != NoteStatus.PUBLISHED or can_review_note(request.user, note),
            "review_form": ReviewForm(),
            "comment_form": CommentForm(),
            "offering": note.offering,
        },
    )


@require_login
@require_POST
def note_review(request: HttpRequest, note_id: int) -> HttpResponse:
    note = access_note_review(request.user, note_id)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose an action.")
        return redirect("notes:note_detail", note_id=note.pk)
    action, body = form.cleaned_data["action"], form.cleaned_data["body"]
    try:
        if action == "publish":
            scribing.note_publish(note=note, author=request.user, body=body)
            messages.success(request, "Published: the note is now part of the book.")
        elif action == "request_changes":
            scribing.note_request_changes(note=note, author=request.user, body=body)
            messages.success(request, "Changes requested; the group has been told.")
        else:
            scribing.note_comment(note=note, author=request.user, body=body)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    return redirect("notes:note_detail", note_id=note.pk)


@require_login
@require_POST
def note_comment_view(request: HttpRequest, note_id: int) -> HttpResponse:
    note = access_note(request.user, note_id)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            scribing.note_comment(note=note, author=request.user, body=form.cleaned_data["body"])
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
    return redirect("notes:note_detail", note_id=note.pk)


@require_login
def note_diff(request: HttpRequest, note_id: int, old: int, new: int) -> HttpResponse:
    note: ScribedNote = access_note(request.user, note_id)
    versions = {v.number: v for v in note.versions.all()}
    if old not in versions or new not in versions:
        raise Http404("No such version.")
    return render(
        request,
        "notes/note_diff.html",
        {
            "note": note,
            "old": versions[old],
            "new": versions[new],
            "lines": version_diff(old=versions[old], new=versions[new]),
            "offering": note.offering,
        },
    )
