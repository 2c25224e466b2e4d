"""The notes importer on the real Spring 2025 book (skipped when ../shared is not on this machine)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from lecture_notes.importer import import_notes_file
from lecture_notes.katex import katex_errors
from lecture_notes.mathsplit import split_math
from lecture_notes.repair import fix_tex, repair_blocks
from lecture_notes.seedformat import scan_book

SEED = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "scribed-notes-s25.txt"

pytestmark = [
    pytest.mark.skipif(
        not SEED.is_file(), reason=f"seed file {SEED} is absent (../shared is not on this machine)"
    ),
    pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed"),
]


@pytest.fixture(scope="module")
def book():
    return import_notes_file(SEED, references_href="/notes/s25/references/")


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_report_counts(book):
    summary = book.report.summary()
    assert summary.startswith("chapters: 5, headings: 227/227 matched, equations: 36, tables: 13, problems: ")
    # The only thing the seed lacks is the text of footnote 1.
    assert book.report.problems == ["footnote 1 is marked in the text but its text is missing"]


def test_toc_and_headings(book):
    assert len(book.toc) == 227
    assert sum(1 for e in book.toc if e.level == 0) == 5
    assert sum(1 for e in book.toc if e.level > 0) == 222
    assert all(e.matched_line for e in book.toc)
    titles = {e.number: e.title for e in book.toc}
    assert titles["14.5"] == "Generalized Random Forests and the k -Nearest Neighbor Perspective"
    assert titles["4.4.5"] == "Batch Normalization and Implicit Regularization"


def test_page_counts(book):
    kinds = [p.kind for p in book.pages]
    assert kinds.count("subsection") == 83
    assert kinds.count("section") == 16
    assert kinds.count("chapter") == 5
    assert [p.slug for p in book.pages if p.kind == "chapter"] == [f"ch-{n}" for n in range(1, 6)]


def test_every_heading_has_a_body(book):
    for page in book.pages:
        if page.kind == "subsection" or not page.children:
            assert page.html.strip(), page.slug
    assert not [p for p in book.report.problems if "has no body" in p]


def test_equations_addressable_by_anchor(book):
    found = {}
    for page in book.pages:
        for n, body in re.findall(
            r'<div class="equation" id="eq-(\d+)"[^>]*>(.*?)</div>\n', page.html + "\n", re.S
        ):
            found.setdefault(n, []).append((page.slug, body))
    assert sorted(found, key=int) == [str(n) for n in range(1, 37)]
    for n, places in found.items():
        assert len(places) == 1, n
        assert "katex-display" in places[0][1]
        assert f"\\tag{{{n}}}" in places[0][1]
    assert book.page_for_anchor("eq-13").slug == "3-4"
    assert book.page_for_anchor("eq-21").slug == "3-4"


def test_thirteen_captioned_tables(book):
    html = "".join(p.html for p in book.pages)
    assert sorted(int(n) for n in re.findall(r'<table class="book-table" id="tab-(\d+)">', html)) == list(
        range(1, 14)
    )
    assert html.count("<caption>") == 13


def test_no_math_errors_with_errors_thrown(book):
    assert book.report.math_errors == []
    assert "katex-error" not in "".join(p.html for p in book.pages)
    # Independently of the renderer: every $-delimited formula of the body, fixed as allowed, parses.
    scanned, _ = scan_book(SEED.read_text(encoding="utf-8"))
    blocks, notes = repair_blocks(scanned.blocks, report=scanned.report)
    items = []
    for block in blocks + list(notes.values()):
        if block.kind == "math":
            items.append((block.text, True))
        for text in [block.text, block.caption or "", *(cell for row in block.rows for cell in row)]:
            text = re.sub(r"\\([()])", r"\1", text) if "](" in text else text
            items += [(fix_tex(s.text), s.kind == "display") for s in split_math(text) if s.kind != "text"]
    assert len(items) > 800  # about 815 formulas in the seed
    assert katex_errors(items) == []


PAGE_BREAKS = [
    "of the core mathematical concepts upon",
    "into the local minima; if the",
    "gradient using the previous gradient in",
    "demonstrated that it was possible to",
    "encoder, instead of relying solely on",
    "suggests that language models can be",
    "model to extract syntactic and semantic",
    "lies in how it rethinks pretraining.",
    "the input does not obviously signal",
    "tone and impact of central bank",
    "apply the full model to every",
    "complex, multi-step tasks such as math,",
    "(variables that influence both the treatment",
    "for covariates, reflecting how differences in",
    "characteristics. Thus, estimating causal effects requires",
    "valid inference on causal parameters in",
    "procedure ensures the independence between the",
    "the impact of estimation errors in",
    "are particularly useful when the analyst",
    "models. Instead of directly targeting causal",
    "is undefined, as no",
    "select appropriate estimation strategies and",
    "between the regression targets and",
    "The final output for position",
    "respect to the nuisance parameter is",
    "Housing Dataset respectively, and specifically,",
    "and earn more anyway",
    "as can be seen in the figure 6.2.1.",
]


@pytest.mark.parametrize("phrase", PAGE_BREAKS)
def test_no_broken_paragraphs_at_page_breaks(book, phrase):
    assert any(phrase in squash(page.text) for page in book.pages), phrase


def test_floating_footnotes_move_to_the_page_end(book):
    page = book.page("6-3")
    numbers = [n for n, _ in page.footnotes]
    assert "5" in numbers
    assert 'id="fnref-5"' in page.html
    dml = book.page("13-3")
    assert [n for n, _ in dml.footnotes] == ["11", "12"]


def test_figures_and_theorems_have_anchors(book):
    ids = {a.html_id for p in book.pages for a in p.anchors}
    assert {"fig-6-3-4", "fig-6-3-5", "fig-5-5-2", "thm-12-2", "thm-3-1", "thm-corollary-12-4-1"} <= ids
    assert {"s-3-4-1", "s-14-8-1"} <= ids
    assert book.page_for_anchor("fig-5-5-2").slug == "ch-3"
    theorem = book.page("12-2").html.split('id="thm-12-1"')[1].split("</div>")[0]
    assert '<a href="#fn-6" id="fnref-6">6</a></sup><em>Under SUTVA' in theorem


def test_code_as_code_and_citations_linked(book):
    page = book.page("3-4")
    assert page.html.count('<pre class="code"') == 7
    assert "from sklearn.linear_model import LinearRegression" in page.html
    html = "".join(p.html for p in book.pages)
    assert '<a class="cite" href="/notes/s25/references/#ref-vaswani2017">' in html
    assert '<a class="cite" href="/notes/s25/references/#ref-chernozhukov2018">' in html
    assert len(book.references) >= 84
    assert '<li id="ref-vaswani2017">' in book.references_html
