"""Copies of the seed lists with records removed, reordered and renamed: the importers' counts follow.

This shows the parsers read the formats' structure, not the seed files' lengths or line numbers.
"""

from __future__ import annotations

import pytest

from courseweb.papers.importers import arxiv_listing, detect_format, parse_text, scholar, trending
from tests.courseweb.papers import seedtools


@pytest.mark.parametrize(("seed", "drop"), [(1, 0), (2, 7), (3, 23), (4, 49)])
def test_scholar_copy_with_records_removed_reordered_renamed(scholar_seed: str, seed: int, drop: int) -> None:
    split = seedtools.split_scholar(scholar_seed)
    kept = seedtools.mutate(split.records, seed=seed, drop=drop)
    renamed = [
        seedtools.rename_scholar(record, f"Renamed Paper {n}: {record[1]}") for n, record in enumerate(kept)
    ]
    text = seedtools.join_scholar(seedtools.Split(header=split.header, records=renamed))
    result = scholar.parse(text=text)
    assert len(result.records) == 50 - drop
    assert [r.title for r in result.records] == [record[1] for record in renamed]
    assert detect_format(text=text) == "scholar-profile"


def test_scholar_without_header_and_with_blank_lines_squeezed(scholar_seed: str) -> None:
    split = seedtools.split_scholar(scholar_seed)
    records = split.records[:5]
    text = "\n".join(line for record in records for line in record if line.strip())
    result = scholar.parse(text=text)
    assert [r.title for r in result.records] == [record[1] for record in records]
    assert all(len(r.authors) >= 1 for r in result.records)


@pytest.mark.parametrize(("seed", "drop"), [(1, 0), (5, 3), (6, 9)])
def test_arxiv_copy_removed_reordered_keeps_id_abstract_binding(
    arxiv_seed: str, seed: int, drop: int
) -> None:
    pairs = seedtools.split_arxiv(arxiv_seed)
    original = {r.arxiv_id: r.abstract for r in arxiv_listing.parse(text=arxiv_seed).records}
    kept = seedtools.mutate(pairs, seed=seed, drop=drop)
    result = arxiv_listing.parse(text=seedtools.join_arxiv(kept))
    assert [r.arxiv_id for r in result.records] == [arxiv_id for _, arxiv_id in kept]
    assert all(r.abstract == original[r.arxiv_id] for r in result.records)
    assert not result.rejected


def test_arxiv_copy_with_ids_renamed(arxiv_seed: str) -> None:
    pairs = seedtools.split_arxiv(arxiv_seed)
    renamed = [(body, f"2601.{10000 + n}") for n, (body, _) in enumerate(pairs)]
    result = parse_text(text=seedtools.join_arxiv(renamed))
    assert [r.arxiv_id for r in result.records] == [f"2601.{10000 + n}" for n in range(len(pairs))]
    assert {r.date.isoformat() for r in result.records} == {"2026-01-01"}


def test_arxiv_text_after_last_id_is_rejected_not_lost(arxiv_seed: str) -> None:
    text = arxiv_seed + "An abstract that lost its id when the page was copied, so nothing can identify it."
    result = arxiv_listing.parse(text=text)
    assert len(result.records) == 10
    assert [r.reason for r in result.rejected] == ["text after the last arXiv id has no id"]
    assert result.rejected[0].line == 15


@pytest.mark.parametrize(("seed", "drop"), [(1, 0), (7, 19), (8, 100), (9, 118)])
def test_trending_copy_removed_reordered_renamed(trending_seed: str, seed: int, drop: int) -> None:
    header, pairs = seedtools.split_trending(trending_seed)
    kept = seedtools.mutate(pairs, seed=seed, drop=drop)
    renamed = [(f"Renamed: {title}?", abstract) for title, abstract in kept]
    result = trending.parse(text=seedtools.join_trending(header, renamed))
    assert len(result.records) == 119 - drop
    assert [r.title for r in result.records] == [title for title, _ in renamed]


def test_trending_title_without_abstract_is_kept_and_orphan_abstract_rejected(trending_seed: str) -> None:
    header, pairs = seedtools.split_trending(trending_seed)
    lines = [*header, pairs[0][0], pairs[1][0], pairs[1][1], pairs[2][1], pairs[3][0], pairs[3][1]]
    result = trending.parse(text="\n".join(lines))
    assert [r.title for r in result.records] == [pairs[0][0], pairs[1][0], pairs[3][0]]
    assert result.records[0].abstract == "" and "no-abstract" in result.records[0].flags
    assert [r.reason for r in result.rejected] == ["abstract with no title before it"]
