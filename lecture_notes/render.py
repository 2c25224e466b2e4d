"""Render pages of blocks to HTML, with anchors, footnotes at the page end, and search text.

Anchors: sub-subsections `#s-3-4-1`, equations `#eq-13`, figures `#fig-6-3-4`, tables `#tab-5`, theorem-like
blocks `#thm-12-2` (`#thm-corollary-12-4-1` etc. for corollaries, lemmas, ...), algorithms `#alg-2`,
footnotes `#fn-3`, references `#ref-vaswani2017`.  All math of the book is rendered in one KaTeX batch.
"""

from __future__ import annotations

import html
import re

from lecture_notes.bibliography import CitationIndex
from lecture_notes.document import Anchor, Block, Book, Page
from lecture_notes.inline import InlineRenderer, MathBag, plain_text, tex_words

RE_THEOREM = re.compile(
    r"^(?P<kind>Theorem|Corollary|Lemma|Proposition|Definition|Assumption)\s+(?P<num>\d+(?:\.\d+)*)"
    r"(?P<rest>\s*\([^)]*\))?\.?"
)
# A run-in paragraph title whose bold was lost: up to five title-case words and a period ("Theory Insights.").
RE_RUN_IN = re.compile(
    r"^((?:[A-Z][\w-]*)(?: (?:[A-Z][\w-]*|of|and|for|the|to|in|on|vs|versus|a|an|with)){0,4}\.)(?= [A-Z(])"
)
RE_PROOF = re.compile(r"^(Proof(?: of [A-Z][a-z]+ \d+(?:\.\d+)*)?\.|Remarks?(?: \([^)]*\))?\.)")


class PageRenderer:
    def __init__(self, *, inline: InlineRenderer, bag: MathBag) -> None:
        self.inline = inline
        self.bag = bag

    def render_page(self, page: Page, *, footnotes: dict[str, Block], missing: set[str]) -> None:
        parts: list[str] = []
        prose: list[str] = [page.title]
        math: list[str] = []
        blocks = page.blocks
        i = 0
        while i < len(blocks):
            block = blocks[i]
            if block.kind == "list_item":
                j = i
                while j < len(blocks) and blocks[j].kind == "list_item":
                    j += 1
                parts.append(self._list(blocks[i:j], prose, math))
                i = j
                continue
            parts.append(self._block(block, page, prose, math))
            i += 1
        notes = []
        for number in self.inline.take_footnotes():
            note = footnotes.get(number)
            if note is None:
                if number not in missing:
                    missing.add(number)
                continue
            body = self.inline.render(note.text)
            self._collect(note.text, prose, math)
            notes.append((number, body))
            page.anchors.append(Anchor("fn", number, f"footnote {number}"))
        page.footnotes = notes
        page.html = "\n".join(p for p in parts if p)
        page.text = " ".join(p for p in prose if p)
        page.math_text = " ".join(m for m in math if m)

    def _collect(self, text: str, prose: list[str], math: list[str]) -> None:
        words, formulas = plain_text(text)
        prose.append(words)
        math.append(formulas)

    def _block(self, block: Block, page: Page, prose: list[str], math: list[str]) -> str:
        kind = block.kind
        if kind == "heading":
            key = (block.number or "").replace(".", "-")
            page.anchors.append(Anchor("sec", key, f"{block.number} {block.text}"))
            self._collect(block.text, prose, math)
            title = self.inline.render(block.text)
            return f'<h2 id="s-{key}"><span class="secnum">{block.number}</span> {title}</h2>'
        if kind == "pseudo":
            self._collect(block.text, prose, math)
            slug = re.sub(r"[^a-z0-9]+", "-", block.text.lower()).strip("-")[:60]
            return (
                f'<h3 class="run-in-heading" id="h-{slug}-{block.line}">{self.inline.render(block.text)}</h3>'
            )
        if kind == "math":
            math.append(tex_words(block.text))
            placeholder = self.bag.add(block.text, display=True)
            if block.number:
                page.anchors.append(Anchor("eq", block.number, f"({block.number})"))
                return (
                    f'<div class="equation" id="eq-{block.number}" tabindex="0" role="group" '
                    f'aria-label="Equation ({block.number})">{placeholder}</div>'
                )
            return f'<div class="equation" tabindex="0">{placeholder}</div>'
        if kind == "code":
            prose.append(block.text)
            return f'<pre class="code" tabindex="0"><code>{html.escape(block.text, quote=False)}</code></pre>'
        if kind == "algorithm":
            return self._algorithm(block, page, prose, math)
        if kind == "table":
            return self._table(block, page, prose, math)
        if kind == "figure":
            return self._figure(block, page, prose, math)
        if kind == "qed":
            return '<p class="qed">□</p>'
        self._collect(block.text, prose, math)
        if kind == "algorithm_label":
            return f'<p class="algorithm-label">Algorithm {block.number}: {self.inline.render(block.caption or "")}</p>'
        return self._paragraph(block.text, page)

    def _paragraph(self, text: str, page: Page) -> str:
        if m := RE_THEOREM.match(text):
            kind, num = m.group("kind"), m.group("num")
            key = num.replace(".", "-") if kind == "Theorem" else f"{kind.lower()}-{num.replace('.', '-')}"
            page.anchors.append(Anchor("thm", key, f"{kind} {num}"))
            head = self.inline.render(m.group(0))
            body = self.inline.render(text[m.end() :])
            return (
                f'<div class="theorem theorem-{kind.lower()}" id="thm-{key}">'
                f"<p><strong>{head}</strong>{body}</p></div>"
            )
        if m := RE_PROOF.match(text):
            css = "proof" if text.startswith("Proof") else "remark"
            head = self.inline.render(m.group(0))
            return f'<div class="{css}"><p><em>{head}</em>{self.inline.render(text[m.end() :])}</p></div>'
        if m := RE_RUN_IN.match(text):
            title = self.inline.render(m.group(1))
            return f'<p><strong class="run-in">{title}</strong> {self.inline.render(text[m.end() :].lstrip())}</p>'
        return f"<p>{self.inline.render(text)}</p>"

    def _list(self, items: list[Block], prose: list[str], math: list[str]) -> str:
        out: list[str] = []
        stack: list[str] = []
        for item in items:
            tag = "ol" if item.meta.get("ordered") else "ul"
            while len(stack) < item.level:
                out.append(f'<{tag} class="level-{len(stack) + 1}">')
                stack.append(tag)
            while len(stack) > item.level:
                out.append(f"</{stack.pop()}>")
            if stack[-1] != tag:
                out.append(f"</{stack.pop()}>")
                out.append(f'<{tag} class="level-{len(stack) + 1}">')
                stack.append(tag)
            self._collect(item.text, prose, math)
            value = f' value="{item.meta["n"]}"' if item.meta.get("ordered") else ""
            out.append(f"<li{value}>{self.inline.render(item.text)}</li>")
        while stack:
            out.append(f"</{stack.pop()}>")
        return "".join(out)

    def _table(self, block: Block, page: Page, prose: list[str], math: list[str]) -> str:
        width = max(len(row) for row in block.rows)
        rows = [row + [""] * (width - len(row)) for row in block.rows]
        while width > 1 and all(not row[width - 1].strip() for row in rows):
            width -= 1
            rows = [row[:width] for row in rows]
        head, *body = rows
        for row in rows:
            for cell in row:
                self._collect(cell, prose, math)
        cells = "".join(f'<th scope="col">{self.inline.render(c.strip())}</th>' for c in head)
        trs = "".join(
            "<tr>" + "".join(f"<td>{self.inline.render(c.strip())}</td>" for c in row) + "</tr>"
            for row in body
        )
        table_id, caption = "", ""
        if block.number and not block.meta.get("figure"):
            page.anchors.append(Anchor("tab", block.number, f"Table {block.number}"))
            table_id = f' id="tab-{block.number}"'
            self._collect(block.caption or "", prose, math)
            caption = (
                f'<caption><span class="label">Table {block.number}.</span> '
                f"{self.inline.render(block.caption or '')}</caption>"
            )
        table = (
            f'<div class="table-wrap" tabindex="0"><table class="book-table"{table_id}>{caption}'
            f"<thead><tr>{cells}</tr></thead><tbody>{trs}</tbody></table></div>"
        )
        if block.meta.get("figure"):
            return self._figure_html(block.meta["figure"], block.caption or "", table, page, prose, math)
        return table

    def _figure(self, block: Block, page: Page, prose: list[str], math: list[str]) -> str:
        content = ""
        if block.meta.get("missing_image"):
            content = (
                '<div class="img-missing" role="img" aria-label="image not included">Image not included</div>'
            )
        return self._figure_html(block.number or "", block.caption or "", content, page, prose, math)

    def _figure_html(
        self, number: str, caption: str, content: str, page: Page, prose: list[str], math: list[str]
    ) -> str:
        key = number.replace(".", "-")
        page.anchors.append(Anchor("fig", key, f"Figure {number}"))
        self._collect(caption, prose, math)
        return (
            f'<figure class="book-figure" id="fig-{key}">{content}<figcaption><span class="label">'
            f"Figure {number}.</span> {self.inline.render(caption)}</figcaption></figure>"
        )

    def _algorithm(self, block: Block, page: Page, prose: list[str], math: list[str]) -> str:
        lines = []
        for line in block.text.split("\n"):
            if not line.strip():
                continue
            self._collect(line, prose, math)
            indent = len(line) - len(line.lstrip(" "))
            lines.append(
                f'<div class="algo-line" style="padding-left:{indent / 2:.1f}em">'
                f"{self.inline.render(line.strip())}</div>"
            )
        label = ""
        if block.number:
            page.anchors.append(Anchor("alg", block.number, f"Algorithm {block.number}"))
            label = (
                f'<figcaption><span class="label">Algorithm {block.number}</span> '
                f"{self.inline.render(block.caption or '')}</figcaption>"
            )
        ident = f' id="alg-{block.number}"' if block.number else ""
        return (
            f'<figure class="algorithm"{ident}>{label}<div class="algo-body">{"".join(lines)}</div></figure>'
        )


def render_book(book: Book, *, footnotes: dict[str, Block], references_href: str) -> None:
    """Fill every page's HTML, anchors, footnotes and search text, and the references page."""
    bag = MathBag()
    citations = CitationIndex(book.references)
    inline = InlineRenderer(bag=bag, citations=citations, references_href=references_href)
    renderer = PageRenderer(inline=inline, bag=bag)
    missing: set[str] = set()
    for page in book.pages:
        page.title_html = inline.render(page.title)
        renderer.render_page(page, footnotes=footnotes, missing=missing)
    for number in sorted(missing, key=lambda n: int(n) if n.isdigit() else 0):
        book.report.problem(0, f"footnote {number} is marked in the text but its text is missing")
    plain = InlineRenderer(bag=bag, citations=None, references_href=references_href)
    items = [
        f'<li id="ref-{ref.key}">{plain.render(ref.text, bare_tex=False)}</li>' for ref in book.references
    ]
    book.references_html = '<ol class="references">' + "".join(items) + "</ol>"
    note = plain.render(book.title_footnote, bare_tex=False) if book.title_footnote else ""
    bag.render()
    book.report.math_errors = list(bag.errors)
    for page in book.pages:
        page.html = bag.substitute(page.html)
        page.title_html = bag.substitute(page.title_html)
        page.footnotes = [(n, bag.substitute(body)) for n, body in page.footnotes]
    book.references_html = bag.substitute(book.references_html)
    book.title_footnote_html = bag.substitute(note) if note else ""
