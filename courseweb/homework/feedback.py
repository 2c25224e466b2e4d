"""Render a graded (feedback) notebook to inert HTML shown inline in the submission page.

Everything in a feedback notebook except the engine's own verdicts is student-controlled and untrusted:

* markdown (cells and `text/markdown` outputs) is rendered with raw HTML disabled, then cleaned with nh3; its
  `$…$` / `$$…$$` math is rendered on the server with the vendored KaTeX, in one batched run per document
  (`lecture_notes.katex`, as the lecture notes do); KaTeX runs with `trust: false`;
* HTML outputs are cleaned with nh3 to a small set of tags: no scripts, event handlers, styles or classes,
  forms, frames, objects, SVG or MathML, and links only to http(s), mailto and in-page anchors;
* images are shown only as base64 data URLs of PNG, JPEG or GIF whose payload decodes strictly
  (`validate=True`) and starts with that format's magic bytes; anything else (SVG included) is not shown;
* headings are moved below the page's own (h1-h6 become h4-h6), and the whole document sits in a box that
  paints nothing outside itself (see `static/css/feedback.css`).

Test cells are shown from the released notebook (hidden tests never appear) with the engine's verdict and, for a
failed or errored test, the traceback the engine filtered (`graders/tracebacks.py`): no hidden line, message or
value. Their own outputs are not shown.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin

from graders import format as fmt
from lecture_notes.katex import KatexUnavailable, render_tex_many

ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
MAX_TEXT_CHARS = 20_000
MAX_IMAGE_CHARS = 8 * 1024 * 1024
MAX_MATH = 500
HTML_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "small", "span", "strong",
    "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
# tags whose content goes with them (the others are unwrapped and keep their text)
DROPPED_WITH_CONTENT = {
    "script", "style", "iframe", "object", "embed", "svg", "math", "noscript", "template", "title",
    "textarea", "select", "frameset", "applet", "head",
}  # fmt: skip
HTML_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "table": {"border"},
}
IMAGE_MAGIC = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}
DATA_URL_RE = re.compile(r"^data:(image/(?:png|jpeg|gif));base64,(.*)$", re.DOTALL)
LINK_RE = re.compile(r"^(https?://|mailto:|#)", re.IGNORECASE)
SMALL_NUMBER_RE = re.compile(r"^\d{1,4}%?$")
HEADING_RE = re.compile(r"<(/?)h([1-6])>")
# nh3 serialises every attribute value in double quotes (a quote inside is &quot;)
IMG_RE = re.compile(r'<img((?:\s+[\w-]+="[^"]*")*)\s*/?>')

STYLE = """
body{font:15px/1.5 system-ui,sans-serif;color:#1d2433;margin:0;padding:12px;background:#fff}
.fb-cell{border:1px solid #d8dde6;border-radius:8px;margin:0 0 12px;padding:8px 12px}
.fb-cell.test{border-left:5px solid #8a94a6}.fb-cell.passed{border-left-color:#1b6e3a}
.fb-cell.failed,.fb-cell.error,.fb-cell.timeout{border-left-color:#a12622}
pre{white-space:pre-wrap;word-break:break-word;background:#f6f7fb;padding:6px 8px;border-radius:6px;margin:6px 0}
pre.fb-err{background:#fdecea;color:#7a1c19}.fb-verdict{font-weight:600}.fb-muted{color:#4a5468}
table{border-collapse:collapse}td,th{border:1px solid #d8dde6;padding:2px 6px}img{max-width:100%;height:auto}
"""


def image_data_url(mime: str, payload: Any) -> str | None:
    """A `data:` URL for a PNG, JPEG or GIF payload that is strictly valid base64 of that format; else None."""
    if mime not in IMAGE_MAGIC:
        return None
    raw = "".join(payload) if isinstance(payload, list) else payload
    if not isinstance(raw, str) or len(raw) > MAX_IMAGE_CHARS:
        return None
    data = re.sub(r"[ \t\r\n]+", "", raw)
    try:
        decoded = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None
    if not decoded.startswith(IMAGE_MAGIC[mime]):
        return None
    return f"data:{mime};base64,{data}"


def _checked_data_url(value: str) -> str | None:
    match = DATA_URL_RE.match(value.strip())
    return image_data_url(match.group(1), match.group(2)) if match else None


def clean_html(fragment: str) -> str:
    """Untrusted HTML reduced to inert markup: tables, text formatting, links to http(s), validated images."""

    def keep(tag: str, attr: str, value: str) -> str | None:
        if tag == "img" and attr == "src":
            return _checked_data_url(value)
        if attr == "href":
            return value if LINK_RE.match(value.strip()) else None
        if attr in ("width", "height", "colspan", "rowspan", "border"):
            return value if SMALL_NUMBER_RE.match(value.strip()) else None
        return value

    cleaned = nh3.clean(
        fragment,
        tags=HTML_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=HTML_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "data"},
        attribute_filter=keep,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    cleaned = IMG_RE.sub(_img_fixed, cleaned)
    return HEADING_RE.sub(lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + 3, 6)}>", cleaned)


def _img_fixed(match: re.Match[str]) -> str:
    """An image whose source was refused goes away; one without a text alternative gets one."""
    attrs = match.group(1)
    if ' src="' not in attrs:
        return ""
    return match.group(0) if ' alt="' in attrs else f'<img alt="output image"{attrs}>'


@dataclass
class MathBatch:
    """Formulas of one document, rendered by KaTeX in one batch and put back by unguessable placeholders."""

    items: list[tuple[str, bool]] = field(default_factory=list)
    nonce: str = field(default_factory=lambda: secrets.token_hex(8))

    def add(self, tex: str, *, display: bool) -> str:
        if len(self.items) >= MAX_MATH:
            return html.escape(f"$${tex}$$" if display else f"${tex}$")
        self.items.append((tex, display))
        return f"fbmath{self.nonce}x{len(self.items) - 1}x"

    def substitute(self, text: str) -> str:
        if not self.items:
            return text
        try:
            rendered = render_tex_many(self.items)
        except KatexUnavailable:  # no Node here: show the TeX as text
            rendered = [
                f'<code class="fb-tex">{html.escape(f"$${tex}$$" if display else f"${tex}$")}</code>'
                for tex, display in self.items
            ]
        pattern = re.compile(rf"fbmath{self.nonce}x(\d+)x")
        return pattern.sub(lambda m: rendered[int(m.group(1))], text)


def _markdown(batch: MathBatch) -> MarkdownIt:
    md = (
        MarkdownIt("commonmark", {"html": False, "linkify": False})
        .enable(["table", "strikethrough"])
        .use(dollarmath_plugin, allow_space=False, allow_digits=False, double_inline=True)
    )

    def inline(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
        return batch.add(tokens[idx].content, display=False)

    def display(self: Any, tokens: list[Token], idx: int, options: Any, env: Any) -> str:
        return f"<p>{batch.add(tokens[idx].content.strip(), display=True)}</p>\n"

    md.add_render_rule("math_inline", inline)
    md.add_render_rule("math_inline_double", display)
    md.add_render_rule("math_block", display)
    md.add_render_rule("math_block_label", display)
    return md


def _text(value: Any) -> str:
    text = "".join(value) if isinstance(value, list) else str(value or "")
    text = ANSI_RE.sub("", text)
    if len(text) > MAX_TEXT_CHARS:
        text = text[:MAX_TEXT_CHARS] + "\n… (output truncated)"
    return text


def _markdown_html(source: Any, batch: MathBatch) -> str:
    return clean_html(_markdown(batch).render(_text(source)))


def _image(mime: str, payload: Any) -> str:
    url = image_data_url(mime, payload)
    return f'<img alt="output image" src="{url}">' if url else ""


def render_output(output: dict[str, Any], batch: MathBatch | None = None) -> str:
    """One nbformat output as inert HTML ("" when it has nothing that may be shown)."""
    batch = batch if batch is not None else MathBatch()
    kind = output.get("output_type")
    if kind == "stream":
        css = ' class="fb-err"' if output.get("name") == "stderr" else ""
        return f"<pre{css}>{html.escape(_text(output.get('text')))}</pre>"
    if kind == "error":
        trace = _text("\n".join(str(t) for t in output.get("traceback") or [])) or (
            f"{output.get('ename')}: {output.get('evalue')}"
        )
        return f'<pre class="fb-err">{html.escape(trace)}</pre>'
    data = output.get("data")
    if not isinstance(data, dict):
        return ""
    for mime in ("image/png", "image/jpeg", "image/gif"):
        if mime in data and (shown := _image(mime, data[mime])):
            return shown
    if "text/html" in data:
        return f'<div class="fb-html">{clean_html(_text(data["text/html"]))}</div>'
    if "text/markdown" in data:
        return f'<div class="fb-markdown">{_markdown_html(data["text/markdown"], batch)}</div>'
    if "text/plain" in data:
        return f"<pre>{html.escape(_text(data['text/plain']))}</pre>"
    if "image/svg+xml" in data:
        return '<p class="fb-muted">(An SVG image: feedback shows PNG, JPEG and GIF images only.)</p>'
    return ""


def _engine_meta(cell: dict[str, Any]) -> dict[str, Any]:
    meta = (cell.get("metadata") or {}).get("grader")
    return meta if isinstance(meta, dict) else {}


def _verdict(result: dict[str, Any] | None) -> str:
    if not result:
        return '<p class="fb-verdict fb-muted">Not graded.</p>'
    status = html.escape(str(result.get("status") or ""))
    score, max_score = result.get("score"), result.get("max_score")
    points = f" · {score:g} / {max_score:g} points" if isinstance(score, int | float) and max_score else ""
    message = f"<pre>{html.escape(_text(result.get('message')))}</pre>" if result.get("message") else ""
    return f'<p class="fb-verdict">Test {status}{points}</p>{message}'


def _traceback(meta: dict[str, Any]) -> str:
    lines = meta.get("traceback")
    if not isinstance(lines, list) or not lines:
        return ""
    text = _text("\n".join(str(line) for line in lines))
    return f'<pre class="fb-err fb-traceback">{html.escape(text)}</pre>'


def render_feedback_fragment(
    *,
    notebook: dict[str, Any],
    released: dict[str, Any] | None,
    results: dict[str, Any],
    test_ids: set[str],
    stem: str = "",
) -> str:
    """The feedback of one notebook as an HTML fragment for the submission page (math already rendered)."""
    batch = MathBatch()
    released_sources = {
        fmt.grade_id(c): _text(c.get("source"))
        for c in (released or {}).get("cells", [])
        if isinstance(c, dict)
    }
    prefix = re.sub(r"[^A-Za-z0-9_-]", "-", stem)
    parts: list[str] = []
    for cell in notebook.get("cells", []):
        if not isinstance(cell, dict):
            continue
        gid = fmt.grade_id(cell)
        if gid in test_ids:
            result = results.get(gid) or {}
            source = released_sources.get(gid, "")
            anchor = html.escape(f"fb-{prefix}-{gid}")
            shown = html.escape(source) if source.strip() else '<span class="fb-muted">(hidden tests)</span>'
            parts.append(
                f'<section class="fb-cell test {html.escape(str(result.get("status", "")))}" id="{anchor}">'
                f"<pre>{shown}</pre>{_verdict(result)}{_traceback(_engine_meta(cell))}</section>"
            )
            continue
        body = ""
        if cell.get("cell_type") == "markdown":
            body = _markdown_html(cell.get("source"), batch)
        elif cell.get("cell_type") == "code":
            outputs = "".join(
                render_output(o, batch) for o in cell.get("outputs") or [] if isinstance(o, dict)
            )
            body = f"<pre>{html.escape(_text(cell.get('source')))}</pre>{outputs}"
        if gid and gid in results:
            body += _verdict(results[gid])
        parts.append(f'<section class="fb-cell">{body}</section>')
    return batch.substitute(f'<div class="feedback-notebook">{"".join(parts)}</div>')


def render_feedback(
    *, notebook: dict[str, Any], released: dict[str, Any] | None, results: dict[str, Any], test_ids: set[str]
) -> str:
    """The feedback of one notebook as a standalone document (served with a CSP that forbids every script)."""
    fragment = render_feedback_fragment(
        notebook=notebook, released=released, results=results, test_ids=test_ids
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Feedback</title>'
        f"<style>{STYLE}</style></head><body>{fragment}</body></html>"
    )
