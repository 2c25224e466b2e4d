"""Reads from the paper catalogue: search and filters, facets, the eligible list the sign-up uses, imports.

Every list prefetches what its page shows (confirmed tags, source formats), so a page's query count does not
grow with its rows.  Students only ever see confirmed tags; suggestions are for staff review.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from courseweb.courses.models import Offering
from courseweb.papers.models import (
    ImportBatch,
    Paper,
    PaperEligibility,
    PaperSource,
    PaperTag,
    Tag,
    TagStatus,
)

FORMAT_LABELS = {
    "scholar-profile": "Scholar profile",
    "arxiv-listing": "arXiv listing",
    "trending": "Trending page",
    "bibtex": "BibTeX",
    "identifiers": "arXiv ids / DOIs",
}


@dataclass(frozen=True, kw_only=True)
class CatalogueFilters:
    query: str = ""
    tag: str = ""
    year: int | None = None
    source: str = ""
    eligible_only: bool = False


def _with_display(qs: QuerySet[Paper], *, offering: Offering | None) -> QuerySet[Paper]:
    confirmed = (
        PaperTag.objects.filter(status=TagStatus.CONFIRMED).select_related("tag").order_by("tag__label")
    )
    qs = qs.prefetch_related(
        Prefetch("paper_tags", queryset=confirmed, to_attr="confirmed_tags"),
        Prefetch(
            "sources",
            queryset=PaperSource.objects.only("id", "paper_id", "format").order_by("format"),
            to_attr="source_rows",
        ),
    )
    if offering is not None:
        eligible = PaperEligibility.objects.filter(paper=OuterRef("pk"), offering=offering)
        qs = qs.annotate(is_eligible=Exists(eligible))
    return qs


def paper_list_eligible(*, offering: Offering) -> QuerySet[Paper]:
    """Papers open for the replication sign-up of this offering (what the sign-up sheet offers)."""
    return Paper.objects.filter(eligibilities__offering=offering).order_by("title", "id")


def paper_is_eligible(*, paper: Paper, offering: Offering) -> bool:
    return PaperEligibility.objects.filter(paper=paper, offering=offering).exists()


def paper_search(*, filters: CatalogueFilters, offering: Offering | None) -> QuerySet[Paper]:
    """Papers matching the words (title, authors, abstract, ids), a confirmed tag, a year and a source format."""
    qs = Paper.objects.all()
    for word in filters.query.split()[:10]:
        qs = qs.filter(
            Q(title__icontains=word)
            | Q(authors_text__icontains=word)
            | Q(abstract__icontains=word)
            | Q(arxiv_id__iexact=word.removeprefix("arXiv:"))
            | Q(doi__iexact=word.lower())
        )
    if filters.tag:
        qs = qs.filter(paper_tags__tag__slug=filters.tag, paper_tags__status=TagStatus.CONFIRMED)
    if filters.year:
        qs = qs.filter(year=filters.year)
    if filters.source:
        qs = qs.filter(Exists(PaperSource.objects.filter(paper=OuterRef("pk"), format=filters.source)))
    if filters.eligible_only and offering is not None:
        qs = qs.filter(eligibilities__offering=offering)
    return _with_display(qs.distinct(), offering=offering).order_by("-year", "title", "id")


def paper_get(*, paper_id: int, offering: Offering | None = None) -> Paper:
    qs = _with_display(Paper.objects.filter(pk=paper_id), offering=offering)
    return qs.prefetch_related("sources__batch").get()


def paper_tags_for_review(*, paper: Paper) -> list[PaperTag]:
    """All tags on a paper (suggested, confirmed, rejected) for the staff review panel."""
    return list(paper.paper_tags.select_related("tag", "decided_by").order_by("status", "tag__label"))


def catalogue_facets() -> dict[str, list]:
    """Choices for the filter form: confirmed tags with counts, years, and the source formats present."""
    tags = (
        Tag.objects.annotate(n=Count("paper_tags", filter=Q(paper_tags__status=TagStatus.CONFIRMED)))
        .filter(n__gt=0)
        .order_by("label")
    )
    years = Paper.objects.exclude(year=None).values_list("year", flat=True).distinct().order_by("-year")
    formats = PaperSource.objects.values_list("format", flat=True).distinct().order_by("format")
    return {
        "tags": [(tag.slug, f"{tag.label} ({tag.n})") for tag in tags],
        "years": list(years),
        "sources": [(fmt, FORMAT_LABELS.get(fmt, fmt)) for fmt in formats],
    }


def papers_pending_review(*, limit: int = 50) -> QuerySet[Paper]:
    """Papers with tag suggestions no one has decided yet, oldest first."""
    pending = PaperTag.objects.filter(paper=OuterRef("pk"), status=TagStatus.SUGGESTED)
    suggested = (
        PaperTag.objects.filter(status=TagStatus.SUGGESTED).select_related("tag").order_by("tag__label")
    )
    return (
        Paper.objects.filter(Exists(pending))
        .prefetch_related(Prefetch("paper_tags", queryset=suggested, to_attr="suggested_tags"))
        .order_by("id")[:limit]
    )


def import_batch_list(*, limit: int = 20) -> QuerySet[ImportBatch]:
    return ImportBatch.objects.select_related("imported_by")[:limit]


def import_batch_get(*, batch_id: int) -> ImportBatch:
    return ImportBatch.objects.select_related("imported_by").get(pk=batch_id)
