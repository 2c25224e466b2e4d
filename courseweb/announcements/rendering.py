"""Announcement Markdown to safe HTML, with the lecture notes' parser and the vendored KaTeX.

The Markdown is parsed by the notes renderer's parser (`lecture_notes.markdown_notes`, raw HTML off), then the HTML
is cleaned with nh3 to a small set of tags (no scripts, event handlers, styles, forms or frames; links only to
http(s) and mailto), and only then is each formula put back as KaTeX's HTML (KaTeX runs with `trust: false`, so
its output carries no links or scripts).  Formulas travel through the cleaning as unguessable placeholders.
"""

from __future__ import annotations

import html
import re
import secrets

import nh3

from lecture_notes.inline import MathBag
from lecture_notes.katex import KatexUnavailable
from lecture_notes.markdown_notes import _parser

TAGS = {
    "a", "b", "blockquote", "br", "code", "del", "div", "em", "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p",
    "pre", "s", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul", "section",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "div": {"class"}, "td": {"style"}, "th": {"style"}}
ALIGN_RE = re.compile(r"^text-align:(left|right|center)$")
HEADING_RE = re.compile(r"<(/?)h([1-6])(\s[^>]*)?>")
PLACEHOLDER_RE = re.compile("\x00(\\d+)\x00")


def _keep(tag: str, attr: str, value: str) -> str | None:
    if attr == "class":
        return value if value == "equation" else None
    if attr == "style":
        return value if ALIGN_RE.match(value.replace(" ", "")) else None
    return value


def announcement_render(source: str) -> str:
    """Render an announcement's Markdown; never raises on bad math (KaTeX shows its own error text)."""
    bag = MathBag()
    md = _parser(bag, [])
    raw = md.render(source or "")
    # Headings sit below the page's own h1/h2: h1-h4 become h3-h6.
    raw = HEADING_RE.sub(lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + 2, 6)}>", raw)
    nonce = secrets.token_hex(8)
    marked = PLACEHOLDER_RE.sub(lambda m: f"annmath{nonce}x{m.group(1)}x", raw)
    cleaned = nh3.clean(
        marked,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        attribute_filter=_keep,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    if not bag.items:
        return cleaned
    try:
        bag.render()
        rendered = bag.html
    except KatexUnavailable:  # no Node.js here: show the TeX as text
        rendered = [f"<code>{html.escape(item.tex)}</code>" for item in bag.items]
    return re.sub(rf"annmath{nonce}x(\d+)x", lambda m: rendered[int(m.group(1))], cleaned)
