"""The parsed book as plain data: table of contents, body blocks, pages, references and the import report.

The seed-format parser (`seedformat.py`) produces `Block`s; `pages.py` groups them into `Page`s (one per x.y
subsection, plus section and chapter landing pages); `render.py` fills each page's HTML and search text.  The
Django app stores these objects; nothing here knows about Django.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class TocEntry:
    """One table-of-contents line: a chapter ("Chapter: 2 ...") or a numbered heading ("3.4.1 ...")."""

    number: str  # "2" for chapters, "3.4.1" for headings
    title: str
    level: int  # 0 chapter, 1 section, 2 subsection, 3 sub-subsection
    page: int | None = None
    matched_line: int | None = None  # body line (1-based) where the heading was found

    @property
    def key(self) -> str:
        return f"ch{self.number}" if self.level == 0 else self.number


@dataclass(slots=True)
class Block:
    """One element of the body.

    kind is one of: chapter, heading, paragraph, pseudo, list_item, math, code, algorithm, table, figure,
    caption_table, caption_algorithm, footnote, placeholder, qed.
    """

    kind: str
    text: str = ""
    line: int = 0
    number: str | None = None  # heading/chapter number, equation number, footnote number, figure/table number
    level: int = 0  # heading level; list nesting depth
    rows: list[list[str]] = field(default_factory=list)  # table rows (first row is the header)
    caption: str | None = None  # table/figure caption text (after "Table N." / "Figure N.")
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Reference:
    key: str  # "chernozhukov2018", "chernozhukov2024a"
    text: str  # the entry as written (inline markup kept)
    surname: str
    year: str  # "2024a"
    line: int = 0


@dataclass(slots=True)
class Anchor:
    kind: str  # "eq", "fig", "tab", "thm", "sec", "fn"
    key: str  # "13", "6-3-4", "5", "12-2", "3-4-1"
    label: str  # "(13)", "Figure 6.3.4", "Table 5", "Theorem 12.2", "3.4.1 Linear Regression"

    @property
    def html_id(self) -> str:
        return f"{self.kind}-{self.key}" if self.kind != "sec" else f"s-{self.key}"


@dataclass(slots=True)
class Page:
    """A page of the book: a chapter landing page, a section landing page or an x.y subsection page."""

    kind: str  # "chapter", "section", "subsection"
    number: str  # "3", "3.4"; for chapters the chapter number
    title: str
    slug: str  # "ch-2", "3", "3-4"
    chapter: str  # chapter number this page belongs to
    title_html: str = ""  # the title with its math rendered
    parent_slug: str | None = None
    blocks: list[Block] = field(default_factory=list)
    children: list[str] = field(default_factory=list)  # slugs of child pages, in order
    html: str = ""
    text: str = ""  # plain text for search (headings, prose, table cells)
    math_text: str = ""  # TeX with commands stripped, for search ("hat tau DM")
    anchors: list[Anchor] = field(default_factory=list)
    footnotes: list[tuple[str, str]] = field(default_factory=list)  # (number, html) rendered at the page end
    headings: list[TocEntry] = field(default_factory=list)  # x.y.z parts shown as in-page anchors


@dataclass(slots=True)
class ImportReport:
    chapters: int = 0
    headings_matched: int = 0
    headings_total: int = 0
    equations: int = 0
    tables: int = 0
    problems: list[str] = field(default_factory=list)
    math_errors: list[str] = field(default_factory=list)

    def problem(self, line: int, message: str) -> None:
        self.problems.append(f"line {line}: {message}" if line else message)

    def summary(self) -> str:
        return (
            f"chapters: {self.chapters}, headings: {self.headings_matched}/{self.headings_total} matched, "
            f"equations: {self.equations}, tables: {self.tables}, problems: {len(self.problems)}"
        )

    def lines(self) -> list[str]:
        out = [f"could not place: {p}" for p in self.problems]
        out += [f"math error: {e}" for e in self.math_errors]
        out.append(self.summary())
        return out


@dataclass(slots=True)
class Book:
    title: str
    subtitle: str = ""
    front_matter: list[str] = field(default_factory=list)  # title-block lines after the title
    title_footnote: str = ""  # source text of the title's footnote (`*` in the title block)
    title_footnote_html: str = ""
    toc: list[TocEntry] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    references_html: str = ""
    report: ImportReport = field(default_factory=ImportReport)

    def page(self, slug: str) -> Page:
        for page in self.pages:
            if page.slug == slug:
                return page
        raise KeyError(slug)

    def page_for_anchor(self, html_id: str) -> Page | None:
        for page in self.pages:
            if any(a.html_id == html_id for a in page.anchors):
                return page
        return None
