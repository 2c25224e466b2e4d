"""Reads for the notes book and the scribing workflow (pages, navigation, anchors, notes, diffs)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from courseweb.courses.models import Offering
from courseweb.groups.models import Group
from courseweb.lectures.models import Session

from .models import Book, BookAnchor, BookPage, NoteEvent, NoteVersion, ScribedNote


@dataclass(frozen=True)
class TocNode:
    page: BookPage
    children: list[TocNode]


@dataclass(frozen=True)
class PageNav:
    previous: BookPage | None
    next: BookPage | None
    parent: BookPage | None
    children: list[BookPage]


def book_list() -> QuerySet[Book]:
    return Book.objects.select_related("offering").order_by("-offering__is_current", "-offering__slug")


def book_get(*, season: str) -> Book:
    book = Book.objects.select_related("offering").filter(offering__slug=season.lower()).first()
    if book is None:
        raise Http404("There is no notes book for this offering.")
    return book


def _outline(book: Book) -> QuerySet[BookPage]:
    return BookPage.objects.filter(book=book).only(
        "id", "slug", "kind", "number", "title", "title_html", "position", "parent_id", "headings", "book_id"
    )


def book_toc(*, book: Book) -> list[TocNode]:
    """The table of contents as a tree (chapters > sections > subsections; session pages at the top level)."""
    pages = list(_outline(book))
    children: dict[int | None, list[BookPage]] = {}
    for page in pages:
        children.setdefault(page.parent_id, []).append(page)

    def build(parent_id: int | None) -> list[TocNode]:
        return [TocNode(page=p, children=build(p.pk)) for p in children.get(parent_id, [])]

    return build(None)


def page_get(*, book: Book, slug: str) -> BookPage:
    page = BookPage.objects.filter(book=book, slug=slug).select_related("parent").first()
    if page is None:
        raise Http404("No such page in this book.")
    return page


def page_nav(*, page: BookPage) -> PageNav:
    """Previous and next pages in reading order, the parent and the children (for landing pages)."""
    outline = _outline(page.book)
    previous = outline.filter(position__lt=page.position).order_by("-position").first()
    nxt = outline.filter(position__gt=page.position).order_by("position").first()
    return PageNav(
        previous=previous, next=nxt, parent=page.parent, children=list(outline.filter(parent=page))
    )


def book_pages_full(*, book: Book) -> QuerySet[BookPage]:
    """Every page with its HTML, in reading order (the print view)."""
    return BookPage.objects.filter(book=book).order_by("position")


def anchor_find(*, book: Book, html_id: str) -> BookAnchor:
    anchor = BookAnchor.objects.filter(book=book, html_id=html_id).select_related("page").first()
    if anchor is None:
        raise Http404("No such anchor in this book.")
    return anchor


def session_scribing_group(*, session: Session) -> Group | None:
    """The group that scribes the session: the staff's assignment, else the sign-up's group."""
    note = ScribedNote.objects.filter(session=session).select_related("group").first()
    if note is not None and note.group is not None:
        return note.group
    return session.scribing_group


def sessions_for_scribing(*, offering: Offering) -> list[Session]:
    """All sessions with `note` (or None) and `assigned_group` attached, for the staff overview."""
    sessions = list(
        Session.objects.filter(offering=offering).select_related("scribing_group").order_by("number")
    )
    notes = {
        n.session_id: n
        for n in ScribedNote.objects.filter(offering=offering).select_related("group", "published_version")
    }
    for session in sessions:
        session.note = notes.get(session.pk)
        session.assigned_group = (
            session.note.group if session.note and session.note.group else session.scribing_group
        )
    return sessions


def sessions_scribed_by(*, group: Group) -> list[Session]:
    return [s for s in sessions_for_scribing(offering=group.offering) if s.assigned_group == group]


def note_detail(*, note_id: int) -> ScribedNote:
    return (
        ScribedNote.objects.select_related("session", "group", "offering", "published_version")
        .prefetch_related(
            Prefetch(
                "versions", queryset=NoteVersion.objects.select_related("created_by").order_by("-number")
            ),
            Prefetch("events", queryset=NoteEvent.objects.select_related("author", "version")),
        )
        .get(pk=note_id)
    )


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "add", "del", "hunk", "same"
    text: str


def version_diff(*, old: NoteVersion, new: NoteVersion, context: int = 3) -> list[DiffLine]:
    """A unified diff of the Markdown sources of two versions."""
    lines = difflib.unified_diff(
        old.markdown.splitlines(),
        new.markdown.splitlines(),
        fromfile=f"version {old.number}",
        tofile=f"version {new.number}",
        lineterm="",
        n=context,
    )
    out = []
    for line in lines:
        if line.startswith(("+++", "---")):
            continue
        kind = (
            "hunk"
            if line.startswith("@@")
            else "add"
            if line[:1] == "+"
            else "del"
            if line[:1] == "-"
            else "same"
        )
        out.append(DiffLine(kind=kind, text=line))
    return out


def note_page_for_session(*, session: Session) -> BookPage | None:
    """The published book page of a session's scribed note (for the schedule's session page), or None."""
    return (
        BookPage.objects.filter(note__session=session, note__status="published")
        .select_related("book__offering")
        .only("slug", "title", "book__offering__slug")
        .first()
    )
