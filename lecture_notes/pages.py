"""Group the repaired body blocks into pages: one per x.y subsection, landing pages for sections and chapters.

- A chapter page holds what comes between `Chapter N:` and its first section (e.g. a chapter's preface).
- A section page (x) holds what comes before its first x.y, and links to its subsections.
- A subsection page (x.y) holds its text and its x.y.z parts, which become in-page anchors `#s-x-y-z`.
Every heading must own some content, directly or through its children; the importer reports the ones that
do not, and anything before the first chapter.
"""

from __future__ import annotations

from lecture_notes.document import Block, ImportReport, Page, TocEntry


def page_slug(kind: str, number: str) -> str:
    return f"ch-{number}" if kind == "chapter" else number.replace(".", "-")


def build_pages(blocks: list[Block], *, report: ImportReport) -> list[Page]:
    pages: list[Page] = []
    chapter: Page | None = None
    section: Page | None = None
    current: Page | None = None
    for block in blocks:
        if block.kind == "chapter":
            chapter = Page(
                kind="chapter",
                number=block.number or "",
                title=block.text,
                slug=page_slug("chapter", block.number or ""),
                chapter=block.number or "",
            )
            pages.append(chapter)
            section = None
            current = chapter
            continue
        if block.kind == "heading" and block.level <= 2 and chapter is not None:
            kind = "section" if block.level == 1 else "subsection"
            parent = chapter if kind == "section" or section is None else section
            page = Page(
                kind=kind,
                number=block.number or "",
                title=block.text,
                slug=page_slug(kind, block.number or ""),
                chapter=chapter.number,
                parent_slug=parent.slug,
            )
            parent.children.append(page.slug)
            pages.append(page)
            if kind == "section":
                section = page
            current = page
            continue
        if current is None:
            report.problem(block.line, f"text before the first chapter: {block.kind}")
            continue
        if block.kind == "heading":
            current.headings.append(
                TocEntry(
                    number=block.number or "", title=block.text, level=block.level, matched_line=block.line
                )
            )
        current.blocks.append(block)
    _check_bodies(pages, report)
    return pages


def _check_bodies(pages: list[Page], report: ImportReport) -> None:
    by_slug = {page.slug: page for page in pages}

    def has_content(page: Page) -> bool:
        own = any(b.kind != "heading" for b in page.blocks)
        return own or any(has_content(by_slug[c]) for c in page.children)

    for page in pages:
        if not has_content(page):
            report.problem(0, f"heading {page.number} {page.title!r} has no body")
        for i, block in enumerate(page.blocks):
            if block.kind != "heading":
                continue
            rest = page.blocks[i + 1 :]
            body = next((b for b in rest if b.kind != "heading" or b.level <= block.level), None)
            if body is None or body.kind == "heading":
                report.problem(block.line, f"heading {block.number} {block.text!r} has no body")
