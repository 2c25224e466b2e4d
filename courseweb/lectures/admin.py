from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from .models import Event, Material, Session


def _download(material: Material) -> str:
    """Uploaded files live in private storage and are served by the checked download view."""
    if not material.pk or not material.file:
        return "-"
    url = reverse("material_download", args=[material.session.number, material.pk])
    return format_html('<a href="{}">{}</a>', url, material.filename or "download")


class MaterialInline(admin.TabularInline):
    model = Material
    extra = 0
    fields = ("kind", "title", "url", "position", "download")
    readonly_fields = ("download",)

    @admin.display(description="file")
    def download(self, obj: Material) -> str:
        return _download(obj)


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ("number", "topic", "offering", "starts_at", "room", "block", "scribing_group")
    list_filter = ("offering", "block", "room")
    search_fields = ("topic", "room")
    inlines = [MaterialInline]


@admin.register(Material)
class MaterialAdmin(admin.ModelAdmin):
    list_display = ("title", "session", "kind", "url")
    fields = ("session", "kind", "title", "url", "position", "download", "from_course_file")
    readonly_fields = ("download",)

    @admin.display(description="file (upload on the session page)")
    def download(self, obj: Material) -> str:
        return _download(obj)

    list_filter = ("kind", "session__offering")
    search_fields = ("title", "url")


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("title", "offering", "starts_at", "location", "optional")
    list_filter = ("offering", "optional")
    search_fields = ("title", "key")
