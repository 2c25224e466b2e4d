"""Repair of the text residue that scraped paper lists carry, outside math only.

What gets repaired: HTML entities (``&amp;``, ``&#8211;``) and entities whose ``&#``/``;`` were stripped
(``modelx2013and`` -> ``model\u2013and`` (an en dash)); TeX accents (``Fr\\'echet`` -> ``Fréchet``); TeX quotes
(````drained''`` -> ``“drained”``); text-mode macros with an obvious plain form (``\\emph{x}``, ``\\%``);
an abstract wrapped whole in straight double quotes.  Math (``$...$``, ``$$...$$``, ``\\(...\\)``,
``\\[...\\]``) is left untouched for KaTeX.  Macros nobody can expand (``\\method``) are kept and reported.
"""

from __future__ import annotations

import html
import re
import unicodedata

from courseweb.papers.importers.records import Flag, PaperRecord

_MATH_RE = re.compile(r"(\$\$.+?\$\$|\$[^$]+?\$|\\\(.+?\\\)|\\\[.+?\\\])", re.DOTALL)

# Entity residue: a letter, then x + a General Punctuation code point (U+2000-U+206F), then a letter.
_STRIPPED_ENTITY_RE = re.compile(r"(?<=[A-Za-z])x(20[0-6][0-9a-fA-F])(?=[A-Za-z])")

_ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "c": "\u0327",
    "v": "\u030c",
    "u": "\u0306",
    "H": "\u030b",
}
_ACCENT_RE = re.compile(r"\{?\\([`'^\"~=.])\{?([A-Za-z])\}?\}?|\{?\\([cvuH])\{([A-Za-z])\}\}?")
_FORMATTING_MACRO_RE = re.compile(
    r"\\(?:emph|textit|textbf|texttt|textsc|textrm|underline|url)\{((?:[^{}]|\{\})*)\}"
)
_ESCAPES = {r"\%": "%", r"\&": "&", r"\_": "_", r"\#": "#", r"\$": "$", r"\ldots": "…", r"\dots": "…"}
_MACRO_RE = re.compile(r"\\([A-Za-z]+)(\{\})?")
_TEXT_MACROS_WITH_MEANING = {"cite", "citep", "citet", "ref", "href", "footnote", "label"}


def _accent(match: re.Match[str]) -> str:
    mark, letter = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
    return unicodedata.normalize("NFC", letter + _ACCENTS[mark])


def _repair_text(text: str) -> str:
    text = html.unescape(text)
    text = _STRIPPED_ENTITY_RE.sub(lambda m: chr(int(m.group(1), 16)), text)
    text = _ACCENT_RE.sub(_accent, text)
    text = text.replace("``", "\u201c").replace("''", "\u201d")
    for _ in range(3):  # nested \textbf{\emph{x}}
        text = _FORMATTING_MACRO_RE.sub(r"\1", text)
    for escape, plain in _ESCAPES.items():
        text = text.replace(escape, plain)
    return text


def split_math(text: str) -> list[tuple[bool, str]]:
    """The text as (is_math, piece) pairs, in order."""
    pieces: list[tuple[bool, str]] = []
    pos = 0
    for match in _MATH_RE.finditer(text):
        if match.start() > pos:
            pieces.append((False, text[pos : match.start()]))
        pieces.append((True, match.group(0)))
        pos = match.end()
    if pos < len(text):
        pieces.append((False, text[pos:]))
    return pieces


def clean_text(text: str) -> str:
    """Repair residue outside math, collapse whitespace and strip one pair of wrapping straight quotes."""
    cleaned = "".join(piece if is_math else _repair_text(piece) for is_math, piece in split_math(text))
    cleaned = re.sub(r"\s+", " ", cleaned).strip()
    if len(cleaned) > 2 and cleaned[0] == '"' and cleaned[-1] == '"' and cleaned.count('"') == 2:
        cleaned = cleaned[1:-1].strip()
    return cleaned


def clean_title(text: str) -> str:
    """A title: cleaned like text, with BibTeX's case-protecting braces removed."""
    cleaned = clean_text(text)
    if "$" not in cleaned:
        cleaned = cleaned.replace("{", "").replace("}", "")
    return cleaned.rstrip(" .")


def unexpanded_macros(text: str) -> list[str]:
    """Macros left outside math after cleaning (e.g. ``\\method``): they came from an author's preamble."""
    found: list[str] = []
    for is_math, piece in split_math(text):
        if is_math:
            continue
        for match in _MACRO_RE.finditer(piece):
            name = match.group(1)
            if name not in _TEXT_MACROS_WITH_MEANING and f"\\{name}" not in found:
                found.append(f"\\{name}")
    return found


def set_abstract(record: PaperRecord, raw: str) -> None:
    """Store the raw and cleaned abstract on a record and flag macros nobody can expand."""
    record.abstract_raw = raw.strip()
    record.abstract = clean_text(raw)
    if unexpanded_macros(record.abstract):
        record.add_flag(Flag.UNEXPANDED_MACROS)
