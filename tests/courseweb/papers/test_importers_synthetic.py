"""Generated pages in each format (no seed files needed): every generated record comes back, in order."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from courseweb.papers.importers import arxiv_listing, detect_format, identifiers, scholar, trending

WORDS = st.sampled_from(
    [
        "Learning",
        "Optimal",
        "Pricing",
        "Policies",
        "Bandits",
        "Agents",
        "Markets",
        "Inventory",
        "Deep",
        "Reinforcement",
        "Models",
        "Language",
        "Large",
        "Regret",
        "Offline",
        "Data",
        "Causal",
        "Effects",
        "Under",
        "Uncertainty",
        "with",
        "for",
        "and",
        "of",
        "the",
    ]
)
NAMES = st.sampled_from(
    ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Kurt Gödel", "Jean-Luc Picard", "Li Wei"]
)


@st.composite
def titles(draw: st.DrawFn) -> str:
    words = draw(st.lists(WORDS, min_size=3, max_size=14))
    end = draw(st.sampled_from(["", "?", ": A Study"]))
    return " ".join(words).capitalize() + end


@st.composite
def abstracts(draw: st.DrawFn) -> str:
    sentences = draw(st.lists(st.lists(WORDS, min_size=8, max_size=20), min_size=4, max_size=9))
    text = " ".join(" ".join(words).capitalize() + "." for words in sentences)
    math = draw(st.sampled_from(["", " We prove a $O(\\sqrt{T})$ bound.", " It holds for all $x>0$."]))
    return (text + math).ljust(320, ".")


@st.composite
def scholar_records(draw: st.DrawFn) -> dict:
    return {
        "score": draw(
            st.one_of(st.none(), st.floats(min_value=10, max_value=100).map(lambda x: round(x, 1)))
        ),
        "cat": draw(st.sampled_from(["LG", "ML", "AI", "OC", "GT"])),
        "date": draw(st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2025, 12, 31))),
        "title": draw(titles()),
        "authors": draw(st.lists(NAMES, min_size=1, max_size=3)),
        "et_al": draw(st.booleans()),
        "abstract": draw(abstracts()),
    }


def _scholar_page(records: list[dict]) -> str:
    lines = [
        "Some Author",
        "",
        "LG",
        "Semantic Scholar Profile",
        "h-index12",
        f"{len(records) + 9} Papers",
        "",
    ]
    for r in records:
        score = f"{r['score']:.1f}" if r["score"] is not None else ""
        lines += [
            f"{score}{r['cat']}{r['date'].strftime('%b')} {r['date'].day}, {r['date'].year}",
            r["title"],
            "",
        ]
        lines += [", ".join(r["authors"]) + (" et al." if r["et_al"] else ""), "", r["abstract"], ""]
    return "\n".join(lines)


@settings(max_examples=40, deadline=None)
@given(st.lists(scholar_records(), min_size=1, max_size=12))
def test_generated_scholar_pages_round_trip(records: list[dict]) -> None:
    text = _scholar_page(records)
    parsed = scholar.parse(text=text).records
    assert detect_format(text=text) == "scholar-profile"
    assert [p.title for p in parsed] == [r["title"] for r in records]
    assert [p.date for p in parsed] == [r["date"] for r in records]
    assert [p.authors for p in parsed] == [r["authors"] for r in records]
    assert [p.authors_truncated for p in parsed] == [r["et_al"] for r in records]
    assert [p.source_score for p in parsed] == [r["score"] for r in records]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            abstracts(),
            st.sampled_from([[], ["12 pages, 3 figures"], ["Accepted at ICML 2024"]]),
            st.integers(min_value=1, max_value=99999),
        ),
        min_size=1,
        max_size=10,
        unique_by=lambda item: item[2],
    )
)
def test_generated_arxiv_listings_round_trip(items: list[tuple[str, list[str], int]]) -> None:
    text = ""
    for abstract, comments, number in items:
        text += "\n".join([abstract, *comments]) + f"\narXiv:2403.{number:05d}"
    parsed = arxiv_listing.parse(text=text).records
    assert detect_format(text=text) == "arxiv-listing"
    assert [p.arxiv_id for p in parsed] == [f"2403.{n:05d}" for _, _, n in items]
    assert [p.abstract for p in parsed] == [a for a, _, _ in items]
    assert [p.venue for p in parsed] == [
        ("Accepted at ICML 2024" if "ICML" in str(c) else None) for _, c, _ in items
    ]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(titles(), abstracts()), min_size=1, max_size=15))
def test_generated_trending_pages_round_trip(pairs: list[tuple[str, str]]) -> None:
    lines = ["Get trending papers in your email inbox!"]
    for n, (title, abstract) in enumerate(pairs):
        lines += [("Subscribe" if n == 0 else "") + title, abstract]
    text = "\n".join(lines)
    parsed = trending.parse(text=text).records
    assert detect_format(text=text) == "trending"
    assert [(p.title, p.abstract) for p in parsed] == pairs


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=99999), min_size=1, max_size=20, unique=True))
def test_generated_identifier_lists_round_trip(numbers: list[int]) -> None:
    spellings = ["{}", "arXiv:{}v2", "https://arxiv.org/abs/{}", "arxiv.org/pdf/{}v1.pdf"]
    text = "\n".join(spellings[n % 4].format(f"2311.{n:05d}") for n in numbers)
    parsed = identifiers.parse(text=text).records
    assert detect_format(text=text) == "identifiers"
    assert [p.arxiv_id for p in parsed] == [f"2311.{n:05d}" for n in numbers]
