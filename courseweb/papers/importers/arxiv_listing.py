"""Importer for an arXiv-style abstract listing copied as text (abstracts and ids, no titles).

Structure: each record is its abstract, then zero or more comment lines (venue or physical description such
as "41 pages, 19 figures"), then its id ``arXiv:NNNN.NNNNN`` at the start of a line.  Copying loses the
newline after the id, so the id is often glued to the next record's abstract: the id *closes* the record
before it.  Records are therefore cut at ids, not at newlines; text after the last id is reported.
Titles, authors and dates are absent: the date is the id's month, and the record needs metadata.
"""

from __future__ import annotations

import re

from courseweb.papers.importers.cleaning import clean_text, set_abstract
from courseweb.papers.importers.records import (
    ARXIV_NEW,
    ARXIV_OLD,
    DatePrecision,
    Flag,
    FormatError,
    PaperRecord,
    ParseResult,
    Rejected,
    arxiv_id_month,
)

FORMAT = "arxiv-listing"
ID_TOKEN_RE = re.compile(
    rf"^[ \t]*arXiv:\s*(?P<id>{ARXIV_NEW}|{ARXIV_OLD})(?:v\d+)?", re.MULTILINE | re.IGNORECASE
)
COMMENT_MAX = 250
_VENUE_RE = re.compile(
    r"\b(conference|workshop|symposium|journal|proceedings|accepted|submitted|published|to appear|"
    r"neurips|nips|icml|iclr|kdd|aaai|ijcai|aistats|colt|uai|acl|emnlp|www|wsdm|sigir|"
    r"management science|operations research|marketing science|econometrica|acm|ieee|informs)\b",
    re.IGNORECASE,
)
_COMMENT_PREFIX_RE = re.compile(r"^(comments?|journal-ref|journal ref)\s*:\s*", re.IGNORECASE)


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _split_chunk(chunk: str) -> tuple[list[str], list[str]]:
    """Abstract lines and trailing comment lines of the text that one id closes."""
    lines = [line.strip() for line in chunk.split("\n") if line.strip()]
    comments: list[str] = []
    while len(lines) > 1 and len(lines[-1]) <= COMMENT_MAX:
        comments.insert(0, lines.pop())
    if len(lines) == 1 and len(lines[0]) <= COMMENT_MAX and not comments and _VENUE_RE.search(lines[0]):
        comments, lines = lines, []
    return lines, comments


def _apply_comments(record: PaperRecord, comments: list[str]) -> None:
    for comment in comments:
        text = clean_text(_COMMENT_PREFIX_RE.sub("", comment))
        if record.venue is None and _VENUE_RE.search(text):
            record.venue = text
        else:
            record.comments.append(text)


def parse(*, text: str, source: str = FORMAT) -> ParseResult:
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    tokens = list(ID_TOKEN_RE.finditer(text))
    if not tokens:
        raise FormatError("no arXiv ids ('arXiv:NNNN.NNNNN' at the start of a line)")
    result = ParseResult(format=FORMAT)
    previous_end = 0
    for token in tokens:
        chunk = text[previous_end : token.start()]
        arxiv_id, token_end = token.group("id"), token.end()
        if "/" not in arxiv_id and int(arxiv_id[:4]) < 1501 and len(arxiv_id) == 10:
            arxiv_id, token_end = arxiv_id[:9], token.start("id") + 9  # 4-digit era: 5th digit is text
        if "/" in arxiv_id:
            archive, number = arxiv_id.split("/", 1)
            arxiv_id = f"{archive.lower()}/{number}"
        stripped_at = previous_end + (len(chunk) - len(chunk.lstrip()))
        line = _line_of(text, stripped_at if chunk.strip() else token.start())
        raw = (chunk.strip() + "\n" + token.group(0).strip()).strip()
        record = PaperRecord(source=source, source_line=line, raw=raw, arxiv_id=arxiv_id)
        abstract_lines, comments = _split_chunk(chunk)
        if abstract_lines:
            set_abstract(record, " ".join(abstract_lines))
        _apply_comments(record, comments)
        month = arxiv_id_month(arxiv_id)
        if month is not None:
            record.date, record.date_precision = month, DatePrecision.MONTH
            record.date_raw = arxiv_id
        record.add_flag(Flag.NEEDS_METADATA)
        result.records.append(record.finalize())
        previous_end = token_end
    tail = text[previous_end:].strip()
    if tail:
        offset = previous_end + (len(text[previous_end:]) - len(text[previous_end:].lstrip()))
        result.rejected.append(
            Rejected(
                line=_line_of(text, offset), text=tail[:200], reason="text after the last arXiv id has no id"
            )
        )
    return result
