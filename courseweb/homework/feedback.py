"""Render a graded (feedback) notebook to a self-contained, inert HTML document.

Student-controlled content is untrusted: markdown is rendered with raw HTML disabled, HTML outputs are cleaned
with nh3 (no scripts, no event handlers, no `javascript:` URLs, no SVG), SVG outputs are shown only as
`<img src="data:image/svg+xml;base64,...">` (an image never runs scripts), and PNG/JPEG plots stay as data-URL
images. The document is served with a CSP that forbids every script and from a sandboxed iframe (see views).
Test cells are shown from the released notebook (hidden tests never appear) with the engine's verdict instead of
their outputs.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from typing import Any

import nh3
from markdown_it import MarkdownIt

ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
MAX_TEXT_CHARS = 20_000
HTML_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "small", "span", "strong",
    "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
HTML_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "table": {"border", "class"},
    "tr": {"class"},
    "span": {"class"},
    "div": {"class"},
}
DATA_IMAGE_RE = re.compile(r"^data:image/(png|jpeg|gif);base64,[A-Za-z0-9+/=\s]+$")
LINK_RE = re.compile(r"^(https?://|mailto:|#)", re.IGNORECASE)
_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")

STYLE = """
body{font:15px/1.5 system-ui,sans-serif;color:#1d2433;margin:0;padding:12px;background:#fff}
.cell{border:1px solid #d8dde6;border-radius:8px;margin:0 0 12px;padding:8px 12px}
.cell.test{border-left:5px solid #8a94a6}.cell.passed{border-left-color:#1b6e3a}
.cell.failed,.cell.error,.cell.timeout{border-left-color:#a12622}.cell.needs_manual{border-left-color:#8a5a00}
pre{white-space:pre-wrap;word-break:break-word;background:#f6f7fb;padding:6px 8px;border-radius:6px;margin:6px 0}
pre.err{background:#fdecea;color:#7a1c19}.verdict{font-weight:600}.muted{color:#4a5468}
table{border-collapse:collapse}td,th{border:1px solid #d8dde6;padding:2px 6px}img{max-width:100%}
"""


def clean_html(fragment: str) -> str:
    """Untrusted HTML reduced to inert markup: tables, text formatting, links to http(s) and data-URL images."""

    def keep(tag: str, attr: str, value: str) -> str | None:
        if tag == "img" and attr == "src":
            return value if DATA_IMAGE_RE.match(value) else None
        if attr == "href":
            return value if LINK_RE.match(value.strip()) else None
        return value

    return nh3.clean(
        fragment,
        tags=HTML_TAGS,
        attributes=HTML_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "data"},
        attribute_filter=keep,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def _text(value: Any) -> str:
    text = "".join(value) if isinstance(value, list) else str(value or "")
    text = ANSI_RE.sub("", text)
    if len(text) > MAX_TEXT_CHARS:
        text = text[:MAX_TEXT_CHARS] + "\n… (output truncated)"
    return text


def _image(mime: str, payload: Any) -> str:
    raw = _text(payload).strip()
    try:
        base64.b64decode(raw, validate=False)
    except (binascii.Error, ValueError):
        return ""
    data = re.sub(r"\s+", "", raw)
    return f'<img alt="output image" src="data:{mime};base64,{data}">'


def _svg(payload: Any) -> str:
    encoded = base64.b64encode(_text(payload).encode("utf-8")).decode("ascii")
    return f'<img alt="output image (SVG)" src="data:image/svg+xml;base64,{encoded}">'


def render_output(output: dict[str, Any]) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        css = "err" if output.get("name") == "stderr" else ""
        return f'<pre class="{css}">{html.escape(_text(output.get("text")))}</pre>'
    if kind == "error":
        trace = (
            _text("\n".join(output.get("traceback") or []))
            or f"{output.get('ename')}: {output.get('evalue')}"
        )
        return f'<pre class="err">{html.escape(trace)}</pre>'
    data = output.get("data") or {}
    if "image/png" in data:
        return _image("image/png", data["image/png"])
    if "image/jpeg" in data:
        return _image("image/jpeg", data["image/jpeg"])
    if "image/svg+xml" in data:
        return _svg(data["image/svg+xml"])
    if "text/html" in data:
        return f'<div class="html-output">{clean_html(_text(data["text/html"]))}</div>'
    if "text/markdown" in data:
        return clean_html(_md.render(_text(data["text/markdown"])))
    if "text/plain" in data:
        return f"<pre>{html.escape(_text(data['text/plain']))}</pre>"
    return ""


def _grade_meta(cell: dict[str, Any]) -> dict[str, Any]:
    meta = (cell.get("metadata") or {}).get("nbgrader")
    return meta if isinstance(meta, dict) else {}


def _verdict(result: dict[str, Any] | None) -> str:
    if not result:
        return '<p class="verdict muted">Not graded.</p>'
    status = html.escape(str(result.get("status") or ""))
    score, max_score = result.get("score"), result.get("max_score")
    points = f" · {score:g} / {max_score:g} points" if isinstance(score, int | float) and max_score else ""
    message = f"<pre>{html.escape(_text(result.get('message')))}</pre>" if result.get("message") else ""
    return f'<p class="verdict">Test {status}{points}</p>{message}'


def render_feedback(
    *, notebook: dict[str, Any], released: dict[str, Any] | None, results: dict[str, Any], test_ids: set[str]
) -> str:
    """The whole feedback document for one notebook."""
    released_sources = {
        _grade_meta(c).get("grade_id"): _text(c.get("source")) for c in (released or {}).get("cells", [])
    }
    parts: list[str] = []
    for cell in notebook.get("cells", []):
        meta = _grade_meta(cell)
        gid = meta.get("grade_id")
        if gid in test_ids:
            result = results.get(gid) or {}
            source = released_sources.get(gid, "")
            parts.append(
                f'<section class="cell test {html.escape(str(result.get("status", "")))}" id="cell-{html.escape(gid)}">'
                f"<pre>{html.escape(source) or '<span class=muted>(hidden tests)</span>'}</pre>{_verdict(result)}</section>"
            )
            continue
        body = ""
        if cell.get("cell_type") == "markdown":
            body = clean_html(_md.render(_text(cell.get("source"))))
        elif cell.get("cell_type") == "code":
            outputs = "".join(render_output(o) for o in cell.get("outputs") or [] if isinstance(o, dict))
            body = f"<pre>{html.escape(_text(cell.get('source')))}</pre>{outputs}"
        if gid and gid in results:
            body += _verdict(results[gid])
        parts.append(f'<section class="cell">{body}</section>')
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Feedback</title>'
        f"<style>{STYLE}</style></head><body>{''.join(parts)}</body></html>"
    )
