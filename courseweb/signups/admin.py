"""Admin for sign-up sheets: browse sheets, slots and sign-ups (changes go through the staff pages' services)."""

from django.contrib import admin

from .models import Sheet, Signup, Slot


class SlotInline(admin.TabularInline):
    model = Slot
    extra = 0
    fields = ("session", "position", "starts_at", "minutes", "capacity")
    raw_id_fields = ("session",)


@admin.register(Sheet)
class SheetAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "offering", "opens_at", "closes_at", "locks_at")
    list_filter = ("offering", "kind")
    inlines = [SlotInline]


@admin.register(Signup)
class SignupAdmin(admin.ModelAdmin):
    list_display = ("group", "slot", "status", "place", "paper", "created_at")
    list_filter = ("sheet", "status")
    search_fields = ("group__name",)
    raw_id_fields = ("slot", "group", "paper", "sheet", "created_by")
    readonly_fields = ("created_at", "confirmed_at", "dropped_at")
