"""Writes for the scribing workflow: assign, submit a version, comment, request changes, publish.

States of a `ScribedNote`: assigned -> submitted -> (changes_requested -> submitted)* -> published; a published
note may be revised (submitted again) and published again.  Every submission is a new immutable
`NoteVersion`; every step is a `NoteEvent`.  Who may call what is decided in `courseweb.access.notes`; these
functions check only the workflow's own rules and raise `ValidationError` with the messages below.

The group that scribes a session is the sign-up's group (`Session.scribing_group`) or, until sign-ups are
open, the group the staff assign here.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from courseweb.groups.models import Group
from courseweb.lectures.models import Session
from courseweb.notifications.events import note_reviewed
from lecture_notes.markdown_notes import RenderedNote, render_markdown
from lecture_notes.texconvert import tex_to_markdown

from .models import NoteEvent, NoteEventKind, NoteStatus, NoteVersion, ScribedNote, SourceFormat
from .services import book_sync_scribed

MAX_SOURCE_BYTES = 500_000
ERROR_EMPTY = "The note is empty."
ERROR_TOO_LARGE = f"The note is larger than {MAX_SOURCE_BYTES // 1000} KB."
ERROR_WRONG_GROUP = "That group belongs to another offering."
ERROR_NOT_SUBMITTED = "Only a submitted note can be sent back for changes."
ERROR_NOTHING_TO_PUBLISH = "Nothing has been submitted yet."
ERROR_EMPTY_COMMENT = "Write a comment first."
ERROR_UNCHANGED = "This version is identical to the previous one."


def _source_to_markdown(*, markdown: str | None, tex: str | None) -> tuple[str, str, str]:
    """(format, markdown, original tex) from what the scribe sent."""
    if tex is not None and tex.strip():
        if len(tex.encode("utf-8")) > MAX_SOURCE_BYTES:
            raise ValidationError(ERROR_TOO_LARGE)
        return SourceFormat.TEX, tex_to_markdown(tex), tex
    markdown = (markdown or "").replace("\r\n", "\n")
    if not markdown.strip():
        raise ValidationError(ERROR_EMPTY)
    if len(markdown.encode("utf-8")) > MAX_SOURCE_BYTES:
        raise ValidationError(ERROR_TOO_LARGE)
    return SourceFormat.MARKDOWN, markdown, ""


def note_preview(*, markdown: str | None = None, tex: str | None = None) -> tuple[str, RenderedNote]:
    """Render what the scribe typed or uploaded without saving it; returns (markdown, rendered)."""
    _, source, _ = _source_to_markdown(markdown=markdown, tex=tex)
    return source, render_markdown(source)


@transaction.atomic
def note_assign(*, session: Session, group: Group, actor) -> ScribedNote:
    """Staff assign a group to scribe a session (until the sign-up sheet does it)."""
    if group.offering_id != session.offering_id:
        raise ValidationError(ERROR_WRONG_GROUP)
    note, created = ScribedNote.objects.select_for_update(of=("self",)).get_or_create(
        session=session, defaults={"offering_id": session.offering_id, "group": group}
    )
    if not created and note.group_id != group.pk:
        note.group = group
        note.save(update_fields=["group", "updated_at"])
    NoteEvent.objects.create(
        note=note, kind=NoteEventKind.ASSIGNED, author=actor, body=f"Assigned to {group.name}."
    )
    return note


def note_for_session(*, session: Session) -> ScribedNote:
    """The session's note, created for the sign-up's group when it does not exist yet."""
    note = ScribedNote.objects.filter(session=session).select_related("group").first()
    if note is None:
        note, _ = ScribedNote.objects.get_or_create(
            session=session, defaults={"offering_id": session.offering_id, "group": session.scribing_group}
        )
    return note


@transaction.atomic
def note_version_create(
    *, note: ScribedNote, author, markdown: str | None = None, tex: str | None = None, title: str = ""
) -> NoteVersion:
    """Submit a new version for review (Markdown, or a .tex file converted to Markdown)."""
    fmt, source, original = _source_to_markdown(markdown=markdown, tex=tex)
    note = ScribedNote.objects.select_for_update(of=("self",)).get(pk=note.pk)
    last = note.versions.order_by("-number").first()
    if last is not None and last.markdown == source:
        raise ValidationError(ERROR_UNCHANGED)
    rendered = render_markdown(source)
    number = (note.versions.aggregate(m=Max("number"))["m"] or 0) + 1
    version = NoteVersion.objects.create(
        note=note,
        number=number,
        source_format=fmt,
        markdown=source,
        original_tex=original,
        html=rendered.html,
        text=rendered.text,
        math_text=rendered.math_text,
        math_errors=rendered.math_errors,
        created_by=author,
    )
    note.status = NoteStatus.SUBMITTED
    note.title = (title or rendered.title or note.title)[:300]
    note.save(update_fields=["status", "title", "updated_at"])
    NoteEvent.objects.create(note=note, version=version, kind=NoteEventKind.SUBMITTED, author=author)
    return version


@transaction.atomic
def note_comment(*, note: ScribedNote, author, body: str) -> NoteEvent:
    if not body.strip():
        raise ValidationError(ERROR_EMPTY_COMMENT)
    latest = note.versions.order_by("-number").first()
    return NoteEvent.objects.create(
        note=note, version=latest, kind=NoteEventKind.COMMENT, author=author, body=body
    )


@transaction.atomic
def note_request_changes(*, note: ScribedNote, author, body: str) -> NoteEvent:
    note = ScribedNote.objects.select_for_update(of=("self",)).get(pk=note.pk)
    if note.status != NoteStatus.SUBMITTED:
        raise ValidationError(ERROR_NOT_SUBMITTED)
    if not body.strip():
        raise ValidationError(ERROR_EMPTY_COMMENT)
    note.status = NoteStatus.CHANGES_REQUESTED
    note.save(update_fields=["status", "updated_at"])
    latest = note.versions.order_by("-number").first()
    event = NoteEvent.objects.create(
        note=note, version=latest, kind=NoteEventKind.CHANGES_REQUESTED, author=author, body=body
    )
    note_reviewed(note=note, published=False, body=body)
    return event


@transaction.atomic
def note_publish(*, note: ScribedNote, author, body: str = "") -> ScribedNote:
    """Publish the latest version: it joins the offering's book, ordered by session."""
    note = ScribedNote.objects.select_for_update(of=("self",)).get(pk=note.pk)
    latest = note.versions.order_by("-number").first()
    if latest is None:
        raise ValidationError(ERROR_NOTHING_TO_PUBLISH)
    note.status = NoteStatus.PUBLISHED
    note.published_version = latest
    note.published_at = timezone.now()
    note.save(update_fields=["status", "published_version", "published_at", "updated_at"])
    NoteEvent.objects.create(
        note=note, version=latest, kind=NoteEventKind.PUBLISHED, author=author, body=body
    )
    book_sync_scribed(offering=note.offering)
    note_reviewed(note=note, published=True, body=body)
    return note


@transaction.atomic
def notes_demo_load(*, offering) -> list[ScribedNote]:
    """Publish the demo course's own notes for their sessions (idempotent: unchanged notes are left alone)."""
    from lecture_notes.demo_notes import demo_notes

    loaded = []
    sessions = {s.number: s for s in Session.objects.filter(offering=offering)}
    for demo in demo_notes():
        session = sessions.get(demo.session)
        if session is None:
            continue
        note, _ = ScribedNote.objects.get_or_create(session=session, defaults={"offering": offering})
        latest = note.versions.order_by("-number").first()
        if latest is None or latest.markdown != demo.markdown:
            note_version_create(note=note, author=None, markdown=demo.markdown, title=demo.title)
            note.refresh_from_db()
        if (
            note.status != NoteStatus.PUBLISHED
            or note.published_version != note.versions.order_by("-number").first()
        ):
            note = note_publish(note=note, author=None, body="Demo notes loaded.")
        loaded.append(note)
    return loaded
