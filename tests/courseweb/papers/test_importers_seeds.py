"""The three seed paper lists through their importers: counts, fields, quirks (skipped without ../shared)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from courseweb.papers.importers import (
    DatePrecision,
    Flag,
    arxiv_listing,
    detect_format,
    parse_text,
    scholar,
    trending,
)

SEED_ARXIV_IDS = [
    "2507.10890",
    "2503.06582",
    "2502.07952",
    "2412.02674",
    "2410.21676",
    "2410.02817",
    "2312.04792",
    "2312.04021",
    "2310.17168",
    "2310.16096",
]


def test_scholar_profile_gives_50_titled_records_and_reports_the_header_claim(scholar_seed: str) -> None:
    result = scholar.parse(text=scholar_seed)
    assert len(result.records) == 50
    assert all(record.title and record.abstract and record.authors for record in result.records)
    assert not result.rejected
    assert any("claims 61 papers" in note for note in result.notes)
    assert len({record.title_key for record in result.records}) == 50


def test_scholar_profile_meta_line_fields(scholar_seed: str) -> None:
    records = scholar.parse(text=scholar_seed).records
    first = records[0]
    assert first.title == "Resource-Constrained Adaptive Inference for Sequential Pricing"
    assert first.source_line == 13
    assert first.source_score == 98.2
    assert first.arxiv_category == "stat.ML"
    assert first.date == dt.date(2026, 6, 2)
    assert first.date_precision is DatePrecision.DAY
    assert first.year_inferred and Flag.YEAR_INFERRED.value in first.flags
    assert Counter(r.arxiv_category for r in records)["cs.LG"] == 22
    assert sum(r.source_score is not None for r in records) == 10
    assert sum(r.year_inferred for r in records) == 15
    assert records[1].date == dt.date(2023, 4, 10) and not records[1].year_inferred


def test_scholar_profile_authors_truncation_and_affiliation(scholar_seed: str) -> None:
    records = scholar.parse(text=scholar_seed).records
    assert sum(r.authors_truncated for r in records) == 18
    assert max(len(r.authors) for r in records) == 3
    affiliated = [r for r in records if r.author_affil_hint]
    assert [(r.author_affil_hint, r.authors) for r in affiliated] == [
        ("mit", ["Haichen Hu", "David Simchi-Levi", "Navid Azizan"])
    ]


def test_scholar_profile_keeps_math_and_flags_unexpanded_macros(scholar_seed: str) -> None:
    records = scholar.parse(text=scholar_seed).records
    assert sum("$" in r.abstract for r in records) >= 15
    flagged = [r for r in records if Flag.UNEXPANDED_MACROS.value in r.flags]
    assert flagged and all("\\IIS" in r.abstract for r in flagged)
    assert not any("\\emph" in r.abstract or "\\%" in r.abstract for r in records)


def test_scholar_year_follows_capture_date(scholar_seed: str) -> None:
    records = scholar.parse(text=scholar_seed, capture_date=dt.date(2027, 3, 1)).records
    assert records[0].date == dt.date(2026, 6, 2)  # Jun 2 would be after the capture date in 2027
    assert records[1].date == dt.date(2023, 4, 10)


def test_arxiv_listing_ids_trail_their_abstracts(arxiv_seed: str) -> None:
    result = arxiv_listing.parse(text=arxiv_seed)
    assert [r.arxiv_id for r in result.records] == SEED_ARXIV_IDS
    assert not result.rejected
    by_id = {r.arxiv_id: r for r in result.records}
    assert by_id["2412.02674"].abstract.startswith("Self-improvement is a mechanism")
    assert by_id["2410.21676"].abstract.startswith("Training large-scale models")
    assert by_id["2507.10890"].abstract.startswith("We study the problem of forecasting")
    assert "\u201cdrained\u201d" in by_id["2507.10890"].abstract
    assert all(r.title is None and Flag.NEEDS_METADATA.value in r.flags for r in result.records)


def test_arxiv_listing_dates_venues_and_comments(arxiv_seed: str) -> None:
    by_id = {r.arxiv_id: r for r in arxiv_listing.parse(text=arxiv_seed).records}
    assert by_id["2507.10890"].date == dt.date(2025, 7, 1)
    assert by_id["2507.10890"].date_precision is DatePrecision.MONTH
    assert by_id["2507.10890"].venue == "KDD - AI for Supply Chain Workshop"
    assert by_id["2502.07952"].venue.startswith("Submitted for review to the 26th ACM Conference")
    assert by_id["2412.02674"].venue is None
    assert by_id["2412.02674"].comments == ["41 pages, 19 figures"]
    assert by_id["2312.04021"].venue.startswith("Spotlight Talk at NeurIPS 2023 Workshop")
    assert by_id["2310.16096"].url == "https://arxiv.org/abs/2310.16096"
    assert by_id["2310.16096"].source_line == 14


def test_trending_gives_119_pairs_without_boilerplate(trending_seed: str) -> None:
    result = trending.parse(text=trending_seed)
    assert len(result.records) == 119
    assert all(r.title and r.abstract for r in result.records)
    assert result.records[0].title.startswith("IBCL: Zero-shot Model Generation")
    assert result.records[-1].title == "The Forecast Trap"
    assert sum("boilerplate" in note for note in result.notes) == 2
    assert not any("trending papers" in (r.title or "").lower() for r in result.records)
    assert len({r.title_key for r in result.records}) == 119


def test_trending_repairs_residue(trending_seed: str) -> None:
    by_line = {r.source_line: r for r in trending.parse(text=trending_seed).records}
    assert "model\u2013and" in by_line[215].abstract
    assert "Fr\u00e9chet regression\u2014which" in by_line[119].abstract
    assert "True to the Model or True to the Data?" in {r.title for r in by_line.values()}
    assert not by_line[183].abstract.startswith('"')
    assert Flag.UNEXPANDED_MACROS.value in by_line[95].flags  # \method


def test_detection_picks_each_seed_format(scholar_seed: str, arxiv_seed: str, trending_seed: str) -> None:
    assert detect_format(text=scholar_seed) == "scholar-profile"
    assert detect_format(text=arxiv_seed) == "arxiv-listing"
    assert detect_format(text=trending_seed) == "trending"
    assert len(parse_text(text=trending_seed).records) == 119
