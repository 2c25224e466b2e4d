"""Search over the book: ranked results with highlighted snippets, on SQLite FTS5 and on PostgreSQL.

The seed tests import the real Spring 2025 book (skipped without ../shared) and check that for each course
term the expected section is among the top three results.  The same checks run on PostgreSQL when the suite
runs with DATABASE_URL pointing at it (the `needs_postgres` test fails there if PostgreSQL is not used).
"""

from __future__ import annotations

import re

import pytest
from django.db import connection

from courseweb.courses.models import Offering
from courseweb.notes.models import Book
from courseweb.notes.search import fts5_query, page_search, query_terms
from courseweb.notes.services import book_import
from tests.conftest import SHARED
from tests.courseweb.notes.factories import SYNTHETIC_NOTES

pytestmark = pytest.mark.django_db

SEED = SHARED / "seeds" / "scribed-notes-s25.txt"

# (query, a page number that must be in the top 3)
COURSE_TERMS = [
    ("AIPW", "12.6"),
    ("Neyman", "13.2"),
    ("cross-fitting", "13.2"),
    ("propensity score", "11.6"),
    ("attention", "6.3"),
    ("backpropagation", "4.3"),
    ("KV cache", "9.1"),
    ("causal forest", "14.4"),
    ("quantization", "9.2"),
    ("gradient descent", "3.5"),
    ("BERT", "7.2"),
    ("honest estimation", "14.4"),
    ("mixture of experts", "7.3"),
    ("DPO", "8.2"),
]


def seed_book() -> Book:
    if not SEED.is_file():
        pytest.skip(f"seed file {SEED} is absent (../shared is not on this machine)")
    offering = Offering.objects.create(slug="s25", title="AI for Business Research", season="Spring 2025")
    return book_import(offering=offering, text=SEED.read_text(encoding="utf-8")).book


def check_course_terms(book: Book) -> None:
    misses = []
    for query, expected in COURSE_TERMS:
        hits = page_search(book=book, query=query)
        top = [hit.page.number for hit in hits[:3]]
        if expected not in top:
            misses.append(f"{query!r}: expected {expected} in top 3, got {top}")
        if hits:
            assert "<mark>" in hits[0].snippet_html, query
            ranks = [hit.rank for hit in hits]
            assert ranks == sorted(ranks, reverse=True), query
    assert not misses, "\n".join(misses)


def test_seed_search_ranks_expected_sections(client):
    book = seed_book()
    check_course_terms(book)
    html = client.get("/notes/s25/search/", {"q": "AIPW"}).content.decode()
    assert 'href="/notes/s25/12-6/"' in html
    assert "<mark>AIPW</mark>" in html


@pytest.mark.needs_postgres
def test_seed_search_on_postgresql():
    assert connection.vendor == "postgresql"
    book = seed_book()
    assert book.pages.filter(search_vector__isnull=False).count() == book.pages.count()
    check_course_terms(book)


def test_sqlite_uses_the_fts5_table():
    if connection.vendor != "sqlite":
        pytest.skip("the FTS5 index exists only on SQLite")
    offering = Offering.objects.create(slug="f24", title="Synthetic", season="Fall 2024")
    book = book_import(offering=offering, text=SYNTHETIC_NOTES.read_text(encoding="utf-8")).book
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM notes_bookpage_fts WHERE book_id = %s", [book.pk])
        assert cursor.fetchone()[0] == book.pages.count()


def test_synthetic_search_titles_rank_first_and_snippets_are_escaped():
    offering = Offering.objects.create(slug="f24", title="Synthetic", season="Fall 2024")
    book = book_import(offering=offering, text=SYNTHETIC_NOTES.read_text(encoding="utf-8")).book
    hits = page_search(book=book, query="stabilised weights")
    assert hits[0].page.number == "1.2"
    assert page_search(book=book, query="contraction tolerance")[0].page.number == "3.2"
    assert page_search(book=book, query="central limit theorem")[0].page.number == "1.1"
    assert [h.page.number for h in page_search(book=book, query="sigma")][:1] == ["1.1"]
    assert page_search(book=book, query="zebra") == []
    assert page_search(book=book, query='"" *') == []
    for hit in page_search(book=book, query="weights"):
        assert "<script" not in hit.snippet_html


def test_query_building():
    assert query_terms('cross-fitting  "AIPW"') == [["cross", "fitting"], ["AIPW"]]
    assert fts5_query("cross-fitting Neyman") == '"cross fitting" AND "Neyman"*'
    assert fts5_query("'; DROP TABLE x; --") == '"DROP"* AND "TABLE"* AND "x"*'


def test_seed_toc_page_links_all_227_headings(client):
    seed_book()
    html = client.get("/notes/s25/").content.decode()
    chapters = re.findall(r'href="/notes/s25/ch-\d/"', html)
    numbered = set(re.findall(r'<span class="secnum">(\d+(?:\.\d+){0,2})</span>', html))
    assert len(chapters) == 5
    assert len(numbered) == 222
    eq = client.get("/notes/s25/go/eq-13/")
    assert eq["Location"] == "/notes/s25/3-4/#eq-13"
