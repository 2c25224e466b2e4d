"""Scribed submissions: Markdown with math, .tex conversion, and the demo course's own notes."""

from __future__ import annotations

import shutil

import pytest

from lecture_notes.demo_notes import demo_notes, parse_demo_note
from lecture_notes.markdown_notes import render_markdown
from lecture_notes.texconvert import tex_to_markdown

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")


def test_markdown_math_numbered_equations_tables_and_footnotes():
    note = render_markdown(
        "# Bandits\n\n## Regret\n\nRegret is $R_T = \\sum_t \\Delta_{a_t}$.\n\n"
        "$$\nR_T \\le \\sqrt{KT \\log T}\n$$ (1)\n\n$$\\mathbb{1}\\{x\\} \\tag{2}$$\n\n"
        "| arm | mean |\n|---|---|\n| 1 | $\\mu_1$ |\n\nUCB[^u].\n\n[^u]: Upper confidence bound.\n"
    )
    assert note.title == "Bandits"
    assert '<div class="equation" id="eq-1" tabindex="0"><span class="katex-display">' in note.html
    assert 'id="eq-2"' in note.html and "\\tag{2}" in note.html
    assert "<table>" in note.html and "<td>" in note.html and 'class="katex"' in note.html
    assert 'class="footnotes"' in note.html
    assert [(a.kind, a.key) for a in note.anchors] == [("eq", "1"), ("eq", "2"), ("sec", "regret")]
    assert note.math_errors == []
    assert "Regret is" in note.text and "sqrt" in note.math_text


def test_markdown_is_safe_and_reports_bad_math():
    note = render_markdown("<script>alert(1)</script>\n\n[x](javascript:alert(1)) and $\\frac{1}{$\n")
    assert "<script>" not in note.html and "&lt;script&gt;" in note.html
    assert 'href="javascript:' not in note.html
    assert len(note.math_errors) == 1 and "katex-error" in note.html


def test_tex_is_converted_to_markdown():
    tex = (
        "\\documentclass{article}\n\\usepackage{amsmath}\n\\title{Session 4: Q-learning}\n"
        "\\begin{document}\n\\maketitle\n\\section{Setup} % a comment\n"
        "The target is \\(r + \\gamma \\max_{a'} Q(s', a')\\) as in \\cite{watkins1992}.\n"
        "\\begin{equation}\\label{eq:q}\nQ(s,a) \\leftarrow Q(s,a) + \\alpha \\delta\n\\end{equation}\n"
        "\\begin{itemize}\n\\item \\textbf{Off-policy}: learns greedy values\n\\item \\emph{Tabular}\n\\end{itemize}\n"
        "\\subsection*{Convergence}\n\\begin{align*}\na &= b \\\\\nc &= d\n\\end{align*}\n\\end{document}\n"
    )
    md = tex_to_markdown(tex)
    assert md.startswith("# Session 4: Q-learning\n")
    assert "## Setup" in md and "### Convergence" in md and "comment" not in md
    assert "$r + \\gamma \\max_{a'} Q(s', a')$" in md and "[watkins1992]" in md
    assert "$$\nQ(s,a) \\leftarrow Q(s,a) + \\alpha \\delta\n$$ (1)" in md
    assert "- **Off-policy**: learns greedy values" in md and "- *Tabular*" in md
    assert "\\begin{aligned}" in md and "usepackage" not in md
    assert render_markdown(md).math_errors == []


def test_demo_notes_are_two_sessions_that_render_without_errors():
    notes = demo_notes()
    assert [n.session for n in notes] == [1, 2]
    for note in notes:
        assert note.title and not note.markdown.startswith("---")
        rendered = render_markdown(note.markdown)
        assert rendered.math_errors == []
        assert 'id="eq-1"' in rendered.html


def test_demo_note_header_is_required(tmp_path):
    with pytest.raises(ValueError, match="session"):
        parse_demo_note("---\ntitle: x\n---\nbody\n", path=tmp_path / "x.md")
