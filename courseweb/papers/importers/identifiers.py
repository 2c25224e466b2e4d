"""Importer for a pasted list of arXiv ids and DOIs (one or more per line, any common spelling).

Accepted spellings: ``2507.10890``, ``arXiv:2507.10890v2``, ``https://arxiv.org/abs/2507.10890``,
``arxiv.org/pdf/2507.10890v1.pdf``, ``hep-th/9901001``, ``10.1287/mksc.2022.0001``, ``doi:10...``,
``https://doi.org/10...``.  With no network there is nothing more to know, so each record keeps only its
identifier (and, for arXiv, the month from the id) and is flagged "needs metadata".  Anything else on a
line is rejected with its line and the reason.
"""

from __future__ import annotations

import re

from courseweb.papers.importers.records import (
    DatePrecision,
    Flag,
    FormatError,
    PaperRecord,
    ParseResult,
    Rejected,
    arxiv_id_month,
    normalize_arxiv_id,
    normalize_doi,
    split_lines,
)

FORMAT = "identifiers"
_SEPARATOR_RE = re.compile(r"[\s,;]+")
_TRAILING = ".,;:)]}>\"'"


def classify_token(token: str) -> tuple[str, str] | None:
    """("arxiv", id) or ("doi", doi) for one pasted token, or None when it is neither."""
    token = token.strip().strip("<>\"'(").rstrip(_TRAILING)
    arxiv_id = normalize_arxiv_id(token)
    if arxiv_id:
        return "arxiv", arxiv_id
    doi = normalize_doi(token)
    if doi and re.match(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)?10\.", token, re.IGNORECASE):
        return "doi", doi
    return None


def parse(*, text: str, source: str = FORMAT) -> ParseResult:
    result = ParseResult(format=FORMAT)
    for number, line in enumerate(split_lines(text), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        for token in _SEPARATOR_RE.split(stripped):
            if not token:
                continue
            found = classify_token(token)
            if found is None:
                result.rejected.append(Rejected(line=number, text=token, reason="not an arXiv id or a DOI"))
                continue
            kind, value = found
            record = PaperRecord(source=source, source_line=number, raw=token)
            if kind == "arxiv":
                record.arxiv_id = value
                month = arxiv_id_month(value)
                if month is not None:
                    record.date, record.date_precision, record.date_raw = month, DatePrecision.MONTH, value
            else:
                record.doi = value
            record.add_flag(Flag.NEEDS_METADATA)
            result.records.append(record.finalize())
    if not result.records:
        raise FormatError("no arXiv ids or DOIs found")
    return result
