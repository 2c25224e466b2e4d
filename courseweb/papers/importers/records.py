"""Normalized paper records produced by every importer, and the identifier helpers they share.

Plain Python (no Django): an importer turns one source text into a `ParseResult` holding `PaperRecord`s
(title, authors, date with its precision, venue, arXiv id, DOI, abstract, url, tags, provenance) and the
lines it rejected, with reasons.  The catalogue service stores the records; nothing here touches a database.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from enum import StrEnum


class DatePrecision(StrEnum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"


class Flag(StrEnum):
    """Data-quality flags shown as badges in the catalogue."""

    NEEDS_METADATA = "needs-metadata"
    NO_TITLE = "no-title"
    NO_ABSTRACT = "no-abstract"
    AUTHORS_TRUNCATED = "authors-truncated"
    YEAR_INFERRED = "year-inferred"
    UNEXPANDED_MACROS = "unexpanded-macros"


@dataclass(kw_only=True)
class PaperRecord:
    """One paper as read from one source, normalized but not yet deduplicated."""

    source: str
    source_line: int
    raw: str
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    authors_truncated: bool = False
    author_affil_hint: str | None = None
    date: dt.date | None = None
    date_precision: DatePrecision | None = None
    date_raw: str = ""
    year_inferred: bool = False
    venue: str | None = None
    comments: list[str] = field(default_factory=list)
    arxiv_id: str | None = None
    doi: str | None = None
    arxiv_category: str | None = None
    source_score: float | None = None
    abstract: str = ""
    abstract_raw: str = ""
    url: str | None = None
    tags: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)

    @property
    def year(self) -> int | None:
        return self.date.year if self.date else None

    @property
    def title_key(self) -> str | None:
        return title_key(self.title)

    def add_flag(self, flag: Flag) -> None:
        if flag.value not in self.flags:
            self.flags.append(flag.value)

    def finalize(self) -> PaperRecord:
        """Derive the url and the quality flags from the fields; every importer calls this last."""
        if self.arxiv_id and not self.url:
            self.url = f"https://arxiv.org/abs/{self.arxiv_id}"
        elif self.doi and not self.url:
            self.url = f"https://doi.org/{self.doi}"
        if not self.title:
            self.add_flag(Flag.NO_TITLE)
        if not self.abstract:
            self.add_flag(Flag.NO_ABSTRACT)
        if not self.title and not self.abstract:
            self.add_flag(Flag.NEEDS_METADATA)
        if self.authors_truncated:
            self.add_flag(Flag.AUTHORS_TRUNCATED)
        if self.year_inferred:
            self.add_flag(Flag.YEAR_INFERRED)
        return self

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["date"] = self.date.isoformat() if self.date else None
        data["date_precision"] = self.date_precision.value if self.date_precision else None
        data["title_key"] = self.title_key
        return data


@dataclass(kw_only=True)
class Rejected:
    """A stretch of the source that produced no record, and why."""

    line: int
    text: str
    reason: str


@dataclass(kw_only=True)
class ParseResult:
    format: str
    records: list[PaperRecord] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class FormatError(ValueError):
    """The text is not in the format the importer was asked to read."""


# --- identifiers -------------------------------------------------------------------------------------------

# New-style ids (0704.0001 onward, 5 digits since 1501) and old-style ids such as hep-th/9901001.
ARXIV_NEW = r"\d{4}\.\d{4,5}"
ARXIV_OLD = r"[a-z][a-z\-]+(?:\.[A-Z]{2})?/\d{7}"
ARXIV_ID_RE = re.compile(rf"(?P<id>{ARXIV_NEW}|{ARXIV_OLD})(?:v(?P<version>\d+))?")
_ARXIV_FULL_RE = re.compile(rf"^(?:arxiv:)?(?P<id>{ARXIV_NEW}|{ARXIV_OLD})(?:v\d+)?$", re.IGNORECASE)
DOI_RE = re.compile(r"10\.\d{4,9}/[^\s\"<>]+")


def normalize_arxiv_id(value: str | None) -> str | None:
    """Return the id without prefix or version ("arXiv:2507.10890v2" -> "2507.10890"), or None."""
    if not value:
        return None
    text = value.strip()
    text = re.sub(r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/", "", text, flags=re.IGNORECASE)
    text = re.sub(r"\.pdf$", "", text, flags=re.IGNORECASE)
    match = _ARXIV_FULL_RE.match(text)
    if not match:
        return None
    found = match.group("id")
    if "/" not in found and not new_style_id_is_valid(found):
        return None
    if "/" in found:
        archive, number = found.split("/", 1)
        return f"{archive.lower()}/{number}"
    return found


def normalize_doi(value: str | None) -> str | None:
    """Return the bare lowercase DOI ("https://doi.org/10.1287/MKSC.1" -> "10.1287/mksc.1"), or None."""
    if not value:
        return None
    text = value.strip()
    text = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", text, flags=re.IGNORECASE)
    match = DOI_RE.match(text)
    if not match:
        return None
    return match.group(0).rstrip(".,;)]}").lower()


def new_style_id_is_valid(arxiv_id: str) -> bool:
    """YYMM.NNNN until 2014, YYMM.NNNNN from 1501 on, and a real month."""
    yymm, number = arxiv_id.split(".", 1)
    return 1 <= int(yymm[2:]) <= 12 and len(number) == (5 if int(yymm) >= 1501 else 4)


def arxiv_id_month(arxiv_id: str) -> dt.date | None:
    """The first day of the submission month encoded in an id's YYMM, or None if it is not a month."""
    number = arxiv_id.split("/", 1)[1] if "/" in arxiv_id else arxiv_id
    yy, mm = int(number[:2]), int(number[2:4])
    if not 1 <= mm <= 12:
        return None
    year = 1900 + yy if yy >= 91 else 2000 + yy
    return dt.date(year, mm, 1)


def title_key(title: str | None) -> str | None:
    """Lowercase alphanumeric words of a title (accents, TeX and punctuation removed); None when empty."""
    if not title:
        return None
    text = re.sub(r"\\[a-zA-Z]+", " ", title)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    words = re.findall(r"[a-z0-9]+", text.lower())
    return " ".join(words) or None


def split_lines(text: str) -> list[str]:
    """Lines without their endings; tolerant of CRLF, a BOM and a missing final newline."""
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
