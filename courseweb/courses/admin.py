from django.contrib import admin

from .models import CourseworkItem, Deadline, Enrollment, Offering


@admin.register(Offering)
class OfferingAdmin(admin.ModelAdmin):
    list_display = (
        "slug",
        "code",
        "title",
        "season",
        "is_current",
        "group_registration_deadline",
        "homework_count",
    )
    list_filter = ("is_current",)
    search_fields = ("slug", "title", "season")


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ("user", "offering", "role", "created_at")
    list_filter = ("offering", "role")
    search_fields = ("user__username", "user__email", "user__display_name", "user__student_number")
    autocomplete_fields = ("user",)


@admin.register(CourseworkItem)
class CourseworkItemAdmin(admin.ModelAdmin):
    list_display = ("title", "offering", "kind", "category", "points", "group_work", "due_at")
    list_filter = ("offering", "kind", "category", "group_work")
    search_fields = ("title", "slug")


@admin.register(Deadline)
class DeadlineAdmin(admin.ModelAdmin):
    list_display = ("title", "offering", "due_at", "coursework")
    list_filter = ("offering",)
    search_fields = ("title", "key")
