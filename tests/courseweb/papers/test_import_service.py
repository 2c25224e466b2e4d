"""Importing into the catalogue: the acceptance counts, idempotent re-import, dedup rules and merging."""

from __future__ import annotations

import pytest

from courseweb.papers.importers import FormatError
from courseweb.papers.models import Paper, PaperSource, PaperTag
from courseweb.papers.services import ERROR_EMPTY_TEXT, SKIP_UNIDENTIFIABLE, paper_import_text
from tests.courseweb.papers import seedtools

pytestmark = pytest.mark.django_db


def test_three_seeds_in_order_give_50_10_119_and_reimport_adds_nothing(
    scholar_seed: str, arxiv_seed: str, trending_seed: str
) -> None:
    seeds = [
        ("papers-scholar-profile.txt", scholar_seed),
        ("papers-arxiv-listing.txt", arxiv_seed),
        ("papers-trending.txt", trending_seed),
    ]
    batches = [paper_import_text(text=text, filename=name) for name, text in seeds]
    assert [(b.added, b.merged, b.skipped) for b in batches] == [(50, 0, 0), (10, 0, 0), (119, 0, 0)]
    assert [b.format for b in batches] == ["scholar-profile", "arxiv-listing", "trending"]
    assert batches[0].report.splitlines()[-1] == "added: 50, merged: 0, skipped: 0"
    assert Paper.objects.count() == 179
    assert Paper.objects.exclude(title="").count() == 169  # the listing has no titles
    assert Paper.objects.exclude(arxiv_id="").count() == 10
    keys = list(Paper.objects.exclude(title_key="").values_list("title_key", flat=True))
    assert len(keys) == len(set(keys))
    sources_before = PaperSource.objects.count()

    again = [paper_import_text(text=text, filename=name) for name, text in seeds]
    assert [(b.added, b.merged, b.skipped) for b in again] == [(0, 50, 0), (0, 10, 0), (0, 119, 0)]
    assert again[2].report.splitlines()[-1] == "added: 0, merged: 119, skipped: 0"
    assert "already imported" in again[0].report
    assert Paper.objects.count() == 179
    assert PaperSource.objects.count() == sources_before


def test_reimport_of_a_changed_copy_updates_the_paper_from_its_own_source(scholar_seed: str) -> None:
    paper_import_text(text=scholar_seed)
    split = seedtools.split_scholar(scholar_seed)
    first = split.records[0]
    changed = [
        first[0],
        first[1],
        "",
        "Ruicheng Ao, Jiashuo Jiang",
        "",
        "A revised abstract with $x^2$ in it.",
    ]
    batch = paper_import_text(
        text=seedtools.join_scholar(seedtools.Split(header=split.header, records=[changed]))
    )
    assert (batch.added, batch.merged) == (0, 1)
    paper = Paper.objects.get(title=first[1])
    assert paper.abstract == "A revised abstract with $x^2$ in it."
    assert paper.authors == ["Ruicheng Ao", "Jiashuo Jiang"]
    assert "updated authors, abstract" in batch.report
    assert paper.sources.count() == 2


def test_ids_join_a_titled_record_and_fill_its_blanks() -> None:
    bib = (
        "@article{a, title={Mind the Gap: Examining the Self-Improvement Capabilities of LLMs}, year={2024}}"
    )
    paper_import_text(text=bib)
    batch = paper_import_text(
        text="@misc{b, title={Mind the gap -- examining the self-improvement capabilities of LLMs}, "
        "eprint={2412.02674}, archivePrefix={arXiv}, abstract={Self-improvement is studied.}}"
    )
    assert (batch.added, batch.merged) == (0, 1) and "same normalized title" in batch.report
    paper = Paper.objects.get()
    assert paper.arxiv_id == "2412.02674" and paper.abstract == "Self-improvement is studied."
    batch = paper_import_text(text="arXiv:2412.02674v3\n")
    assert (batch.added, batch.merged) == (0, 1) and "same arXiv id" in batch.report
    assert Paper.objects.count() == 1


def test_same_title_with_different_ids_are_different_papers() -> None:
    paper_import_text(text="@misc{a, title={A Common Title}, eprint={2401.00001}, archivePrefix={arXiv}}")
    batch = paper_import_text(
        text="@misc{b, title={A Common Title}, eprint={2401.00002}, archivePrefix={arXiv}}"
    )
    assert batch.added == 1
    assert Paper.objects.count() == 2


def test_records_without_title_never_match_on_empty_title_or_abstract() -> None:
    paper_import_text(text="2401.00001\n2401.00002\n10.1287/mnsc.2020.1\n")
    assert Paper.objects.filter(title="").count() == 3
    assert all("needs-metadata" in p.flags for p in Paper.objects.all())
    same_abstract = "We study a problem. We prove a theorem about it. We run experiments on data too. " * 5
    text = f"First Title\n{same_abstract}\nSecond Title\n{same_abstract}\n"
    batch = paper_import_text(text=text, fmt="trending")
    assert batch.added == 2


def test_doi_matches_case_insensitively_and_unidentifiable_bibtex_is_skipped() -> None:
    paper_import_text(text="https://doi.org/10.1287/MKSC.2022.1")
    batch = paper_import_text(
        text="@article{x, title={Coupons}, doi={10.1287/mksc.2022.1}}\n@article{y, author={Nobody}}\n"
    )
    assert (batch.added, batch.merged, batch.skipped) == (0, 1, 1)
    assert "entry has no title, arXiv id or DOI" in batch.report
    assert Paper.objects.get().title == "Coupons"
    assert SKIP_UNIDENTIFIABLE  # the service's own guard message exists for records from other importers


def test_parser_rejections_are_reported_as_skipped_with_reasons(arxiv_seed: str) -> None:
    batch = paper_import_text(text=arxiv_seed + "Orphan abstract text without any identifier at all.")
    assert (batch.added, batch.skipped) == (10, 1)
    assert "skipped line 15: Orphan abstract" in batch.report
    assert "(text after the last arXiv id has no id)" in batch.report
    assert batch.report.endswith("added: 10, merged: 0, skipped: 1")


def test_import_suggests_tags_but_confirms_none(scholar_seed: str) -> None:
    paper_import_text(text=scholar_seed)
    assert PaperTag.objects.filter(status="suggested").count() > 50
    assert not PaperTag.objects.exclude(status="suggested").exists()
    bandit = Paper.objects.get(title__startswith="Regret Distribution in Stochastic Bandits")
    assert "bandits" in set(bandit.paper_tags.values_list("tag__slug", flat=True))


def test_bad_input_stores_nothing() -> None:
    with pytest.raises(ValueError, match=ERROR_EMPTY_TEXT):
        paper_import_text(text="  \n")
    with pytest.raises(FormatError):
        paper_import_text(text="short line\nanother short line")
    with pytest.raises(FormatError):
        paper_import_text(text="no ids here", fmt="identifiers")
    assert not Paper.objects.exists()


def test_overlong_fields_are_cut_to_fit_and_overlong_ids_are_not_stored() -> None:
    long_venue, long_url = "Proceedings " * 60, "https://example.org/" + "x" * 600
    bib = f"@article{{a, title={{T}}, journal={{{long_venue}}}, url={{{long_url}}}, doi={{10.1234/{'y' * 600}}}}}"
    paper_import_text(text=bib)
    paper = Paper.objects.get()
    assert len(paper.venue) == 500 and paper.venue == long_venue[:500]
    assert paper.url == "" and paper.doi == ""
