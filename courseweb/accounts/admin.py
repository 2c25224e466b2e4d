from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import RoleChange, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "display_name", "student_number", "major", "department", "is_staff")
    list_filter = ("is_staff", "is_superuser", "is_active", "major", "department")
    search_fields = ("username", "email", "display_name", "student_number", "first_name", "last_name")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Course profile", {"fields": ("display_name", "student_number", "major", "department")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "email", "password1", "password2")}),
    )


@admin.register(RoleChange)
class RoleChangeAdmin(admin.ModelAdmin):
    """The role-change log, read-only: who changed whose role in which offering, from what to what, and when."""

    list_display = ("at", "offering", "user", "old_role", "new_role", "changed_by", "via")
    list_filter = ("offering", "new_role")
    search_fields = ("user__username", "user__email", "changed_by__username")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
