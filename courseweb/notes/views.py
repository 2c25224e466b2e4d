"""Book pages: list of books, table of contents, a page with prev/next, references, print view, search."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from .forms import SearchForm
from .search import page_search
from .selectors import anchor_find, book_get, book_list, book_pages_full, book_toc, page_get, page_nav


def index(request: HttpRequest) -> HttpResponse:
    books = list(book_list())
    if len(books) == 1:
        return redirect("notes:book", season=books[0].offering.slug)
    return render(request, "notes/index.html", {"books": books})


def book_toc_view(request: HttpRequest, season: str) -> HttpResponse:
    book = book_get(season=season)
    return render(
        request,
        "notes/book.html",
        {"book": book, "toc": book_toc(book=book), "offering": book.offering, "form": SearchForm()},
    )


def page_view(request: HttpRequest, season: str, slug: str) -> HttpResponse:
    book = book_get(season=season)
    page = page_get(book=book, slug=slug)
    return render(
        request,
        "notes/page.html",
        {"book": book, "page": page, "nav": page_nav(page=page), "form": SearchForm()},
    )


def references_view(request: HttpRequest, season: str) -> HttpResponse:
    book = book_get(season=season)
    return render(request, "notes/references.html", {"book": book, "form": SearchForm()})


def print_view(request: HttpRequest, season: str) -> HttpResponse:
    book = book_get(season=season)
    return render(request, "notes/print.html", {"book": book, "pages": book_pages_full(book=book)})


def search_view(request: HttpRequest, season: str) -> HttpResponse:
    book = book_get(season=season)
    form = SearchForm(request.GET or None)
    hits = []
    query = ""
    if form.is_valid():
        query = form.cleaned_data["q"].strip()
        hits = page_search(book=book, query=query) if query else []
    return render(request, "notes/search.html", {"book": book, "form": form, "query": query, "hits": hits})


def anchor_redirect(request: HttpRequest, season: str, html_id: str) -> HttpResponse:
    """A stable deep link (/notes/s25/go/eq-13/) to wherever the anchor lives."""
    book = book_get(season=season)
    anchor = anchor_find(book=book, html_id=html_id)
    url = reverse("notes:page", kwargs={"season": book.offering.slug, "slug": anchor.page.slug})
    return redirect(f"{url}#{html_id}")
