"""Admin for homework records; extensions and rubric criteria are data staff can also enter here."""

from django.contrib import admin

from .models import (
    ApiToken,
    Assignment,
    CountedChoice,
    Deliverable,
    Extension,
    GradingJob,
    ManualGrade,
    RubricCriterion,
    Submission,
)


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("key", "item", "max_score", "late_policy", "requires_gpu", "synced_at")
    readonly_fields = ("source_hash", "release_dir", "notebooks", "synced_at")


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ("pk", "assignment", "group", "submitted_by", "submitted_at", "is_late", "via")
    list_filter = ("assignment", "is_late")
    readonly_fields = [f.name for f in Submission._meta.fields]


@admin.register(GradingJob)
class GradingJobAdmin(admin.ModelAdmin):
    list_display = (
        "pk",
        "submission",
        "state",
        "reason",
        "attempts",
        "score",
        "max_score",
        "worker",
        "created_at",
    )
    list_filter = ("state", "reason", "queue")


@admin.register(Extension)
class ExtensionAdmin(admin.ModelAdmin):
    list_display = ("item", "group", "user", "due_at", "reason")


@admin.register(RubricCriterion)
class RubricCriterionAdmin(admin.ModelAdmin):
    list_display = ("item", "position", "name", "max_points")


admin.site.register(Deliverable)
admin.site.register(ManualGrade)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("digest", "prefix")


@admin.register(CountedChoice)
class CountedChoiceAdmin(admin.ModelAdmin):
    """The log of which submission counts: read-only, because a change is made by the group on the site."""

    list_display = ("assignment", "group", "user", "submission", "previous", "chosen_by", "chosen_at")
    list_filter = ("assignment",)
    readonly_fields = ("assignment", "group", "user", "submission", "previous", "chosen_by", "chosen_at")

    def has_add_permission(self, request) -> bool:
        return False
