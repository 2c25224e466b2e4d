"""The offline KaTeX helper: rendering, batching, error reporting, delimiter splitting and the site filter."""

from __future__ import annotations

import html
import re
import shutil
import threading

import pytest

from lecture_notes import katex
from lecture_notes.katex import (
    KatexError,
    KatexRenderer,
    KatexUnavailable,
    katex_errors,
    render_tex,
    render_tex_many,
    render_text_with_math,
    split_math,
)

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")


def annotations(rendered: str) -> list[str]:
    """The TeX sources KaTeX records in its MathML annotations, in order."""
    found = re.findall(r'<annotation encoding="application/x-tex">(.*?)</annotation>', rendered)
    return [html.unescape(m) for m in found]


def test_render_tex_inline_has_katex_markup_and_mathml():
    out = render_tex(r"\hat{\beta} = (X^\top X)^{-1} X^\top y")
    assert out.startswith('<span class="katex">')
    assert "<math" in out
    assert annotations(out) == [r"\hat{\beta} = (X^\top X)^{-1} X^\top y"]
    assert "katex-display" not in out


def test_render_tex_display_mode():
    assert 'class="katex-display"' in render_tex(r"\sum_{i=1}^n x_i \tag{3}", display=True)


def test_throw_on_error_raises_with_the_formula():
    with pytest.raises(KatexError) as info:
        render_tex(r"\frac{1}{", throw_on_error=True)
    assert info.value.tex == r"\frac{1}{"
    assert "KaTeX parse error" in info.value.message


def test_errors_hidden_by_default_show_katex_error_span():
    assert "katex-error" in render_tex(r"\text{majority_vote}")


def test_katex_errors_counts_every_bad_formula():
    items = [("x", False), (r"\text{a_b}", False), ("y^2", True), (r"\frac{", True), (r"\undef", False)]
    errors = katex_errors(items)
    assert [e.index for e in errors] == [1, 3, 4]
    assert errors[2].tex == r"\undef"


def test_render_tex_many_keeps_order_for_hundreds_of_formulas():
    items = [(rf"x_{{{i}}} + \alpha^{{{i}}}", i % 3 == 0) for i in range(900)]
    out = render_tex_many(items)
    assert len(out) == 900
    for (tex, display), rendered in zip(items, out, strict=True):
        assert annotations(rendered) == [tex]
        assert ("katex-display" in rendered) == display


def test_render_tex_many_raises_first_error_with_its_index():
    with pytest.raises(KatexError) as info:
        render_tex_many([("a", False), (r"\bad{", False), ("c", False)], throw_on_error=True)
    assert info.value.index == 1


def test_untrusted_commands_are_not_executed():
    out = render_tex(r"\href{javascript:alert(1)}{x} \url{javascript:y}")
    assert "javascript:" not in out.replace("\\href{javascript:alert(1)}", "").split("<annotation")[0]
    assert "<a " not in out


def test_renderer_restarts_after_the_node_process_dies():
    render_tex("z")
    proc = katex._renderer._proc
    assert proc is not None
    proc.kill()
    proc.wait()
    assert annotations(render_tex(r"\gamma_{restart}")) == [r"\gamma_{restart}"]


def test_concurrent_threads_get_their_own_results():
    results: dict[int, list[str]] = {}

    def work(n: int) -> None:
        results[n] = render_tex_many([(rf"t_{{{n}}}^{{{k}}}", False) for k in range(30)])

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for n, out in results.items():
        assert [annotations(o)[0] for o in out] == [rf"t_{{{n}}}^{{{k}}}" for k in range(30)]


def test_missing_katex_dir_is_reported(monkeypatch, tmp_path):
    monkeypatch.setenv("KATEX_DIR", str(tmp_path / "nowhere"))
    renderer = KatexRenderer(timeout=30)
    with pytest.raises(KatexUnavailable):
        renderer.render_batch([("x", False)], throw_on_error=False)


def test_missing_node_is_reported(monkeypatch):
    monkeypatch.setenv("KATEX_NODE", "/nonexistent/node")
    renderer = KatexRenderer(timeout=30)
    with pytest.raises((KatexUnavailable, FileNotFoundError)):
        renderer.render_batch([("x", False)], throw_on_error=False)


def test_katex_dir_override_is_used(monkeypatch):
    real = katex._find_katex_dir()
    monkeypatch.setenv("KATEX_DIR", str(real))
    renderer = KatexRenderer(timeout=30)
    try:
        assert annotations(renderer.render_batch([("q", False)], throw_on_error=False)[0]["html"]) == ["q"]
        assert renderer.version and renderer.version.startswith("0.16")
    finally:
        renderer.close()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", [("text", "plain")]),
        ("a $x$ b", [("text", "a "), ("inline", "x"), ("text", " b")]),
        ("$$y=1$$", [("display", "y=1")]),
        (r"\(p\) and \[q\]", [("inline", "p"), ("text", " and "), ("display", "q")]),
        (r"costs \$5 and $x$", [("text", "costs $5 and "), ("inline", "x")]),
        ("from $5 to $10 today", [("text", "from $5 to $10 today")]),
        ("one $ alone", [("text", "one $ alone")]),
        ("$unclosed", [("text", "$unclosed")]),
        ("$$ unclosed display", [("text", "$$ unclosed display")]),
        ("$a\n\nb$", [("text", "$a\n\nb$")]),
        (r"$\$x$", [("inline", r"\$x")]),
    ],
)
def test_split_math(text, expected):
    assert [(s.kind, s.text) for s in split_math(text)] == expected


def test_render_text_with_math_escapes_text_and_renders_math():
    out = render_text_with_math(r"<script>alert(1)</script> & $a<b$ and $$\int_0^1 f$$ cost \$3, lone $")
    assert "<script>" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; " in out
    assert annotations(out) == ["a<b", r"\int_0^1 f"]
    assert out.count('class="katex-display"') == 1
    assert out.endswith("cost $3, lone $")


def test_render_math_filter_marks_rendered_math_safe():
    from django.template import Context, Template

    page = Template("{% load mathtags %}<p>{{ body|render_math }}</p>").render(
        Context({"body": "Let <i>x</i> be $\\theta_0$."})
    )
    assert "&lt;i&gt;x&lt;/i&gt;" in page
    assert '<span class="katex">' in page
    assert annotations(page) == [r"\theta_0"]


def test_render_math_filter_handles_none():
    from django.template import Context, Template

    assert Template("{% load mathtags %}[{{ v|render_math }}]").render(Context({"v": None})) == "[]"


def test_render_tex_checked_returns_html_and_errors_in_one_call():
    from lecture_notes.katex import render_tex_checked

    out, errors = render_tex_checked([("a^2", False), (r"\frac{", True), ("b", True)])
    assert [e.index for e in errors] == [1]
    assert annotations(out[0]) == ["a^2"] and "katex-display" in out[2]
    assert "katex-error" in out[1]
