"""Importer for BibTeX: entries, ``@string`` abbreviations, ``#`` concatenation, braces and quotes.

A small recursive reader (no dependency): ``@type{key, field = {value} | "value" | 123 | abbrev, ...}`` with
nested braces, ``(...)`` delimiters, and ``@comment``/``@preamble`` skipped.  Authors ``Last, First`` become
``First Last``; ``and others`` marks a truncated list.  arXiv ids come from ``eprint`` (with
``archivePrefix = arXiv``) or an arxiv.org url, DOIs from ``doi`` or a doi.org url; ``keywords`` become tags.
An entry that cannot be read is rejected with its line and the reason; the rest are still imported.
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
    normalize_arxiv_id,
    normalize_doi,
)

FORMAT = "bibtex"
ENTRY_START_RE = re.compile(r"@\s*([A-Za-z]+)\s*([{(])")
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, start=1)}
_SKIPPED_TYPES = {"comment", "preamble"}


class _EntryError(ValueError):
    pass


class _Reader:
    def __init__(self, text: str, pos: int, strings: dict[str, str]) -> None:
        self.text, self.pos, self.strings = text, pos, strings

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        self.skip_space()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def name(self) -> str:
        self.skip_space()
        match = re.compile(r"[^\s=,{}()\"#]+").match(self.text, self.pos)
        if not match:
            raise _EntryError(f"expected a name at offset {self.pos}")
        self.pos = match.end()
        return match.group(0)

    def braced(self) -> str:
        depth, start = 0, self.pos
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\":
                self.pos += 2
                continue
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
                if depth == 0:
                    self.pos += 1
                    return self.text[start + 1 : self.pos - 1]
            self.pos += 1
        raise _EntryError("unbalanced braces")

    def quoted(self) -> str:
        depth, start = 0, self.pos
        self.pos += 1
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
            elif char == '"' and depth == 0 and self.text[self.pos - 1] != "\\":
                self.pos += 1
                return self.text[start + 1 : self.pos - 1]
            self.pos += 1
        raise _EntryError("unterminated quoted value")

    def value(self) -> str:
        parts: list[str] = []
        while True:
            char = self.peek()
            if char == "{":
                parts.append(self.braced())
            elif char == '"':
                parts.append(self.quoted())
            elif char and char not in ",})":
                word = self.name()
                parts.append(word if word.isdigit() else self.strings.get(word.lower(), word))
            else:
                raise _EntryError("missing field value")
            if self.peek() != "#":
                return "".join(parts)
            self.pos += 1

    def fields(self, closer: str) -> dict[str, str]:
        found: dict[str, str] = {}
        while True:
            char = self.peek()
            if char == closer:
                self.pos += 1
                return found
            if char == ",":
                self.pos += 1
                continue
            if not char:
                raise _EntryError("entry is not closed")
            field_name = self.name().lower()
            if self.peek() != "=":
                raise _EntryError(f"field '{field_name}' has no '='")
            self.pos += 1
            found[field_name] = self.value()


def _author_name(name: str) -> str:
    name = clean_title(name)
    if "," in name:
        parts = [part.strip() for part in name.split(",")]
        last, first = parts[0], parts[-1]
        return f"{first} {last}".strip()
    return name


def _date(fields: dict[str, str]) -> tuple[dt.date | None, DatePrecision | None, str]:
    year_text = re.sub(r"\D", "", fields.get("year", ""))[:4]
    raw = " ".join(fields[key] for key in ("year", "month", "day") if fields.get(key)).strip()
    if len(year_text) != 4:
        return None, None, raw
    month_text = fields.get("month", "").strip().lower()[:3]
    month = _MONTHS.get(month_text) or (int(month_text) if month_text.isdigit() else None)
    if month is None or not 1 <= month <= 12:
        return dt.date(int(year_text), 1, 1), DatePrecision.YEAR, raw
    day_text = fields.get("day", "").strip()
    if day_text.isdigit():
        try:
            return dt.date(int(year_text), month, int(day_text)), DatePrecision.DAY, raw
        except ValueError:
            pass
    return dt.date(int(year_text), month, 1), DatePrecision.MONTH, raw


def _record(fields: dict[str, str], *, source: str, line: int, raw: str) -> PaperRecord:
    record = PaperRecord(source=source, source_line=line, raw=raw)
    record.title = clean_title(fields["title"]) if fields.get("title", "").strip() else None
    names = [name.strip() for name in re.split(r"\s+and\s+", fields.get("author", "")) if name.strip()]
    if names and names[-1].lower() == "others":
        record.authors_truncated = True
        names.pop()
    record.authors = [_author_name(name) for name in names]
    record.date, record.date_precision, record.date_raw = _date(fields)
    venue = fields.get("journal") or fields.get("booktitle") or fields.get("howpublished")
    record.venue = clean_text(venue) if venue else None
    record.doi = normalize_doi(fields.get("doi"))
    url = fields.get("url", "").strip()
    eprint = fields.get("eprint", "")
    prefix = fields.get("archiveprefix", fields.get("eprinttype", "arxiv")).lower()
    record.arxiv_id = (normalize_arxiv_id(eprint) if prefix == "arxiv" else None) or normalize_arxiv_id(url)
    record.doi = record.doi or normalize_doi(url)
    if url.startswith("http") and not (record.arxiv_id or record.doi):
        record.url = url
    if fields.get("abstract", "").strip():
        set_abstract(record, fields["abstract"])
    keywords = re.split(r"[;,]", fields.get("keywords", ""))
    record.tags = [clean_text(word).lower() for word in keywords if word.strip()]
    if fields.get("note", "").strip():
        record.comments.append(clean_text(fields["note"]))
    return record.finalize()


def parse(*, text: str, source: str = FORMAT) -> ParseResult:
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    starts = list(ENTRY_START_RE.finditer(text))
    if not starts:
        raise FormatError("no BibTeX entries ('@article{...')")
    result = ParseResult(format=FORMAT)
    strings: dict[str, str] = {}
    for index, start in enumerate(starts):
        kind = start.group(1).lower()
        line = text.count("\n", 0, start.start()) + 1
        closer = "}" if start.group(2) == "{" else ")"
        end = starts[index + 1].start() if index + 1 < len(starts) else len(text)
        if kind in _SKIPPED_TYPES:
            continue
        reader = _Reader(text[: end if kind != "string" else len(text)], start.end(), strings)
        try:
            if kind == "string":
                strings.update(reader.fields(closer))
                continue
            key = reader.name()
            if reader.peek() == ",":
                reader.pos += 1
            fields = reader.fields(closer)
        except _EntryError as error:
            result.rejected.append(
                Rejected(line=line, text=text[start.start() : end].strip()[:200], reason=str(error))
            )
            continue
        raw = text[start.start() : reader.pos].strip()
        record = _record(fields, source=source, line=line, raw=raw)
        record.comments.insert(0, f"BibTeX key {key}")
        if not (record.title or record.arxiv_id or record.doi):
            result.rejected.append(
                Rejected(line=line, text=raw[:200], reason="entry has no title, arXiv id or DOI")
            )
            continue
        result.records.append(record)
    return result
