"""Importer for a "trending papers" page copied as text: a title line, then its abstract line, repeated.

Structure: page boilerplate (newsletter prompts, a ``Subscribe`` button whose text is glued onto the first
title), then title/abstract pairs.  Each line is classified by its shape, not its position: an abstract is
long prose with several sentences; a title is a short line that does not read as running prose (it may end
in ``?``).  A title takes the abstract that follows it; a title with none is kept with a flag, an abstract
with no title before it is rejected with a reason.  Nothing else (authors, dates, ids) is on such pages.
"""

from __future__ import annotations

import re

from courseweb.papers.importers.cleaning import clean_title, set_abstract
from courseweb.papers.importers.records import FormatError, PaperRecord, ParseResult, Rejected, split_lines

FORMAT = "trending"
TITLE_MAX = 300
ABSTRACT_MIN = 300
_NOISE_RE = re.compile(
    r"^(get trending papers.*|subscribe|sign (in|up)|log ?in|load more|show more|see more|"
    r"trending papers|daily papers|previous|next)[.!]?$",
    re.IGNORECASE,
)
_GLUED_BUTTON_RE = re.compile(r"^(Subscribe|Sign up|Log in)(?=[A-Z0-9\"'“])")
_SENTENCE_END_RE = re.compile(r"[.!?][\"”')\]]?\s+[A-Z(\"“]")


def _sentences(line: str) -> int:
    return len(_SENTENCE_END_RE.findall(line)) + 1


def is_abstract_line(line: str) -> bool:
    return len(line) >= ABSTRACT_MIN or (_sentences(line) >= 3 and len(line) > 120)


def is_title_line(line: str) -> bool:
    if is_abstract_line(line) or len(line) > TITLE_MAX:
        return False
    return not (line.endswith(".") and _sentences(line) >= 2)


def parse(*, text: str, source: str = FORMAT) -> ParseResult:
    result = ParseResult(format=FORMAT)
    pending: tuple[int, str, str] | None = None  # (line number, raw line, title)
    saw_abstract = False
    for number, raw_line in enumerate(split_lines(text), start=1):
        line = raw_line.strip()
        if not line:
            continue
        if _NOISE_RE.match(line):
            result.notes.append(f"line {number}: page boilerplate removed")
            continue
        glued = _GLUED_BUTTON_RE.match(line)
        if glued:
            result.notes.append(f"line {number}: '{glued.group(1)}' removed from the start of a title")
            line = line[glued.end() :]
        if is_abstract_line(line):
            saw_abstract = True
            if pending is None:
                result.rejected.append(
                    Rejected(line=number, text=line[:200], reason="abstract with no title before it")
                )
                continue
            title_line, title_raw, title = pending
            record = PaperRecord(
                source=source, source_line=title_line, raw=f"{title_raw}\n{raw_line.strip()}"
            )
            record.title = title
            set_abstract(record, line)
            result.records.append(record.finalize())
            pending = None
        elif is_title_line(line):
            if pending is not None:
                _keep_title_only(result, pending, source)
            pending = (number, raw_line.strip(), clean_title(line))
        else:
            result.rejected.append(
                Rejected(line=number, text=line[:200], reason="neither a title nor an abstract")
            )
    if pending is not None:
        _keep_title_only(result, pending, source)
    if not saw_abstract:
        raise FormatError("no abstract lines (long prose) after titles")
    return result


def _keep_title_only(result: ParseResult, pending: tuple[int, str, str], source: str) -> None:
    line, raw, title = pending
    result.records.append(PaperRecord(source=source, source_line=line, raw=raw, title=title).finalize())
