"""Render a scribed note (Markdown with LaTeX math) to HTML with KaTeX, anchors and search text.

The Markdown is CommonMark with tables, strikethrough, footnotes (`[^1]`), heading anchors and dollar math:
`$...$` inline, `$$...$$` display, and `$$...$$ (N)` for a numbered equation (anchor `#eq-N`, shown with
`\\tag{N}`; a `\\tag{N}` written inside the formula gets the same anchor).  Raw HTML is not allowed (it is shown
as text), so a note cannot inject markup; link targets are checked by markdown-it (no `javascript:`).
All formulas of a note are rendered in one KaTeX batch; formulas KaTeX cannot parse are listed in
`math_errors` and shown as KaTeX's red error text, so the preview tells the scribe what to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin

from lecture_notes.document import Anchor
from lecture_notes.inline import MathBag, tex_words
from lecture_notes.repair import fix_tex

RE_TAG = re.compile(r"\\tag\{([^{}]+)\}")
RE_LABEL = re.compile(r"[^\w.-]+")


@dataclass
class RenderedNote:
    html: str
    title: str = ""
    text: str = ""
    math_text: str = ""
    anchors: list[Anchor] = field(default_factory=list)
    headings: list[tuple[str, str, str]] = field(default_factory=list)  # (level, title, html_id)
    math_errors: list[str] = field(default_factory=list)


def _slugify(title: str) -> str:
    return "s-" + (re.sub(r"[^\w]+", "-", title.lower(), flags=re.UNICODE).strip("-") or "part")


def _parser(bag: MathBag, anchors: list[Anchor]) -> MarkdownIt:
    md = (
        MarkdownIt("commonmark", {"html": False, "typographer": False})
        .enable(["table", "strikethrough"])
        .use(dollarmath_plugin, allow_labels=True, allow_space=False, allow_digits=False, double_inline=True)
        .use(footnote_plugin)
        .use(anchors_plugin, min_level=1, max_level=4, slug_func=_slugify)
    )

    def inline_math(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
        return bag.add(fix_tex(tokens[idx].content), display=False)

    def inline_double(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
        return bag.add(fix_tex(tokens[idx].content), display=True)

    def block_math(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
        token = tokens[idx]
        tex = fix_tex(token.content.strip())
        label = RE_LABEL.sub("-", token.info.strip()) if token.type == "math_block_label" else ""
        if label and not RE_TAG.search(tex):
            tex = f"{tex} \\tag{{{label}}}"
        if not label and (m := RE_TAG.search(tex)):
            label = RE_LABEL.sub("-", m.group(1))
        placeholder = bag.add(tex, display=True)
        if label:
            anchors.append(Anchor("eq", label, f"({label})"))
            return f'<div class="equation" id="eq-{label}" tabindex="0">{placeholder}</div>\n'
        return f'<div class="equation" tabindex="0">{placeholder}</div>\n'

    md.add_render_rule("math_inline", inline_math)
    md.add_render_rule("math_inline_double", inline_double)
    md.add_render_rule("math_block", block_math)
    md.add_render_rule("math_block_label", block_math)
    return md


def _walk_text(tokens: list[Token], prose: list[str], math: list[str]) -> None:
    for token in tokens:
        if token.type in ("math_inline", "math_inline_double", "math_block", "math_block_label"):
            math.append(tex_words(token.content))
        elif token.type in ("text", "code_inline", "fence", "code_block"):
            prose.append(token.content)
        if token.children:
            _walk_text(token.children, prose, math)


def render_markdown(source: str) -> RenderedNote:
    """Render one note; never raises on bad math (see `math_errors`)."""
    bag = MathBag()
    anchors: list[Anchor] = []
    md = _parser(bag, anchors)
    env: dict[str, Any] = {}
    tokens = md.parse(source, env)
    html = md.renderer.render(tokens, md.options, env)
    prose: list[str] = []
    math: list[str] = []
    _walk_text(tokens, prose, math)
    headings: list[tuple[str, str, str]] = []
    title = ""
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            text = tokens[i + 1].content
            html_id = token.attrGet("id") or _slugify(text)
            headings.append((token.tag, text, str(html_id)))
            if token.tag == "h1" and not title:
                title = text
            elif token.tag in ("h2", "h3"):
                anchors.append(Anchor("sec", str(html_id).removeprefix("s-"), text))
    bag.render()
    return RenderedNote(
        html=bag.substitute(html).replace("<pre>", '<pre tabindex="0">'),
        title=title,
        text=re.sub(r"\s+", " ", " ".join(prose)).strip(),
        math_text=" ".join(m for m in math if m),
        anchors=anchors,
        headings=headings,
        math_errors=list(bag.errors),
    )
