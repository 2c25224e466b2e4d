from django.contrib import admin

from .models import Group, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ("name", "offering", "created_at")
    list_filter = ("offering",)
    search_fields = ("name", "memberships__user__username", "memberships__user__display_name")
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "group", "offering", "joined_at")
    list_filter = ("offering",)
    search_fields = ("user__username", "user__display_name", "group__name")
