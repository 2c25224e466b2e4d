"""Book pages built from an imported notes file: TOC, pages, prev/next, anchors, footnotes, references, print."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from courseweb.notes.models import Book, BookAnchor, BookPage
from tests.courseweb.notes.factories import SYNTHETIC_NOTES

pytestmark = pytest.mark.django_db


@pytest.fixture
def book():
    call_command("import_notes", str(SYNTHETIC_NOTES), "--season", "F24", verbosity=0)
    return Book.objects.get(offering__slug="f24")


def test_import_command_reports_and_is_idempotent(capsys):
    call_command("import_notes", str(SYNTHETIC_NOTES), "--season", "F24")
    first = capsys.readouterr().out.strip().splitlines()
    assert first[-1] == "chapters: 2, headings: 14/14 matched, equations: 5, tables: 3, problems: 0"
    ids = list(BookPage.objects.values_list("id", flat=True))
    call_command("import_notes", str(SYNTHETIC_NOTES), "--season", "F24")
    second = capsys.readouterr().out.strip().splitlines()
    assert "nothing changed" in second[0]
    assert second[-1] == first[-1]
    assert list(BookPage.objects.values_list("id", flat=True)) == ids
    book = Book.objects.get(offering__slug="f24")
    assert book.offering.season == "Fall 2024"
    assert BookPage.objects.filter(book=book, kind="subsection").count() == 6
    assert BookAnchor.objects.filter(book=book, kind="eq").count() == 5


def test_book_toc_lists_every_page(client, book):
    html = client.get("/notes/f24/").content.decode()
    for slug in ("ch-1", "1", "1-1", "1-2", "2", "2-1", "2-2", "ch-2", "3", "3-1", "3-2"):
        assert f'href="/notes/f24/{slug}/"' in html
    assert "Weighted Estimators" in html
    assert 'href="/notes/f24/1-2/#s-1-2-1"' in html  # x.y.z parts are listed as anchors
    assert 'class="katex"' in html  # the math in "2.2 Policy Based on $\hat{\pi}(x)$" is rendered


def test_page_has_math_prev_next_and_footnotes(client, book):
    html = client.get("/notes/f24/1-2/").content.decode()
    assert 'rel="prev" href="/notes/f24/1-1/"' in html
    assert 'rel="next" href="/notes/f24/2/"' in html
    assert '<li id="fn-1" value="1">The weights are assumed bounded' in html
    assert 'href="#s-1-2-1"' in html and 'id="s-1-2-1"' in html
    assert "vendor/katex/katex.min.css" in html
    eq = client.get("/notes/f24/1-1/").content.decode()
    assert re.search(r'<div class="equation" id="eq-1"[^>]*><span class="katex-display">', eq)
    assert "$$" not in eq


def test_section_landing_page_links_its_subsections(client, book):
    html = client.get("/notes/f24/1/").content.decode()
    assert 'href="/notes/f24/1-1/"' in html and 'href="/notes/f24/1-2/"' in html


def test_deep_link_redirects_to_the_anchor(client, book):
    response = client.get("/notes/f24/go/eq-4/")
    assert response.status_code == 302
    assert response["Location"] == "/notes/f24/2-2/#eq-4"
    assert client.get("/notes/f24/go/fig-2-1-1/")["Location"] == "/notes/f24/2-1/#fig-2-1-1"
    assert client.get("/notes/f24/go/eq-99/").status_code == 404


def test_citations_link_to_the_references_page(client, book):
    html = client.get("/notes/f24/1-2/").content.decode()
    assert '<a class="cite" href="/notes/f24/references/#ref-athey2016">' in html
    refs = client.get("/notes/f24/references/").content.decode()
    assert '<li id="ref-athey2016">' in refs and '<li id="ref-wager2018">' in refs


def test_print_view_has_every_page_in_order(client, book):
    html = client.get("/notes/f24/print/").content.decode()
    order = [html.index(f'id="page-{slug}"') for slug in ("ch-1", "1", "1-1", "1-2", "ch-2", "3-2")]
    assert order == sorted(order)
    assert "References" in html and "@media print" not in html
    assert "notes/notes.css" in html


def test_unknown_book_or_page_is_404(client, book):
    assert client.get("/notes/x99/").status_code == 404
    assert client.get("/notes/f24/9-9/").status_code == 404


def test_page_query_count_does_not_grow_with_rows(client, book, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        client.get("/notes/f24/1-2/")
    with django_assert_max_num_queries(12):
        client.get("/notes/f24/")


def test_notes_index_redirects_to_the_only_book_and_lists_several(client, book):
    response = client.get("/notes/")
    assert response.status_code == 302 and response["Location"] == "/notes/f24/"
    call_command("import_notes", str(SYNTHETIC_NOTES), "--season", "S24", verbosity=0)
    html = client.get("/notes/").content.decode()
    assert 'href="/notes/f24/"' in html and 'href="/notes/s24/"' in html


def test_import_command_rejects_a_missing_file(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No such file"):
        call_command("import_notes", str(tmp_path / "missing.txt"), "--season", "F24")


def test_search_page_without_a_query_shows_the_form(client, book):
    html = client.get("/notes/f24/search/").content.decode()
    assert 'name="q"' in html and "result" not in html.split("</form>")[-1]
