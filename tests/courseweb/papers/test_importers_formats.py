"""BibTeX, pasted identifiers, text cleaning, identifier normalization and format detection."""

from __future__ import annotations

import datetime as dt

import pytest

from courseweb.papers.importers import (
    DatePrecision,
    DetectionError,
    FormatError,
    bibtex,
    detect_format,
    identifiers,
    normalize_arxiv_id,
    normalize_doi,
    parse_text,
    title_key,
)
from courseweb.papers.importers.cleaning import clean_text, unexpanded_macros
from courseweb.papers.tagging import suggest_tags

BIB = r"""
@string{ms = "Management Science"}
@comment{exported from a reference manager}
@article{wang2023,
  title = {Dynamic Coupon Targeting Using Batch Deep {RL}},
  author = {Wang, Xiao and M{\"u}ller, J{\"o}rg and others},
  journal = ms # " (Articles)",
  year = 2023, month = mar,
  doi = {https://doi.org/10.1287/MKSC.2022.0001},
  abstract = {We learn $\pi$-policies and cut costs by 90\%.},
  keywords = {reinforcement learning; marketing},
}
@misc(gap, title="Mind the Gap", eprint={2412.02674v2}, archivePrefix={arXiv}, year={2024})
@article{broken, title = {Unclosed
@inproceedings{ok, author = "A. B. Cole", booktitle={NeurIPS}, title = {Another {Paper}}, year={2020}, month={12}, day={3}}
@misc{empty, note = {nothing identifies this}}
"""


def test_bibtex_entries_fields_and_rejections() -> None:
    result = bibtex.parse(text=BIB)
    wang, gap, ok = result.records
    assert wang.title == "Dynamic Coupon Targeting Using Batch Deep RL"
    assert wang.authors == ["Xiao Wang", "Jörg Müller"] and wang.authors_truncated
    assert wang.venue == "Management Science (Articles)"
    assert (wang.date, wang.date_precision) == (dt.date(2023, 3, 1), DatePrecision.MONTH)
    assert wang.doi == "10.1287/mksc.2022.0001" and wang.url == "https://doi.org/10.1287/mksc.2022.0001"
    assert wang.abstract == r"We learn $\pi$-policies and cut costs by 90%."
    assert wang.tags == ["reinforcement learning", "marketing"]
    assert wang.source_line == 4
    assert gap.arxiv_id == "2412.02674" and gap.date_precision is DatePrecision.YEAR
    assert (ok.date, ok.date_precision, ok.venue) == (dt.date(2020, 12, 3), DatePrecision.DAY, "NeurIPS")
    assert [(r.line, r.reason) for r in result.rejected] == [
        (14, "unbalanced braces"),
        (16, "entry has no title, arXiv id or DOI"),
    ]
    assert detect_format(text=BIB) == "bibtex"


def test_identifier_paste_spellings_and_rejections() -> None:
    text = "2507.10890, arXiv:2412.02674v2\n# a comment\nhttps://doi.org/10.1016/J.EJOR.2020.01.001.\nfoo hep-th/9901001"
    result = identifiers.parse(text=text)
    assert [(r.arxiv_id, r.doi) for r in result.records] == [
        ("2507.10890", None),
        ("2412.02674", None),
        (None, "10.1016/j.ejor.2020.01.001"),
        ("hep-th/9901001", None),
    ]
    assert all("needs-metadata" in r.flags for r in result.records)
    assert result.records[3].date == dt.date(1999, 1, 1)
    assert [(r.line, r.text) for r in result.rejected] == [(4, "foo")]
    with pytest.raises(FormatError):
        identifiers.parse(text="nothing here")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("arXiv:2507.10890v3", "2507.10890"),
        ("https://arxiv.org/pdf/2507.10890v1.pdf", "2507.10890"),
        ("HEP-TH/9901001", "hep-th/9901001"),
        ("hep-th/9901001v2", "hep-th/9901001"),
        ("2507.1089", None),
        ("", None),
    ],
)
def test_normalize_arxiv_id(raw: str, expected: str | None) -> None:
    assert normalize_arxiv_id(raw) == expected


def test_normalize_doi_and_title_key() -> None:
    assert normalize_doi("doi: 10.1287/MNSC.2021.4000") == "10.1287/mnsc.2021.4000"
    assert normalize_doi("not a doi") is None
    assert title_key("Fr\u00e9chet Regression: \\emph{A} Study!") == "frechet regression a study"
    assert title_key("  ?? ") is None and title_key(None) is None


def test_cleaning_leaves_math_alone_and_reports_macros() -> None:
    assert clean_text(r"cut 90\% with $a\%b$ and \textbf{\IIS{}}") == r"cut 90% with $a\%b$ and \IIS{}"
    assert (
        clean_text("Fr\\'echet and na\\\"ive modelx2013and ``quoted''")
        == "Fréchet and naïve model–and “quoted”"
    )
    assert clean_text("x &amp; y &#8212; z") == "x & y — z"
    assert unexpanded_macros(r"we propose \method over $\sqrt{T}$ \cite{x}") == ["\\method"]


def test_detection_rejects_unknown_text_and_unknown_format_names() -> None:
    with pytest.raises(DetectionError):
        detect_format(text="just a short note\nanother short note")
    with pytest.raises(FormatError):
        parse_text(text="2507.10890", fmt="ris")
    assert detect_format(text="@misc{x, title={T}}", filename="refs.txt") == "bibtex"
    assert detect_format(text="anything", filename="refs.bib") == "bibtex"


def test_tag_suggestions_come_from_the_text() -> None:
    tags = suggest_tags(
        title="Dynamic Pricing with Bandits", abstract="We study regret for an inventory problem."
    )
    assert tags == ["bandits", "pricing-revenue", "supply-chain"]
    assert suggest_tags(title=None, abstract="Nothing relevant here.") == []


def test_scholar_missing_year_follows_the_latest_year_on_the_page() -> None:
    from courseweb.papers.importers import scholar

    abstract = "We study pricing. We prove a bound. We test it on data. " * 4
    page = f"MLMar 3, 2020\nOld Paper\n\nAda Lovelace\n\n{abstract}\n\nLGJan 9\nNew Paper\n\nAlan Turing\n\n{abstract}"
    old, new = scholar.parse(text=page).records
    assert (old.date, old.year_inferred) == (dt.date(2020, 3, 3), False)
    assert (new.date, new.year_inferred) == (dt.date(2021, 1, 9), True)
    assert scholar.parse(text=page, capture_date=dt.date(2024, 1, 5)).records[1].date == dt.date(2023, 1, 9)
