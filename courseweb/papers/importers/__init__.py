"""Paper-list importers (plain Python, no Django): one module per source format, and format detection.

``parse_text(text=..., fmt=None)`` detects the format when it is not given and returns a ``ParseResult``:
normalized ``PaperRecord``s with provenance (format and line) plus the rejected stretches with reasons.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from courseweb.papers.importers import arxiv_listing, bibtex, identifiers, scholar, trending
from courseweb.papers.importers.detect import DetectionError, detect_format
from courseweb.papers.importers.records import (
    DatePrecision,
    Flag,
    FormatError,
    PaperRecord,
    ParseResult,
    Rejected,
    normalize_arxiv_id,
    normalize_doi,
    title_key,
)

PARSERS: dict[str, Callable[..., ParseResult]] = {
    scholar.FORMAT: scholar.parse,
    arxiv_listing.FORMAT: arxiv_listing.parse,
    trending.FORMAT: trending.parse,
    bibtex.FORMAT: bibtex.parse,
    identifiers.FORMAT: identifiers.parse,
}
FORMAT_CHOICES: tuple[str, ...] = tuple(PARSERS)
UNKNOWN_FORMAT = "unknown format '{fmt}'; choose one of: {choices}"


def parse_text(
    *, text: str, fmt: str | None = None, filename: str | None = None, capture_date: dt.date | None = None
) -> ParseResult:
    """Parse one source text with the named importer, or the detected one when ``fmt`` is None.

    ``capture_date`` is the day the page was copied; pages that omit the current year (scholar profiles)
    take their missing years from it.
    """
    name = fmt or detect_format(text=text, filename=filename)
    if name not in PARSERS:
        raise FormatError(UNKNOWN_FORMAT.format(fmt=name, choices=", ".join(FORMAT_CHOICES)))
    if name == scholar.FORMAT:
        return scholar.parse(text=text, capture_date=capture_date)
    return PARSERS[name](text=text)


__all__ = [
    "FORMAT_CHOICES",
    "PARSERS",
    "DatePrecision",
    "DetectionError",
    "Flag",
    "FormatError",
    "PaperRecord",
    "ParseResult",
    "Rejected",
    "detect_format",
    "normalize_arxiv_id",
    "normalize_doi",
    "parse_text",
    "title_key",
]
