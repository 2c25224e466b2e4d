"""Admin views of books, pages and scribed notes (read-mostly; writes go through the services)."""

from django.contrib import admin

from .models import Book, BookPage, NoteEvent, NoteVersion, ScribedNote


@admin.register(Book)
class BookAdmin(admin.ModelAdmin):
    list_display = ("title", "offering", "kind", "updated_at")
    readonly_fields = ("import_report", "source_sha256")


@admin.register(BookPage)
class BookPageAdmin(admin.ModelAdmin):
    list_display = ("number", "title", "kind", "book", "position")
    list_filter = ("book", "kind")
    search_fields = ("title", "number")


class NoteVersionInline(admin.TabularInline):
    model = NoteVersion
    fields = ("number", "source_format", "created_by", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(ScribedNote)
class ScribedNoteAdmin(admin.ModelAdmin):
    list_display = ("session", "group", "status", "published_at")
    list_filter = ("offering", "status")
    inlines = [NoteVersionInline]


@admin.register(NoteEvent)
class NoteEventAdmin(admin.ModelAdmin):
    list_display = ("note", "kind", "author", "created_at")
