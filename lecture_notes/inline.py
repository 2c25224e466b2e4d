"""Inline markup of the notes text format to HTML, with math left as placeholders for one batched KaTeX run.

`InlineRenderer.render(text)` escapes the text and converts: `$...$` math (and bare TeX outside `$`, best
effort), `**bold**`, `*italic*`, `` `code` ``, `[text](#)` links whose targets were lost (citations are linked to
the references page, notebook names and other links are kept as labelled text), `<https://...>` autolinks and
bare URLs, Unicode-superscript footnote markers, author-year citations, and the `<i>` tags tables carry.

Math goes into a `MathBag` as `\\x00N\\x00` placeholders; `MathBag.render()` renders all of a book's formulas
in one round trip, counts errors in real (`$`-delimited) math, and falls back to the source text for bare
TeX that KaTeX cannot parse (that wrapping is a guess, so its failures are not errors of the book).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from lecture_notes.bibliography import CitationIndex
from lecture_notes.katex import render_tex_checked
from lecture_notes.mathsplit import split_math
from lecture_notes.repair import fix_tex
from lecture_notes.seedformat import SUPERSCRIPT_DIGITS, SUPERSCRIPTS

RE_PLACEHOLDER = re.compile("\x00(\\d+)\x00")
RE_LINK_TEXT = re.compile(r"\[((?:[^\[\]]|\\\[|\\\])*)\]\(([^()\s]*)\)")
RE_PROTECTED = re.compile(r"`[^`]+`|\[[^\]]*\]\([^)]*\)|<https?://[^>]+>|https?://\S+")
RE_BARE_TEX = re.compile(
    r"\\[A-Za-z]+(?:\s*\{[^{}$]*\})*(?:[_^](?:\{[^{}$]*\}|[A-Za-z0-9]))*"
    r"|(?<![\w\\])[A-Za-zα-ωΑ-Ωϵϑφℓ]{1,2}(?:[_^](?:\{[^{}$]+\}|[A-Za-z0-9]{1,3}))+(?![\w(])"
)
RE_FOOTNOTE_MARK = re.compile(rf"(?<!10)(?<!· )([{SUPERSCRIPTS}]+)")
RE_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
RE_ITALIC = re.compile(r"(?<![*\w])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![*\w])")
RE_CODE = re.compile(r"`([^`]+)`")
RE_AUTOLINK = re.compile(r"&lt;(https?://[^\s&]+?)&gt;")
RE_BARE_URL = re.compile(r"(?<![\"'=/>])\b(https?://[^\s<]+[^\s<.,;:)])")
RE_ALLOWED_TAG = re.compile(r"&lt;(/?)(i|b|em|strong|sub|sup)&gt;")
RE_NOTEBOOK = re.compile(r"^[A-Za-z][\w.\-]*$")


@dataclass
class MathItem:
    tex: str
    display: bool
    soft: bool  # bare TeX wrapped by the importer: fall back to the source on error
    source: str = ""


@dataclass
class MathBag:
    """Every formula of a book, rendered together."""

    items: list[MathItem] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def add(self, tex: str, *, display: bool = False, soft: bool = False, source: str = "") -> str:
        self.items.append(MathItem(tex=tex, display=display, soft=soft, source=source))
        return f"\x00{len(self.items) - 1}\x00"

    def render(self) -> None:
        pairs = [(item.tex, item.display) for item in self.items]
        self.html, errors = render_tex_checked(pairs) if pairs else ([], [])
        for err in errors:
            index = err.index
            item = self.items[index]
            if item.soft:
                self.html[index] = html.escape(item.source)
            else:
                self.errors.append(f"{err.message} in {item.tex[:120]!r}")

    def substitute(self, text: str) -> str:
        return RE_PLACEHOLDER.sub(lambda m: self.html[int(m.group(1))], text)

    @property
    def hard_count(self) -> int:
        return sum(1 for item in self.items if not item.soft)


def _unescape_link_text(text: str) -> str:
    return RE_LINK_TEXT.sub(
        lambda m: "[" + m.group(1).replace("\\(", "(").replace("\\)", ")") + "](" + m.group(2) + ")", text
    )


class InlineRenderer:
    """Converts one paragraph or cell at a time; collects footnote numbers seen since `take_footnotes`."""

    def __init__(self, *, bag: MathBag, citations: CitationIndex | None, references_href: str) -> None:
        self.bag = bag
        self.citations = citations
        self.references_href = references_href
        self._footnotes: list[str] = []

    def take_footnotes(self) -> list[str]:
        seen, self._footnotes = self._footnotes, []
        return list(dict.fromkeys(seen))

    def _wrap_bare_tex(self, text: str) -> str:
        out: list[str] = []
        last = 0
        for protected in [*RE_PROTECTED.finditer(text), None]:
            stop = protected.start() if protected else len(text)
            out.append(
                RE_BARE_TEX.sub(
                    lambda m: self.bag.add(fix_tex(m.group(0)), soft=True, source=m.group(0)), text[last:stop]
                )
            )
            if protected:
                out.append(protected.group(0))
                last = protected.end()
        return "".join(out)

    def render(self, text: str, *, bare_tex: bool = True) -> str:
        text = _unescape_link_text(text)
        pieces: list[str] = []
        for seg in split_math(text):
            if seg.kind == "text":
                chunk = seg.text.replace("$", "\x02")  # a literal dollar must not open math later
                pieces.append(self._wrap_bare_tex(chunk) if bare_tex else chunk)
            else:
                pieces.append(self.bag.add(fix_tex(seg.text), display=seg.kind == "display"))
        return self._markup(html.escape("".join(pieces), quote=True)).replace("\x02", "$")

    def _markup(self, s: str) -> str:
        codes: list[str] = []

        def keep_code(m: re.Match[str]) -> str:
            codes.append(f"<code>{m.group(1)}</code>")
            return f"\x03{len(codes) - 1}\x03"

        s = RE_CODE.sub(keep_code, s)
        s = RE_LINK_TEXT.sub(self._link, s)
        s = RE_AUTOLINK.sub(lambda m: f'<a href="{m.group(1)}" rel="nofollow">{m.group(1)}</a>', s)
        s = RE_BARE_URL.sub(lambda m: f'<a href="{m.group(1)}" rel="nofollow">{m.group(1)}</a>', s)
        s = self._cite(s)
        s = RE_FOOTNOTE_MARK.sub(self._footnote, s)  # before emphasis: `⁶*Under ...*` is italic
        s = RE_BOLD.sub(r"<strong>\1</strong>", s)
        s = RE_ITALIC.sub(r"<em>\1</em>", s)
        s = RE_ALLOWED_TAG.sub(r"<\1\2>", s)
        return re.sub("\x03(\\d+)\x03", lambda m: codes[int(m.group(1))], s)

    def _link(self, m: re.Match[str]) -> str:
        label, target = m.group(1), m.group(2)
        if target.startswith(("http://", "https://")):
            return f'<a href="{target}" rel="nofollow">{label}</a>'
        if self.citations is not None and self.citations.link(label, href="")[1]:
            return label
        if RE_NOTEBOOK.match(label) and ("_" in label or "-" in label or label[:1].isupper()):
            return f'<span class="notebook-ref">{label}</span>'
        return f'<span class="lost-link">{label}</span>'

    def _cite(self, s: str) -> str:
        if self.citations is None:
            return s
        _, spans = self.citations.link(s, href=self.references_href)
        for start, end, href in reversed(spans):
            s = f'{s[:start]}<a class="cite" href="{href}">{s[start:end]}</a>{s[end:]}'
        return s

    def _footnote(self, m: re.Match[str]) -> str:
        number = m.group(1).translate(SUPERSCRIPT_DIGITS)
        self._footnotes.append(number)
        return f'<sup class="fnref"><a href="#fn-{number}" id="fnref-{number}">{number}</a></sup>'


RE_TEX_COMMAND = re.compile(r"\\([A-Za-z]+)")


def plain_text(text: str) -> tuple[str, str]:
    """Search text of a source line: (prose without markup, math with TeX commands turned into words)."""
    text = _unescape_link_text(text)
    prose: list[str] = []
    math: list[str] = []
    for seg in split_math(text):
        if seg.kind == "text":
            prose.append(seg.text)
        else:
            math.append(tex_words(seg.text))
    words = " ".join(prose)
    words = RE_LINK_TEXT.sub(r"\1", words)
    words = re.sub(r"[*`]|</?(?:i|b|em|strong)>", "", words)
    words = words.translate(str.maketrans("", "", SUPERSCRIPTS))
    return re.sub(r"\s+", " ", words).strip(), " ".join(m for m in math if m)


def tex_words(tex: str) -> str:
    """`\\hat{\\tau}_{DM}` -> `hat tau DM`."""
    words = RE_TEX_COMMAND.sub(r" \1 ", tex)
    words = re.sub(r"[\W_]+", " ", words)
    return re.sub(r"\s+", " ", words).strip()
