"""The paper catalogue: papers, where each came from, tags staff confirm, and eligibility for replication.

A `Paper` is one deduplicated paper (matched by arXiv id, DOI or normalized title); every import that saw it
leaves a `PaperSource` row with the format, line and raw text.  Tags are a vocabulary (`Tag`) linked through
`PaperTag`, whose status says whether staff confirmed a suggestion.  `PaperEligibility` marks a paper as
open for the replication sign-up of one offering.  Writes go through `services.py`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class DatePrecision(models.TextChoices):
    DAY = "day", "Day"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


class Paper(models.Model):
    title = models.CharField(max_length=500, blank=True)
    title_key = models.CharField(
        max_length=500, blank=True, db_index=True, help_text="normalized title for dedup"
    )
    authors = models.JSONField(default=list, blank=True)
    authors_text = models.CharField(max_length=1000, blank=True, help_text="authors joined, for search")
    authors_truncated = models.BooleanField(default=False)
    author_affil_hint = models.CharField(max_length=200, blank=True)
    date = models.DateField(null=True, blank=True)
    date_precision = models.CharField(max_length=8, choices=DatePrecision.choices, blank=True)
    date_raw = models.CharField(max_length=100, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True, db_index=True)
    year_inferred = models.BooleanField(default=False)
    venue = models.CharField(max_length=500, blank=True)
    comments = models.JSONField(default=list, blank=True)
    arxiv_id = models.CharField(max_length=40, blank=True, help_text="without version")
    doi = models.CharField(max_length=255, blank=True, help_text="lowercase, without https://doi.org/")
    arxiv_category = models.CharField(max_length=20, blank=True)
    source_score = models.FloatField(
        null=True, blank=True, help_text="score shown by the source; meaning unknown"
    )
    abstract = models.TextField(blank=True)
    abstract_raw = models.TextField(blank=True)
    url = models.URLField(max_length=500, blank=True)
    flags = models.JSONField(default=list, blank=True, help_text="data-quality flags, e.g. needs-metadata")
    primary_format = models.CharField(max_length=32, blank=True, help_text="importer that first added it")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["arxiv_id"], condition=~Q(arxiv_id=""), name="unique_paper_arxiv"
            ),
            models.UniqueConstraint(fields=["doi"], condition=~Q(doi=""), name="unique_paper_doi"),
        ]
        ordering = ["-year", "title", "id"]

    def __str__(self) -> str:
        return self.title or (
            f"arXiv:{self.arxiv_id}" if self.arxiv_id else f"doi:{self.doi}" if self.doi else "?"
        )

    @property
    def display_title(self) -> str:
        return str(self)


class ImportBatch(models.Model):
    """One run of an importer over one text, with its report."""

    format = models.CharField(max_length=32)
    filename = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    added = models.PositiveIntegerField(default=0)
    merged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    report = models.TextField(blank=True)
    source_text = models.TextField(blank=True, help_text="the imported text, kept as uploaded")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "import batches"

    def __str__(self) -> str:
        return f"{self.filename or self.format} ({self.created_at:%Y-%m-%d %H:%M})"


class PaperSource(models.Model):
    """Provenance: one source record that was added to or merged into a paper."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="sources")
    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="sources")
    format = models.CharField(max_length=32, db_index=True)
    filename = models.CharField(max_length=255, blank=True)
    source_line = models.PositiveIntegerField()
    raw = models.TextField()
    raw_sha256 = models.CharField(max_length=64)
    record = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["paper", "format", "raw_sha256"], name="unique_paper_source_raw"),
        ]
        ordering = ["paper", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.format} line {self.source_line}"


class Tag(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    label = models.CharField(max_length=100)
    in_vocabulary = models.BooleanField(default=False, help_text="part of the course's controlled vocabulary")

    class Meta:
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class TagStatus(models.TextChoices):
    SUGGESTED = "suggested", "Suggested"
    CONFIRMED = "confirmed", "Confirmed"
    REJECTED = "rejected", "Rejected"


class PaperTag(models.Model):
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="paper_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="paper_tags")
    status = models.CharField(max_length=10, choices=TagStatus.choices, default=TagStatus.SUGGESTED)
    origin = models.CharField(max_length=20, default="keywords", help_text="keywords, source or staff")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["paper", "tag"], name="unique_paper_tag")]
        ordering = ["tag__label"]

    def __str__(self) -> str:
        return f"{self.tag} on {self.paper} ({self.status})"


class PaperEligibility(models.Model):
    """The paper may be chosen for replication and presentation in this offering."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="eligibilities")
    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="eligible_papers")
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    marked_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=300, blank=True, help_text="e.g. the figure to replicate")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["paper", "offering"], name="unique_paper_eligibility")]
        ordering = ["offering", "paper__title"]
        verbose_name_plural = "paper eligibilities"

    def __str__(self) -> str:
        return f"{self.paper} eligible in {self.offering}"
