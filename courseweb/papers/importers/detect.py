"""Format detection: which importer a text (and optionally its file name) is meant for.

Each format is recognised by its own structural marker, counted over the whole text: BibTeX entry heads,
lines made only of arXiv ids/DOIs, scholar-profile meta lines, ``arXiv:`` ids at line starts, and
title-then-abstract line pairs.  The format whose marker explains the text wins; ties between the two
id-bearing page formats go to the one with more markers.  Nothing here depends on a file's length.
"""

from __future__ import annotations

import itertools
import re
from pathlib import PurePath

from courseweb.papers.importers import arxiv_listing, bibtex, identifiers, scholar, trending
from courseweb.papers.importers.records import FormatError, split_lines

_BIBTEX_HEAD_RE = re.compile(
    r"^\s*@\s*(article|inproceedings|conference|incollection|inbook|book|booklet|misc|techreport|"
    r"phdthesis|mastersthesis|manual|unpublished|online|report|thesis|string)\s*[{(]",
    re.IGNORECASE | re.MULTILINE,
)


class DetectionError(FormatError):
    """No importer recognises the text."""


def _identifier_lines(lines: list[str]) -> tuple[int, int]:
    meaningful = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
    good = sum(
        1
        for line in meaningful
        if all(identifiers.classify_token(token) for token in re.split(r"[\s,;]+", line) if token)
    )
    return good, len(meaningful)


def _trending_pairs(lines: list[str]) -> int:
    content = [line.strip() for line in lines if line.strip()]
    return sum(
        1
        for first, second in itertools.pairwise(content)
        if trending.is_title_line(first) and trending.is_abstract_line(second)
    )


def detect_format(*, text: str, filename: str | None = None) -> str:
    """The importer name for a text; raises DetectionError when nothing fits."""
    if filename and PurePath(filename).suffix.lower() == ".bib":
        return bibtex.FORMAT
    if _BIBTEX_HEAD_RE.search(text):
        return bibtex.FORMAT
    lines = split_lines(text)
    good, total = _identifier_lines(lines)
    if total and good / total >= 0.9:
        return identifiers.FORMAT
    meta_lines = sum(1 for line in lines if scholar.META_RE.match(line.strip()))
    id_lines = len(arxiv_listing.ID_TOKEN_RE.findall(text))
    if meta_lines or id_lines:
        return scholar.FORMAT if meta_lines >= id_lines else arxiv_listing.FORMAT
    if _trending_pairs(lines):
        return trending.FORMAT
    raise DetectionError(
        "could not tell the format: expected BibTeX, a list of arXiv ids or DOIs, a scholar profile, "
        "an arXiv listing or a trending-papers page"
    )
