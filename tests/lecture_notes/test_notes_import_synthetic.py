"""The notes importer on a synthetic file with the seed format's irregularities at other places."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from lecture_notes.importer import import_notes, import_notes_file
from lecture_notes.seedformat import normalize_title, parse_toc_line

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")

SYNTHETIC = Path(__file__).with_name("data") / "synthetic-notes.txt"


@pytest.fixture(scope="module")
def book():
    return import_notes_file(SYNTHETIC, references_href="/refs/")


def paragraphs(html: str) -> list[str]:
    text = re.sub(
        r'<span class="katex">.*?</annotation></semantics></math>.*?</span></span></span>', "M", html
    )
    return [re.sub(r"<[^>]+>", "", p) for p in re.findall(r"<p>(.*?)</p>", text, re.S)]


def test_report_line(book):
    assert (
        book.report.lines()[-1]
        == "chapters: 2, headings: 14/14 matched, equations: 5, tables: 3, problems: 0"
    )
    assert book.report.math_errors == []


def test_pages_one_per_subsection_with_landing_pages(book):
    kinds = [(p.kind, p.slug) for p in book.pages]
    assert kinds == [
        ("chapter", "ch-1"),
        ("section", "1"),
        ("subsection", "1-1"),
        ("subsection", "1-2"),
        ("section", "2"),
        ("subsection", "2-1"),
        ("subsection", "2-2"),
        ("chapter", "ch-2"),
        ("section", "3"),
        ("subsection", "3-1"),
        ("subsection", "3-2"),
    ]
    assert book.page("1").children == ["1-1", "1-2"]
    assert book.page("ch-2").children == ["3"]
    assert "short preface" in book.page("ch-1").html


def test_toc_variants_parse():
    assert parse_toc_line("1.2.2\tStabilised Weights 5\t").page == 5
    assert parse_toc_line(" Chapter: 2 Algorithms\t8").title == "Algorithms"
    entry = parse_toc_line("1.2 Weighted Estimators . .\t4")
    assert (entry.number, entry.title, entry.level) == ("1.2", "Weighted Estimators", 2)
    assert parse_toc_line("*A footnote line") is None
    assert normalize_title("*Side by Side*") == normalize_title("Side   by side")


def test_x_y_z_parts_are_anchors_and_stars_are_stripped(book):
    page = book.page("1-2")
    assert [h.number for h in page.headings] == ["1.2.1", "1.2.2"]
    assert '<h2 id="s-1-2-2"><span class="secnum">1.2.2</span> Stabilised Weights</h2>' in page.html


def test_title_footnote_from_the_toc(book):
    assert "parser fixture" in book.title_footnote_html
    assert 'href="https://example.org/notes"' in book.title_footnote_html


def test_three_equation_encodings_become_tags_with_anchors(book):
    anchors = {a.html_id for p in book.pages for a in p.anchors if a.kind == "eq"}
    assert anchors == {f"eq-{n}" for n in range(1, 6)}
    page = book.page("1-1")
    for n in (1, 2, 3):
        block = re.search(rf'<div class="equation" id="eq-{n}"[^>]*>(.*?)</div>\n', page.html, re.S).group(1)
        assert "katex-display" in block
        assert f"\\tag{{{n}}}" in block
    assert "(3)</p>" not in page.html


def test_katex_gaps_are_rewritten(book):
    assert r"\text{majority\_vote}" in book.page("1-1").html
    assert r"\mathbf{1}" in book.page("2-2").html
    assert "katex-error" not in "".join(p.html for p in book.pages)


def test_tables_with_captions_before_and_after(book):
    html = book.page("1-1").html + book.page("1-2").html + book.page("3-1").html
    assert (
        '<table class="book-table" id="tab-1"><caption><span class="label">Table 1.</span> Two estimators'
        in html
    )
    assert 'id="tab-2"><caption><span class="label">Table 2.</span> Weights by stratum' in html
    assert '<thead><tr><th scope="col"></th><th scope="col">Treated</th>' in html
    assert 'id="tab-3"><caption><span class="label">Table 3.</span> Iteration counts' in html


def test_figures_missing_images_and_tables_captioned_as_figures(book):
    assert re.search(
        r'<figure class="book-figure" id="fig-1-2-1"><div class="img-missing"', book.page("1-2").html
    )
    figure_table = re.search(
        r'<figure class="book-figure" id="fig-2-1-1">(.*?)</figure>', book.page("2-1").html
    )
    assert "<table" in figure_table.group(1) and "Scores of two methods" in figure_table.group(1)


def test_paragraph_split_by_page_break_is_rejoined(book):
    assert any(
        "study of the central limit theorem in a later lecture." in p
        for p in paragraphs(book.page("1-1").html)
    )


def test_hyphen_split_around_a_floating_footnote(book):
    page = book.page("1-2")
    assert any(
        p.startswith("Weights rebalance the sample toward the target population of interest")
        for p in paragraphs(page.html)
    )
    assert page.footnotes == [("1", "The weights are assumed bounded away from zero and infinity.")]
    assert '<a href="#fn-1" id="fnref-1">1</a>' in page.html


def test_heading_like_lines_outside_the_toc_stay_text(book):
    page = book.page("1-2")
    assert "<p>10 percent of the units are treated in the running example.</p>" in page.html
    assert '<ol class="level-1"><li value="1">First, estimate' in page.html


def test_split_code_fences_are_merged(book):
    codes = re.findall(r'<pre class="code"[^>]*><code>(.*?)</code></pre>', book.page("1-2").html, re.S)
    assert len(codes) == 1
    assert "return marginal / p\nprint(stabilised_weight" in codes[0]


def test_algorithm_box_with_math(book):
    html = book.page("3").html
    assert '<figure class="algorithm" id="alg-1">' in html
    assert "Fixed-point iteration" in html
    assert html.count('class="algo-line"') == 4
    assert "katex" in html


def test_theorem_proof_and_pseudo_heading(book):
    html = book.page("2-1").html
    assert '<div class="theorem theorem-theorem" id="thm-2-1">' in html
    assert "<em>Under overlap the weights are finite.</em>" in html
    assert '<div class="proof">' in html and '<p class="qed">□</p>' in html
    assert '<h3 class="run-in-heading"' in html and "Practical Advice</h3>" in html


def test_bare_tex_and_literal_dollar(book):
    para = next(
        p for p in re.findall(r"<p>(.*?)</p>", book.page("1-1").html, re.S) if p.startswith("We write")
    )
    assert "a price of $3 is not math." in para
    assert 'encoding="application/x-tex">Y_i</annotation>' in para
    assert r'encoding="application/x-tex">\hat{\mu}</annotation>' in para


def test_citations_link_to_references(book):
    html = book.page("1-2").html
    assert '<a class="cite" href="/refs/#ref-athey2016">Athey and Imbens (2016)</a>' in html
    assert '<a class="cite" href="/refs/#ref-wager2018">Wager and Athey, 2018</a>' in html
    assert 'href="/refs/#ref-robbins1951"' in book.page("3-2").html
    assert '<span class="notebook-ref">Fixed_Point</span>' in book.page("3-2").html


def test_bibliography_rules(book):
    keys = [r.key for r in book.references]
    assert keys == ["athey2016", "robbins1951", "teamalpha2024", "wager2018"]
    assert "Other, D., and Person, E. (2024)" in book.references[2].text
    assert book.references[3].text.endswith("*JASA*, 113(523):1228–1242.")
    assert '<li id="ref-wager2018">' in book.references_html


def test_math_in_a_page_title(book):
    page = book.page("2-2")
    assert page.title == r"Policy Based on $\hat{\pi}(x)$"
    assert 'class="katex"' in page.title_html


def test_search_text_has_prose_and_math_words(book):
    page = book.page("1-1")
    assert "central limit theorem" in page.text
    assert "sigma" in page.math_text and "frac" in page.math_text


def test_problems_are_reported_not_raised():
    text = SYNTHETIC.read_text(encoding="utf-8")
    text = text.replace(
        "3.1 Fixed Points\n\n", "3.1 Fixed Points\n\n(7)\n\nA footnote mark⁹ without text.\n\n", 1
    )
    text = text.replace(
        "Table 3. Iteration counts", "Table 3. Iteration counts\n\n\n\n\nTable 4. Lonely caption"
    )
    text = text.replace("each step:", "each step $\\frac{1}{$:")
    book = import_notes(text)
    problems = "\n".join(book.report.problems)
    assert "equation number (7) follows no display formula" in problems
    assert "footnote 9 is marked in the text but its text is missing" in problems
    assert "caption of Table 4 has no table next to it" in problems
    assert len(book.report.math_errors) == 1
    assert book.report.summary().endswith("problems: 3")


def test_missing_heading_is_reported():
    text = SYNTHETIC.read_text(encoding="utf-8").replace("2.1.1 *Side by Side*\n", "")
    book = import_notes(text)
    assert book.report.summary().startswith("chapters: 2, headings: 13/14 matched")
    assert any("2.1.1" in p and "not found in the body" in p for p in book.report.problems)


def test_run_in_titles_are_bold(book):
    assert (
        '<p><strong class="run-in">Key Idea.</strong> Averages of independent draws' in book.page("1-1").html
    )
    assert '<strong class="run-in">' not in book.page("1-2").html


def test_link_targets_cannot_break_out_of_attributes():
    from lecture_notes.inline import InlineRenderer, MathBag

    renderer = InlineRenderer(bag=MathBag(), citations=None, references_href="/r/")
    out = renderer.render('see [x](https://a.example/"onmouseover="alert(1)) and <https://b.example/">')
    assert 'onmouseover="' not in out and '"alert' not in out
    assert 'href="https://a.example/&quot;onmouseover=&quot;alert(1"' in out


def test_paragraph_interrupted_by_a_figure_drawn_as_text_is_rejoined(book):
    paras = paragraphs(book.page("2-1").html)
    assert any(p.endswith("as shown in the figure just above this sentence.") for p in paras)
    assert "Method A scored 1.0 on the benchmark." in paras
    assert 'id="fig-2-1-2"' in book.page("2-1").html
