"""Importer for a scholar-profile page copied as text (Semantic Scholar style).

Structure: a header (name, counters such as "61 Papers"), then records.  Each record starts with a meta line
that glues an optional score, a two-letter arXiv subject and a date together (``98.2MLJun 2``,
``LGDec 30, 2025``); the next non-blank lines are the title, the authors (at most a few, maybe "et al.",
maybe a trailing ``· affiliation``) and the abstract.  Records are found by their meta lines, never by
position, and the header's paper count is reported, not trusted.

Dates without a year are this year's on such pages: the year is taken from ``capture_date`` when given,
otherwise it is one more than the latest explicit year on the page (never after today); either way the
record is flagged.  A date that would fall after the capture day belongs to the year before.
"""

from __future__ import annotations

import datetime as dt
import re

from courseweb.papers.importers.cleaning import clean_text, clean_title, set_abstract
from courseweb.papers.importers.records import (
    DatePrecision,
    FormatError,
    PaperRecord,
    ParseResult,
    Rejected,
    split_lines,
)

FORMAT = "scholar-profile"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
META_RE = re.compile(
    r"^(?P<score>\d{1,3}\.\d)?(?P<cat>[A-Z]{2})(?P<mon>" + "|".join(MONTHS) + r")\s+(?P<day>\d{1,2})"
    r"(?:,\s*(?P<year>\d{4}))?$"
)
CLAIMED_RE = re.compile(r"^(?P<count>\d[\d,]*)\s*Papers$", re.IGNORECASE)
# Two-letter subjects as the page shows them (archive prefix dropped) -> arXiv categories.
CATEGORIES = {
    "LG": "cs.LG",
    "AI": "cs.AI",
    "CL": "cs.CL",
    "CV": "cs.CV",
    "CR": "cs.CR",
    "CY": "cs.CY",
    "DS": "cs.DS",
    "GT": "cs.GT",
    "HC": "cs.HC",
    "IR": "cs.IR",
    "MA": "cs.MA",
    "NE": "cs.NE",
    "RO": "cs.RO",
    "SI": "cs.SI",
    "ML": "stat.ML",
    "ME": "stat.ME",
    "AP": "stat.AP",
    "CO": "stat.CO",
    "OC": "math.OC",
    "PR": "math.PR",
    "EM": "econ.EM",
    "TH": "econ.TH",
    "GN": "econ.GN",
    "SY": "eess.SY",
}
_ET_AL_RE = re.compile(r",?\s*et\s+al\.?$", re.IGNORECASE)
_NAME_RE = re.compile(r"^[^\W\d_][\w.'\-]*(?:\s+[\w.'\-]+){0,4}$")


def _looks_like_authors(line: str) -> bool:
    body = _ET_AL_RE.sub("", line.split("·")[0]).strip()
    if not body or (body.endswith(".") and not line.rstrip().endswith("al.")):
        return False
    names = [name.strip() for name in body.split(",")]
    return all(_NAME_RE.match(name) for name in names) and len(line) < 400


def _parse_authors(line: str, record: PaperRecord) -> None:
    main, _, affil = line.partition("·")
    if affil.strip():
        record.author_affil_hint = affil.strip()
    if _ET_AL_RE.search(main.strip()):
        record.authors_truncated = True
        main = _ET_AL_RE.sub("", main.strip())
    record.authors = [clean_text(name) for name in main.split(",") if name.strip()]


def _infer_year(explicit_years: list[int], capture_date: dt.date | None) -> int:
    if capture_date is not None:
        return capture_date.year
    this_year = dt.date.today().year
    return min(max(explicit_years) + 1, this_year) if explicit_years else this_year


def parse(*, text: str, source: str = FORMAT, capture_date: dt.date | None = None) -> ParseResult:
    lines = split_lines(text)
    starts = [i for i, line in enumerate(lines) if META_RE.match(line.strip())]
    if not starts:
        raise FormatError("no scholar-profile meta lines (score, subject and date, e.g. 'LGDec 30, 2025')")
    result = ParseResult(format=FORMAT)
    claims = [m.group("count") for line in lines[: starts[0]] if (m := CLAIMED_RE.match(line.strip()))]
    if claims:
        result.notes.append(
            f"the page header claims {claims[-1]} papers; {len(starts)} records are on the page"
        )
    explicit_years = [int(m.group("year")) for i in starts if (m := META_RE.match(lines[i].strip()))["year"]]
    inferred_year = _infer_year(explicit_years, capture_date)
    undated = 0
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(lines)
        meta = META_RE.match(lines[start].strip())
        assert meta is not None
        body = [(n, lines[n].strip()) for n in range(start + 1, end) if lines[n].strip()]
        raw = "\n".join(lines[start:end]).strip()
        if not body:
            result.rejected.append(
                Rejected(line=start + 1, text=lines[start], reason="meta line with no title")
            )
            continue
        record = PaperRecord(source=source, source_line=start + 1, raw=raw)
        record.title = clean_title(body[0][1])
        rest = [line for _, line in body[1:]]
        if rest and _looks_like_authors(rest[0]):
            _parse_authors(rest.pop(0), record)
        if rest:
            set_abstract(record, " ".join(rest))
        code = meta.group("cat")
        record.arxiv_category = CATEGORIES.get(code, code)
        record.source_score = float(meta.group("score")) if meta.group("score") else None
        record.date_raw = lines[start].strip()[meta.start("mon") :]
        year = int(meta.group("year")) if meta.group("year") else inferred_year
        try:
            date = dt.date(year, MONTHS.index(meta.group("mon")) + 1, int(meta.group("day")))
        except ValueError:
            result.notes.append(f"line {start + 1}: '{record.date_raw}' is not a date; kept without a date")
        else:
            if not meta.group("year"):
                undated += 1
                record.year_inferred = True
                if date > (capture_date or dt.date.today()):
                    date = date.replace(year=year - 1)
            record.date, record.date_precision = date, DatePrecision.DAY
        result.records.append(record.finalize())
    if undated:
        result.notes.append(f"{undated} dates had no year; inferred {inferred_year}")
    return result
