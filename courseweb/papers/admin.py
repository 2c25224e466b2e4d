"""Admin for the paper catalogue: papers with their sources and tags inline, imports, tags, eligibility."""

from __future__ import annotations

from django.contrib import admin
from django.db import models

from courseweb.papers.models import ImportBatch, Paper, PaperEligibility, PaperSource, PaperTag, Tag


class PaperSourceInline(admin.TabularInline):
    model = PaperSource
    extra = 0
    fields = ("format", "filename", "source_line", "batch", "created_at")
    readonly_fields = fields
    can_delete = False


class PaperTagInline(admin.TabularInline):
    model = PaperTag
    extra = 0
    fields = ("tag", "status", "origin", "decided_by", "decided_at")
    readonly_fields = ("origin", "decided_by", "decided_at")
    autocomplete_fields = ("tag",)


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "year",
        "authors_text",
        "arxiv_id",
        "doi",
        "venue",
        "primary_format",
        "updated_at",
    )
    list_filter = (
        "primary_format",
        "sources__format",
        "date_precision",
        "year_inferred",
        "authors_truncated",
        "year",
    )
    search_fields = ("title", "authors_text", "arxiv_id", "doi", "venue")
    readonly_fields = ("title_key", "created_at", "updated_at", "primary_format")
    inlines = (PaperTagInline, PaperSourceInline)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ("__str__", "format", "added", "merged", "skipped", "imported_by", "created_at")
    list_filter = ("format",)
    search_fields = ("filename", "report")
    readonly_fields = ("format", "filename", "sha256", "imported_by", "added", "merged", "skipped", "report")


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("label", "slug", "in_vocabulary")
    list_filter = ("in_vocabulary",)
    search_fields = ("label", "slug")


@admin.register(PaperTag)
class PaperTagAdmin(admin.ModelAdmin):
    list_display = ("paper", "tag", "status", "origin", "decided_by", "decided_at")
    list_filter = ("status", "origin", "tag")
    search_fields = ("paper__title", "tag__label")
    list_select_related = ("paper", "tag", "decided_by")


@admin.register(PaperEligibility)
class PaperEligibilityAdmin(admin.ModelAdmin):
    list_display = ("paper", "offering", "marked_by", "marked_at", "note")
    list_filter = ("offering",)
    search_fields = ("paper__title", "note")
    list_select_related = ("paper", "offering", "marked_by")
