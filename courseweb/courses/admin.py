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

    def save_model(self, request, obj, form, change):
        """A role set here is logged and reaches the hub like one set on the roster page
        (`accounts.services.role_change_record`)."""
        from courseweb.accounts.services import role_change_record

        same_person = change and not {"user", "offering"} & set(form.changed_data)
        old_role = form.initial.get("role", "") if same_person else ""
        super().save_model(request, obj, form, change)
        role_change_record(
            user=obj.user,
            offering=obj.offering,
            old_role=old_role,
            new_role=obj.role,
            actor=request.user,
            via="admin",
        )


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
