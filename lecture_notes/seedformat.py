"""Read the scribed-notes text format (text extracted from the compiled PDF) into a TOC and body blocks.

The format, by its rules (no positions are assumed):

- a title block, then a line `Contents` and the table of contents: `Chapter: N Title<TAB>page` and
  `x.y.z<SPACE or TAB>Title<TAB>page` (leader dots, a page number glued before a trailing TAB, a leading space
  and a title footnote starting with `*` may occur);
- the body from the first `Chapter N: Title` line: numbered headings `x`, `x.y`, `x.y.z` alone on a line (no
  TAB, titles possibly wrapped in `*...*`), one paragraph per line, single-line `$$...$$` display math,
  fenced code, TAB-separated table rows, `Table N.` / `Figure x.y.z.` / `Algorithm N` captions, image
  placeholders (a line holding only spaces), footnote texts starting with superscript digits, list items;
- a final `References` line and the bibliography.

`scan_book(text)` returns the `Book` with its TOC, raw body blocks (headings validated against the TOC) and the
reference lines; `repair.py` then fixes what the PDF extraction broke.
"""

from __future__ import annotations

import re

from lecture_notes.document import Block, Book, ImportReport, TocEntry

SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
SUPERSCRIPT_DIGITS = str.maketrans(SUPERSCRIPTS, "0123456789")

RE_BODY_CHAPTER = re.compile(r"^Chapter (\d+): (.+?)\s*$")
RE_TOC_CHAPTER = re.compile(r"^Chapter:\s*(\d+)\s+(.+)$")
RE_NUMBER = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,2})[ \t]+(.+)$")
RE_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,2}) (\S.*?)\s*$")
RE_DISPLAY_MATH = re.compile(r"^\s*\$\$(.+)\$\$\s*$")
RE_EQ_NUMBER = re.compile(r"^\s*\((\d{1,3})\)\s*$")
RE_TABLE_CAPTION = re.compile(r"^Table (\d+)\.\s*(.*)$")
RE_FIGURE_CAPTION = re.compile(r"^(?:\*\*)?Figure (\d+(?:\.\d+)+)\.(?:\*\*)?\s+(.*)$")
RE_ALGORITHM_CAPTION = re.compile(r"^Algorithm (\d+)\s+(.+)$")
RE_FOOTNOTE = re.compile(rf"^([{SUPERSCRIPTS}]+)(\S.*)$")
RE_BULLET = re.compile(r"^( *)[-–] (.*)$")
RE_ORDERED = re.compile(r"^( *)(\d+)\. (.*)$")
RE_LEADER = re.compile(r"(?:\s+\.)+\s*$")
RE_TRAILING_PAGE = re.compile(r"\s+(\d{1,4})$")
TERMINAL = (".", ":", ";", "?", "!", ",")
# A title does not end in a word that needs a continuation (the line is a sentence cut before a formula).
RUN_ON_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "be",
        "by",
        "for",
        "from",
        "have",
        "in",
        "is",
        "of",
        "on",
        "or",
        "that",
        "the",
        "then",
        "to",
        "we",
        "with",
    ]
)


def normalize_title(title: str) -> str:
    """Compare titles as the TOC and the body write them: no `*...*`, leader dots or extra spaces."""
    title = RE_LEADER.sub("", title.strip())
    title = title.replace("*", "")
    return re.sub(r"\s+", " ", title).strip().casefold()


def clean_title(title: str) -> str:
    """The title to show: stars of `*...*` removed, whitespace collapsed."""
    title = title.strip()
    if len(title) > 2 and title.startswith("*") and title.endswith("*") and not title.startswith("**"):
        title = title[1:-1]
    return re.sub(r"\s+", " ", title).strip()


def level_of(number: str) -> int:
    return number.count(".") + 1


def parse_toc_line(line: str) -> TocEntry | None:
    """One TOC line to an entry, or None if it is not a TOC entry."""
    raw = line.strip(" ")
    fields = raw.split("\t")
    page: int | None = None
    while fields and fields[-1].strip() == "":
        fields.pop()
    if len(fields) > 1 and fields[-1].strip().isdigit():
        page = int(fields.pop().strip())
    head = " ".join(f.strip() for f in fields).strip()
    if page is None:
        found = RE_TRAILING_PAGE.search(head)
        if found:
            page = int(found.group(1))
            head = head[: found.start()]
    head = RE_LEADER.sub("", head)
    chapter = RE_TOC_CHAPTER.match(head)
    if chapter:
        return TocEntry(number=chapter.group(1), title=clean_title(chapter.group(2)), level=0, page=page)
    numbered = RE_NUMBER.match(head)
    if numbered and page is not None:
        number = numbered.group(1)
        return TocEntry(
            number=number, title=clean_title(numbered.group(2)), level=level_of(number), page=page
        )
    return None


def split_parts(lines: list[str]) -> tuple[int, int, int, int]:
    """Indices (0-based) of the `Contents` line, the first body chapter, the `References` line, and the end."""
    contents = next((i for i, line in enumerate(lines) if line.strip() == "Contents"), -1)
    body = next(
        (i for i in range(contents + 1, len(lines)) if RE_BODY_CHAPTER.match(lines[i])),
        -1,
    )
    if body < 0:
        raise ValueError("No body chapter line (`Chapter N: Title`) was found.")
    refs = next((i for i in range(len(lines) - 1, body, -1) if lines[i].strip() == "References"), len(lines))
    return contents, body, refs, len(lines)


def _is_pseudo_heading(lines: list[str], i: int) -> bool:
    """A short title-like line standing alone between blank lines (a heading whose bold was lost)."""
    text = lines[i].strip()
    before = i == 0 or not lines[i - 1].strip()
    after = i + 1 >= len(lines) or not lines[i + 1].strip()
    if not (before and after) or not text or not text[0].isupper():
        return False
    if (
        text.endswith(TERMINAL)
        or any(c in text for c in ("$", "\\", ", "))
        or re.search(r"(?<!vs)\. ", text)
        or text.startswith(("*", "[", "<"))
    ):
        return False
    if text.rsplit(" ", 1)[-1].casefold() in RUN_ON_WORDS:
        return False
    following = next((line for line in lines[i + 1 :] if line.strip()), "")
    if RE_DISPLAY_MATH.match(following) or following.strip()[:1].islower() or text.endswith("-"):
        return False
    return len(text) <= 90 and len(text.split()) <= 10


def scan_body(lines: list[str], *, start: int, stop: int) -> list[Block]:
    """Tokenise body lines `start:stop` (0-based) into blocks; line numbers in blocks are 1-based."""
    blocks: list[Block] = []
    i = start
    while i < stop:
        line = lines[i]
        lineno = i + 1
        stripped = line.strip()
        if not line:
            i += 1
            continue
        if stripped.startswith("```"):
            j = i + 1
            while j < stop and not lines[j].strip().startswith("```"):
                j += 1
            blocks.append(Block("code", "\n".join(lines[i + 1 : j]).strip("\n"), line=lineno))
            i = j + 1
            continue
        if not stripped:
            blocks.append(Block("placeholder", line=lineno))
            i += 1
            continue
        if "\t" in line:
            j = i
            rows = []
            while j < stop and "\t" in lines[j]:
                rows.append(lines[j].split("\t"))
                j += 1
            if len(rows) == 1 and len(rows[0]) == 2 and not rows[0][1].strip():
                blocks.append(Block("paragraph", rows[0][0].strip(), line=lineno))
            else:
                blocks.append(Block("table", rows=rows, line=lineno))
            i = j
            continue
        blocks.append(_classify_line(lines, i))
        i += 1
    return blocks


def _classify_line(lines: list[str], i: int) -> Block:
    line = lines[i]
    stripped = line.strip()
    lineno = i + 1
    if m := RE_BODY_CHAPTER.match(line):
        return Block("chapter", clean_title(m.group(2)), line=lineno, number=m.group(1), level=0)
    if m := RE_HEADING.match(line):
        return Block(
            "heading", clean_title(m.group(2)), line=lineno, number=m.group(1), level=level_of(m.group(1))
        )
    if m := RE_DISPLAY_MATH.match(line):
        return Block("math", m.group(1).strip(), line=lineno)
    if m := RE_EQ_NUMBER.match(line):
        return Block("eqnum", stripped, line=lineno, number=m.group(1))
    if m := RE_TABLE_CAPTION.match(stripped):
        return Block("caption_table", line=lineno, number=m.group(1), caption=m.group(2))
    if m := RE_FIGURE_CAPTION.match(stripped):
        return Block("figure", line=lineno, number=m.group(1), caption=m.group(2))
    if m := RE_ALGORITHM_CAPTION.match(stripped):
        return Block("caption_algorithm", line=lineno, number=m.group(1), caption=m.group(2))
    if m := RE_FOOTNOTE.match(stripped):
        return Block(
            "footnote", m.group(2).strip(), line=lineno, number=m.group(1).translate(SUPERSCRIPT_DIGITS)
        )
    if m := RE_BULLET.match(line):
        return Block("list_item", m.group(2), line=lineno, level=1 + len(m.group(1)), meta={"ordered": False})
    if m := RE_ORDERED.match(line):
        return Block(
            "list_item",
            m.group(3),
            line=lineno,
            level=1 + len(m.group(1)),
            meta={"ordered": True, "n": m.group(2)},
        )
    if stripped == "□":
        return Block("qed", line=lineno)
    if _is_pseudo_heading(lines, i):
        return Block("pseudo", stripped, line=lineno)
    return Block("paragraph", stripped, line=lineno)


def match_headings(blocks: list[Block], *, toc: list[TocEntry], report: ImportReport) -> None:
    """Keep as headings only the lines the TOC confirms, in TOC order; demote the rest to paragraphs."""
    if not toc:
        return
    p = 0
    for block in blocks:
        if block.kind not in ("chapter", "heading"):
            continue
        key = f"ch{block.number}" if block.kind == "chapter" else block.number
        wanted = normalize_title(block.text)
        found = next(
            (k for k in range(p, len(toc)) if toc[k].key == key and normalize_title(toc[k].title) == wanted),
            None,
        )
        if found is None and p < len(toc) and toc[p].key == key:
            found = p
            report.problem(block.line, f"heading {block.number} title differs from the TOC: {block.text!r}")
        if found is None:
            if any(entry.key == key for entry in toc[p:]):
                report.problem(block.line, f"heading-like line {block.number} does not match the TOC")
            block.kind = "paragraph"
            block.text = f"{block.number} {block.text}" if block.number else block.text
            block.number = None
            continue
        for missed in toc[p:found]:
            report.problem(0, f"TOC entry {missed.number} {missed.title!r} not found in the body")
        toc[found].matched_line = block.line
        block.text = toc[found].title if block.kind == "chapter" else clean_title(block.text)
        p = found + 1
    for missed in toc[p:]:
        report.problem(0, f"TOC entry {missed.number} {missed.title!r} not found in the body")


def scan_book(text: str) -> tuple[Book, list[tuple[int, str]]]:
    """Split and tokenise a whole notes file; returns the book and the (line number, text) reference lines."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    contents, body, refs, end = split_parts(lines)
    head = [line.strip() for line in lines[: contents if contents >= 0 else body] if line.strip()]
    book = Book(title=head[0] if head else "Lecture notes", front_matter=head[1:])
    report = book.report
    for i in range(contents + 1 if contents >= 0 else body, body):
        line = lines[i]
        if not line.strip():
            continue
        entry = parse_toc_line(line)
        if entry is not None:
            book.toc.append(entry)
        elif line.strip().startswith("*"):
            book.title_footnote = line.strip()[1:].strip()
        else:
            report.problem(i + 1, f"TOC line not understood: {line.strip()[:80]!r}")
    book.blocks = scan_body(lines, start=body, stop=refs)
    match_headings(book.blocks, toc=book.toc, report=report)
    if not book.toc:
        book.toc = [
            TocEntry(number=b.number or "", title=b.text, level=b.level, matched_line=b.line)
            for b in book.blocks
            if b.kind in ("chapter", "heading")
        ]
    ref_lines = [(i + 1, lines[i]) for i in range(refs + 1, end) if lines[i].strip()]
    return book, ref_lines
