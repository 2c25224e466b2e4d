"""Writes for the notes book: store an imported book, keep the search index in step, build scribed books.

- `book_import(offering=..., text=...)` parses and renders a notes text file with `lecture_notes` and replaces
  the offering's book; importing the same file twice changes nothing (the source hash is compared).
- `book_sync_scribed(offering=...)` makes the offering's published scribed notes its book pages, ordered by
  session (after the chapters of an imported book, which keeps its own structure).
- The search index is an FTS5 table on SQLite and the `search_vector` column (GIN-indexed) on PostgreSQL.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.contrib.postgres.search import SearchVector
from django.db import connection, transaction
from django.urls import reverse

from courseweb.courses.models import Offering
from lecture_notes.document import Book as ParsedBook
from lecture_notes.importer import import_notes
from lecture_notes.markdown_notes import render_markdown

from .models import Book, BookAnchor, BookKind, BookPage, NoteStatus, PageKind, ScribedNote

SESSION_POSITION_BASE = 100_000
ERROR_IMPORTED_BOOK = "This offering's book was imported from a notes file; import it again to change it."


@dataclass(frozen=True)
class ImportResult:
    book: Book
    changed: bool
    report_lines: list[str]


def references_url(offering: Offering) -> str:
    return reverse("notes:references", kwargs={"season": offering.slug})


@transaction.atomic
def book_import(*, offering: Offering, text: str) -> ImportResult:
    """Import a notes text file as the offering's book (idempotent by content)."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    existing = Book.objects.filter(offering=offering).first()
    if existing is not None and existing.source_sha256 == digest and existing.kind == BookKind.IMPORTED:
        return ImportResult(book=existing, changed=False, report_lines=existing.import_report.splitlines())
    parsed = import_notes(text, references_href=references_url(offering))
    book = existing or Book(offering=offering)
    book.kind = BookKind.IMPORTED
    book.title = parsed.title
    book.front_matter = parsed.front_matter
    book.title_footnote_html = parsed.title_footnote_html
    book.references_html = parsed.references_html
    book.import_report = "\n".join(parsed.report.lines())
    book.source_sha256 = digest
    book.save()
    book.pages.filter(note__isnull=True).delete()
    _store_parsed_pages(book=book, parsed=parsed)
    book_index(book=book)
    return ImportResult(book=book, changed=True, report_lines=parsed.report.lines())


def _store_parsed_pages(*, book: Book, parsed: ParsedBook) -> None:
    by_slug: dict[str, BookPage] = {}
    anchors: list[BookAnchor] = []
    for position, page in enumerate(parsed.pages, start=1):
        row = BookPage.objects.create(
            book=book,
            slug=page.slug,
            kind=page.kind,
            number=page.number,
            title=page.title,
            title_html=page.title_html,
            position=position,
            parent=by_slug.get(page.parent_slug or ""),
            html=page.html,
            footnotes=[list(f) for f in page.footnotes],
            headings=[[h.number, h.title, "s-" + h.number.replace(".", "-")] for h in page.headings],
            text=page.text,
            math_text=page.math_text,
        )
        by_slug[page.slug] = row
        anchors += [
            BookAnchor(book=book, page=row, html_id=a.html_id, kind=a.kind, label=a.label[:300])
            for a in page.anchors
        ]
    BookAnchor.objects.bulk_create(anchors)


@transaction.atomic
def book_sync_scribed(*, offering: Offering) -> Book:
    """Make the offering's published notes its book pages (one per note, ordered by session)."""
    book, _ = Book.objects.get_or_create(
        offering=offering, defaults={"kind": BookKind.SCRIBED, "title": f"{offering.title}: lecture notes"}
    )
    published = list(
        ScribedNote.objects.filter(
            offering=offering, status=NoteStatus.PUBLISHED, published_version__isnull=False
        )
        .select_related("session", "published_version")
        .order_by("session__number")
    )
    book.pages.filter(note__isnull=False).exclude(note__in=published).delete()
    for note in published:
        version = note.published_version
        assert version is not None
        rendered = render_markdown(version.markdown)
        title = note.title or rendered.title or note.session.topic
        page, _ = BookPage.objects.update_or_create(
            book=book,
            note=note,
            defaults={
                "slug": f"session-{note.session.number}",
                "kind": PageKind.SESSION,
                "number": str(note.session.number),
                "title": title,
                "title_html": "",
                "position": SESSION_POSITION_BASE + note.session.number,
                "html": version.html,
                "footnotes": [],
                "headings": [
                    [level, text, html_id] for level, text, html_id in rendered.headings if level != "h1"
                ],
                "text": version.text,
                "math_text": version.math_text,
            },
        )
        page.anchors.all().delete()
        BookAnchor.objects.bulk_create(
            BookAnchor(book=book, page=page, html_id=a.html_id, kind=a.kind, label=a.label[:300])
            for a in rendered.anchors
        )
    book.save()
    book_index(book=book)
    return book


def book_index(*, book: Book) -> None:
    """Rebuild the book's full-text index for this database."""
    if connection.vendor == "postgresql":
        BookPage.objects.filter(book=book).update(
            search_vector=SearchVector("title", weight="A", config="english")
            + SearchVector("text", weight="B", config="english")
            + SearchVector("math_text", weight="C", config="english")
        )
        return
    if connection.vendor == "sqlite":
        rows = BookPage.objects.filter(book=book).values_list("id", "title", "text", "math_text")
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM notes_bookpage_fts WHERE book_id = %s", [book.pk])
            cursor.executemany(
                "INSERT INTO notes_bookpage_fts (page_id, book_id, title, body, math) VALUES (%s, %s, %s, %s, %s)",
                [(pk, book.pk, title, text, math) for pk, title, text, math in rows],
            )
