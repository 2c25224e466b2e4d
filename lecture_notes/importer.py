"""Import a scribed-notes text file into a rendered `Book` (plain Python; the Django command stores it).

    book = import_notes(text, references_href="/notes/s25/references/")
    print("\\n".join(book.report.lines()))   # ends with "chapters: C, headings: H/T matched, ..."

Steps: `seedformat.scan_book` (title block, TOC, body blocks with TOC-validated headings) ->
`repair.repair_blocks` (code fences, footnotes, equation numbers, page-break re-joins, captions) ->
`bibliography.parse_references` -> `pages.build_pages` -> `render.render_book` (HTML with KaTeX math).
"""

from __future__ import annotations

from pathlib import Path

from lecture_notes.bibliography import parse_references
from lecture_notes.document import Book
from lecture_notes.pages import build_pages
from lecture_notes.render import render_book
from lecture_notes.repair import repair_blocks
from lecture_notes.seedformat import scan_book


def import_notes(text: str, *, references_href: str = "references/") -> Book:
    """Parse and render a whole notes file; problems are listed in `book.report`, never raised."""
    book, reference_lines = scan_book(text)
    report = book.report
    blocks, footnotes = repair_blocks(book.blocks, report=report)
    book.blocks = blocks
    book.references = parse_references(reference_lines)
    book.pages = build_pages(blocks, report=report)
    report.chapters = sum(1 for page in book.pages if page.kind == "chapter")
    report.headings_total = len(book.toc)
    report.headings_matched = sum(1 for entry in book.toc if entry.matched_line is not None)
    render_book(book, footnotes=footnotes, references_href=references_href)
    return book


def import_notes_file(path: str | Path, *, references_href: str = "references/") -> Book:
    return import_notes(Path(path).read_text(encoding="utf-8"), references_href=references_href)
