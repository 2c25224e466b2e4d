from django.contrib import admin

from .models import Event, Material, Session


class MaterialInline(admin.TabularInline):
    model = Material
    extra = 0


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ("number", "topic", "offering", "starts_at", "room", "block", "scribing_group")
    list_filter = ("offering", "block", "room")
    search_fields = ("topic", "room")
    inlines = [MaterialInline]


@admin.register(Material)
class MaterialAdmin(admin.ModelAdmin):
    list_display = ("title", "session", "kind", "url")
    list_filter = ("kind", "session__offering")
    search_fields = ("title", "url")


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("title", "offering", "starts_at", "location", "optional")
    list_filter = ("offering", "optional")
    search_fields = ("title", "key")
