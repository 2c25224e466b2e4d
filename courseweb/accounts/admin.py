from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import User


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
