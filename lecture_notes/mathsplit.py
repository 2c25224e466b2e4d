"""Split prose into text and math segments by the usual TeX-in-Markdown delimiters (no rendering here).

Rules, chosen so that prices and stray dollar signs survive as text:

- `$$...$$` and `\\[...\\]` are display math; `$...$` and `\\(...\\)` are inline math.
- `\\$` outside math is a literal dollar sign (the backslash is dropped).
- An inline `$` opens math only when the next character is not a space, and closes only on a `$` that is not
  escaped, follows a non-space character and is not followed by a digit (so "$5 and $10" stays text).
  Inline math never crosses a blank line.
- A delimiter without its partner stays literal text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SegmentKind = Literal["text", "inline", "display"]


@dataclass(frozen=True, slots=True)
class Segment:
    kind: SegmentKind
    text: str


def _find_unescaped(text: str, needle: str, start: int) -> int:
    pos = start
    while True:
        pos = text.find(needle, pos)
        if pos < 0:
            return -1
        backslashes = 0
        k = pos - 1
        while k >= 0 and text[k] == "\\":
            backslashes += 1
            k -= 1
        if backslashes % 2 == 0:
            return pos
        pos += 1


def _close_inline_dollar(text: str, start: int) -> int:
    """Index of the `$` closing an inline formula whose body starts at `start`, or -1."""
    pos = start
    while True:
        pos = _find_unescaped(text, "$", pos)
        if pos < 0:
            return -1
        if "\n\n" in text[start:pos]:
            return -1
        if not text[pos - 1].isspace() and not (pos + 1 < len(text) and text[pos + 1].isdigit()):
            return pos
        pos += 1


def split_math(text: str) -> list[Segment]:
    """Split `text` into text / inline / display segments; the segments' texts exclude the delimiters."""
    segments: list[Segment] = []
    buf: list[str] = []
    i, n = 0, len(text)

    def flush() -> None:
        if buf:
            segments.append(Segment("text", "".join(buf)))
            buf.clear()

    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n:
            nxt = text[i + 1]
            if nxt == "$":
                buf.append("$")
                i += 2
                continue
            if nxt in "([":
                closer = "\\)" if nxt == "(" else "\\]"
                end = text.find(closer, i + 2)
                if end >= 0 and text[i + 2 : end].strip():
                    flush()
                    segments.append(Segment("inline" if nxt == "(" else "display", text[i + 2 : end]))
                    i = end + 2
                    continue
            buf.append(text[i : i + 2])
            i += 2
            continue
        if ch == "$":
            if text.startswith("$$", i):
                end = _find_unescaped(text, "$$", i + 2)
                if end >= 0 and text[i + 2 : end].strip():
                    flush()
                    segments.append(Segment("display", text[i + 2 : end]))
                    i = end + 2
                    continue
                buf.append("$$")
                i += 2
                continue
            if i + 1 < n and not text[i + 1].isspace():
                end = _close_inline_dollar(text, i + 1)
                if end >= 0:
                    flush()
                    segments.append(Segment("inline", text[i + 1 : end]))
                    i = end + 1
                    continue
            buf.append("$")
            i += 1
            continue
        buf.append(ch)
        i += 1
    flush()
    return segments
