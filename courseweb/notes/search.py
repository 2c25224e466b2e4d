"""Full-text search over a book's pages: SQLite FTS5 on the embedded default, PostgreSQL FTS in production.

Both rank titles above text above math (FTS5 `bm25` column weights; PostgreSQL `ts_rank` with A/B/C weights)
and return a snippet with the matched words wrapped in `<mark>` (the rest HTML-escaped).  Queries are plain
words: hyphenated terms ("cross-fitting") are searched as phrases, other punctuation is ignored.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection
from django.db.models import F

from .models import Book, BookPage

START, STOP = "\x01", "\x02"
MAX_TERMS = 12
RE_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class SearchHit:
    page: BookPage
    rank: float
    snippet_html: str


def _snippet_html(raw: str) -> str:
    return html.escape(raw).replace(START, "<mark>").replace(STOP, "</mark>")


def query_terms(query: str) -> list[list[str]]:
    """Each whitespace-separated term as its list of words (a phrase when there are several)."""
    terms = [RE_WORD.findall(term) for term in query.split()]
    return [t for t in terms if t][:MAX_TERMS]


def fts5_query(query: str) -> str:
    """An FTS5 MATCH expression: every term required; phrases quoted; the last word of a term may be a prefix."""
    parts = []
    for words in query_terms(query):
        quoted = " ".join(w.replace('"', "") for w in words)
        parts.append(f'"{quoted}"' if len(words) > 1 else f'"{quoted}"*')
    return " AND ".join(parts)


def _search_sqlite(book: Book, query: str, limit: int) -> list[SearchHit]:
    match = fts5_query(query)
    if not match:
        return []
    sql = (
        "SELECT page_id, bm25(notes_bookpage_fts, 0, 0, 10.0, 1.0, 2.0) AS score, "
        "snippet(notes_bookpage_fts, 3, %s, %s, '…', 24), "
        "snippet(notes_bookpage_fts, 4, %s, %s, '…', 12) "
        "FROM notes_bookpage_fts WHERE notes_bookpage_fts MATCH %s AND book_id = %s ORDER BY score LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [START, STOP, START, STOP, match, book.pk, limit])
        rows = cursor.fetchall()
    pages = BookPage.objects.in_bulk([r[0] for r in rows])
    hits = []
    for page_id, score, body, math in rows:
        if page_id not in pages:
            continue
        raw = body if START in body or not math or START not in math else math
        hits.append(SearchHit(page=pages[page_id], rank=-float(score), snippet_html=_snippet_html(raw)))
    return hits


def _search_postgres(book: Book, query: str, limit: int) -> list[SearchHit]:
    terms = query_terms(query)
    if not terms:
        return []
    text = " ".join('"' + " ".join(words) + '"' if len(words) > 1 else words[0] for words in terms)
    q = SearchQuery(text, config="english", search_type="websearch")
    rows = (
        BookPage.objects.filter(book=book, search_vector=q)
        .annotate(
            rank=SearchRank(F("search_vector"), q),
            snippet=SearchHeadline(
                "text", q, config="english", start_sel=START, stop_sel=STOP, max_words=35, min_words=15
            ),
        )
        .order_by("-rank", "position")[:limit]
    )
    return [
        SearchHit(page=row, rank=float(row.rank), snippet_html=_snippet_html(row.snippet)) for row in rows
    ]


def page_search(*, book: Book, query: str, limit: int = 20) -> list[SearchHit]:
    """Ranked pages of `book` matching `query` (best first)."""
    if connection.vendor == "postgresql":
        return _search_postgres(book, query, limit)
    return _search_sqlite(book, query, limit)
