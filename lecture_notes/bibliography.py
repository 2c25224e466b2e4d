"""The bibliography: parse the reference list and resolve author-year citations in the text to it.

Entries are `Surname, I., ... (YYYY[a-z]).  Title ...`, normally bulleted with `- `.  The rules for lines
that are not clean entries:

- a line starts a new entry when it begins like an author list and the current entry already has its year;
  otherwise (no year yet, or not an author-like start such as `url...` or `editors, ...`) it continues the
  current entry; a missing or misplaced bullet does not matter;
- the key is the first author's surname (letters only, lower case) + year + suffix: `chernozhukov2024a`.

Citations are `Surname (2018)`, `Surname, 2018`, `Surname et al. (2024a)`, `Surname and Other (2016)`, linked or
not in the text; a year without suffix also finds the `a` entry when only suffixed ones exist.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from lecture_notes.document import Reference

RE_AUTHOR_START = re.compile(r"^(?:- )?([A-Z][\w'’.-]*(?:[ -][\w'’.-]+)*?)(?:,| \()", re.UNICODE)
RE_YEAR = re.compile(r"\((\d{4}[a-z]?)\)\.")
YEAR = r"(?:19|20)\d{2}[a-z]?\b"
RE_CITATION = re.compile(
    r"\b(?P<name>[A-Z][\w'’-]+)(?:\s+(?:et\s+al\.?|(?:and|&)\s+[A-Z][\w'’-]+))?"
    rf"(?:,\s+(?P<year>{YEAR})|\s+\((?P<pyear>{YEAR})\))"
)


def surname_key(name: str) -> str:
    """`Küngel` -> `kungel`; `O'Brien` -> `obrien`."""
    folded = unicodedata.normalize("NFKD", name)
    return "".join(c for c in folded if c.isalpha() and c.isascii()).lower()


def parse_references(lines: Iterable[tuple[int, str]]) -> list[Reference]:
    """Group reference lines into entries; `lines` are (line number, text) pairs after the `References` line."""
    entries: list[dict] = []
    for lineno, raw in lines:
        text = raw.strip()
        if not text:
            continue
        starts = RE_AUTHOR_START.match(text)
        current = entries[-1] if entries else None
        if starts and (current is None or current["year"]):
            entries.append(
                {"line": lineno, "parts": [text.removeprefix("- ")], "year": None, "name": starts.group(1)}
            )
        elif current is not None:
            current["parts"].append(text.removeprefix("- "))
        else:
            continue
        entry = entries[-1]
        if not entry["year"] and (m := RE_YEAR.search(text)):
            entry["year"] = m.group(1)
    refs: list[Reference] = []
    seen: set[str] = set()
    for entry in entries:
        year = entry["year"] or "nd"
        surname = entry["name"].split(",")[0].split(" ")[0]
        key = surname_key(surname) + year
        while key in seen:
            key += "x"
        seen.add(key)
        refs.append(
            Reference(key=key, text=" ".join(entry["parts"]), surname=surname, year=year, line=entry["line"])
        )
    return refs


class CitationIndex:
    """Look up references by (surname, year) as cited in the text."""

    def __init__(self, references: Iterable[Reference]) -> None:
        self._by_key: dict[str, Reference] = {}
        for ref in references:
            self._by_key.setdefault(surname_key(ref.surname) + ref.year, ref)

    def find(self, surname: str, year: str) -> Reference | None:
        key = surname_key(surname) + year
        if key in self._by_key:
            return self._by_key[key]
        if year[-1].isdigit():
            return self._by_key.get(key + "a")
        return None

    def link(self, text: str, *, href: str) -> tuple[str, list[tuple[int, int, str]]]:
        """Spans of resolvable citations in `text`: (start, end, target href) for each, in order."""
        spans = []
        for m in RE_CITATION.finditer(text):
            ref = self.find(m.group("name"), m.group("year") or m.group("pyear"))
            if ref is not None:
                spans.append((m.start(), m.end(), f"{href}#ref-{ref.key}"))
        return text, spans
