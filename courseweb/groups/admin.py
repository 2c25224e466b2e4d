from django.contrib import admin

from .models import AuditEntry, Group, Invitation, Membership


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


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("invitee", "group", "status", "created_at", "decided_at")
    list_filter = ("offering", "status")
    search_fields = ("invitee__username", "invitee__display_name", "group__name")
    raw_id_fields = ("group", "invitee", "invited_by")


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the log is written by the services, never edited."""

    list_display = ("created_at", "action", "message", "actor")
    list_filter = ("offering", "action")
    search_fields = ("message",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
