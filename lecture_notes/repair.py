"""Repair what the PDF-to-text extraction broke, on the block list produced by `seedformat.scan_body`.

Passes (run in this order by `repair_blocks`):

1. merge code fences that a page break split in two (adjacent fences with only blank lines between);
2. take footnote texts out of the flow (they float to the page foot, often mid-paragraph), one per number;
3. number equations from their three encodings (`\\tag{N}`, a trailing `\\quad (N)`, an orphan `(N)` line)
   as `\\tag{N}`, and rewrite the two constructs KaTeX lacks (`_` inside `\\text{}`, `\\mathbb{1}`);
4. re-join paragraphs split by page breaks: a paragraph not ending in terminal punctuation, followed (past any
   figures, image placeholders or a figure drawn as text) by a paragraph starting lower-case, is one
   paragraph; a trailing `word-`
   hyphen is removed (a list item is continued only when it ends in such a hyphen);
5. pair `Table N.` captions with the adjacent table (after it, else before it); a `Figure x.y.` caption right
   after an uncaptioned table makes that table a figure; `Algorithm N` captions attach to the next code block.
"""

from __future__ import annotations

import re

from lecture_notes.document import Block, ImportReport

RE_TAG = re.compile(r"\\tag\{(\d+)\}")
RE_QUAD_NUMBER = re.compile(r"\\quad\s*\((\d+)\)\s*$")
RE_TEXT_ARG = re.compile(r"\\text\{([^{}]*)\}")
RE_MATHBB_ONE = re.compile(r"\\mathbb\s*\{\s*1\s*\}")
TERMINAL_END = (".", ":", ";", "?", "!", ")", "$$")
FLOATS = ("figure", "placeholder")
FIGURE_TEXT_MAX = 8


def fix_tex(tex: str) -> str:
    """Rewrite constructs KaTeX cannot parse: a bare `_` in `\\text{}` and the double-struck one."""
    tex = RE_TEXT_ARG.sub(lambda m: "\\text{" + re.sub(r"(?<!\\)_", r"\\_", m.group(1)) + "}", tex)
    return RE_MATHBB_ONE.sub(r"\\mathbf{1}", tex)


def merge_code_fences(blocks: list[Block]) -> list[Block]:
    out: list[Block] = []
    for block in blocks:
        if block.kind == "code" and out and out[-1].kind == "code":
            out[-1].text = out[-1].text + "\n" + block.text
            out[-1].meta["merged"] = out[-1].meta.get("merged", 1) + 1
            continue
        out.append(block)
    return out


def collect_footnotes(blocks: list[Block], *, report: ImportReport) -> tuple[list[Block], dict[str, Block]]:
    notes: dict[str, Block] = {}
    out: list[Block] = []
    for block in blocks:
        if block.kind != "footnote":
            out.append(block)
            continue
        if block.number in notes:
            if notes[block.number].text != block.text:
                report.problem(block.line, f"footnote {block.number} given twice with different texts")
            continue
        notes[block.number or ""] = block
    return out, notes


def number_equations(blocks: list[Block], *, report: ImportReport) -> tuple[list[Block], list[str]]:
    """Tag numbered equations; returns the remaining blocks and the equation numbers in order."""
    out: list[Block] = []
    numbers: list[str] = []
    for block in blocks:
        if block.kind == "eqnum":
            previous = out[-1] if out else None
            if previous is not None and previous.kind == "math" and previous.number is None:
                previous.number = block.number
                previous.text = previous.text.rstrip().rstrip(",") + f" \\tag{{{block.number}}}"
                numbers.append(block.number or "")
            else:
                report.problem(block.line, f"equation number ({block.number}) follows no display formula")
                out.append(Block("paragraph", block.text, line=block.line))
            continue
        if block.kind == "math":
            block.text = fix_tex(block.text)
            if m := RE_TAG.search(block.text):
                block.number = m.group(1)
            elif m := RE_QUAD_NUMBER.search(block.text):
                block.number = m.group(1)
                block.text = block.text[: m.start()].rstrip().rstrip(",") + f" \\tag{{{block.number}}}"
            if block.number:
                numbers.append(block.number)
        out.append(block)
    seen: set[str] = set()
    for number in numbers:
        if number in seen:
            report.problem(0, f"equation ({number}) is numbered twice")
        seen.add(number)
    return out, numbers


def _ends_open(text: str) -> bool:
    text = text.rstrip()
    return bool(text) and not text.endswith(TERMINAL_END)


def _starts_lower(text: str) -> bool:
    return bool(text) and text[0].islower()


def _continuation(blocks: list[Block], start: int) -> int | None:
    """Index of the paragraph that continues an open paragraph ending just before `start`, or None.

    Figures and image placeholders may stand in between; so may a figure drawn as text (up to
    `FIGURE_TEXT_MAX` paragraphs that end with a figure caption).
    """
    j = start
    while j < len(blocks) and blocks[j].kind in FLOATS:
        j += 1
    if j < len(blocks) and blocks[j].kind == "paragraph" and _starts_lower(blocks[j].text):
        return j
    k = j
    while k < len(blocks) and k - j < FIGURE_TEXT_MAX and blocks[k].kind == "paragraph":
        k += 1
    if k == j or k >= len(blocks) or blocks[k].kind != "figure":
        return None
    while k < len(blocks) and blocks[k].kind in FLOATS:
        k += 1
    if k < len(blocks) and blocks[k].kind == "paragraph" and _starts_lower(blocks[k].text):
        return k
    return None


def rejoin_paragraphs(blocks: list[Block]) -> list[Block]:
    out: list[Block] = []
    i = 0
    while i < len(blocks):
        block = blocks[i]
        out.append(block)
        i += 1
        hyphenated_item = block.kind == "list_item" and re.search(r"[a-z]-$", block.text) is not None
        if block.kind != "paragraph" and not hyphenated_item:
            continue
        while _ends_open(block.text):
            j = _continuation(blocks, i)
            if j is None:
                break
            nxt = blocks[j]
            if re.search(r"[A-Za-z]-$", block.text):
                block.text = block.text[:-1] + nxt.text
            else:
                block.text = block.text.rstrip() + " " + nxt.text
            block.meta.setdefault("joined", []).append(nxt.line)
            # The floats that interrupted the paragraph follow it.
            out.extend(blocks[i:j])
            i = j + 1
    return out


def attach_captions(blocks: list[Block], *, report: ImportReport) -> tuple[list[Block], int]:
    """Pair captions with tables, figures and algorithms; returns the blocks and the captioned-table count."""
    out: list[Block] = []
    tables = 0
    for i, block in enumerate(blocks):
        if block.kind == "caption_table":
            prev = out[-1] if out else None
            nxt = blocks[i + 1] if i + 1 < len(blocks) else None
            if (
                prev is not None
                and prev.kind == "table"
                and prev.caption is None
                and block.line - _last_line(prev) <= 4
            ):
                target = prev
            elif (
                nxt is not None and nxt.kind == "table" and nxt.caption is None and nxt.line - block.line <= 4
            ):
                target = nxt
            else:
                report.problem(block.line, f"caption of Table {block.number} has no table next to it")
                out.append(Block("paragraph", f"Table {block.number}. {block.caption}", line=block.line))
                continue
            target.number, target.caption = block.number, block.caption
            tables += 1
            continue
        if block.kind == "figure":
            prev = out[-1] if out else None
            if prev is not None and prev.kind == "table" and prev.caption is None:
                prev.meta["figure"] = block.number
                prev.caption = block.caption
                continue
            if prev is not None and prev.kind == "placeholder":
                out.pop()
                block.meta["missing_image"] = True
        if block.kind == "caption_algorithm":
            nxt = blocks[i + 1] if i + 1 < len(blocks) else None
            if nxt is not None and nxt.kind == "code":
                nxt.kind = "algorithm"
                nxt.number, nxt.caption = block.number, block.caption
                continue
            block.kind = "algorithm_label"
        out.append(block)
    return [b for b in out if b.kind != "placeholder"], tables


def _last_line(block: Block) -> int:
    return block.line + max(len(block.rows), 1) - 1


def repair_blocks(blocks: list[Block], *, report: ImportReport) -> tuple[list[Block], dict[str, Block]]:
    """Run every pass; fills report.equations and report.tables; returns blocks and footnotes by number."""
    blocks = merge_code_fences(blocks)
    blocks, notes = collect_footnotes(blocks, report=report)
    blocks, numbers = number_equations(blocks, report=report)
    report.equations = len(set(numbers))
    blocks = rejoin_paragraphs(blocks)
    blocks, report.tables = attach_captions(blocks, report=report)
    for block in blocks:
        if block.kind == "code" and "$" in block.text and re.search(r"^\s*\d+:", block.text, re.M):
            block.kind = "algorithm"
    return blocks, notes
