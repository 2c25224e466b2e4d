"""The notes book of an offering (pages with rendered HTML, anchors, search text) and the scribing workflow.

- `Book`: one per offering.  An imported book (the S25 text) keeps its own chapters; a scribed book is the
  offering's published notes ordered by session.
- `BookPage`: a chapter / section / x.y subsection page, or a session page of a scribed book; HTML is rendered
  once at import or publish time and stored.  `search_vector` is used on PostgreSQL; on SQLite the FTS5 table
  `notes_bookpage_fts` (created by migration 0002) is kept in step by the services.
- `BookAnchor`: deep-link targets (`eq-13`, `fig-6-3-4`, `tab-5`, `thm-12-2`, `s-3-4-1`) and their page.
- `ScribedNote`, `NoteVersion`, `NoteEvent`: a group's note for a session, every submitted version (never
  changed after creation), and the review history (submissions, comments, change requests, publication).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models


class BookKind(models.TextChoices):
    IMPORTED = "imported", "Imported book"
    SCRIBED = "scribed", "Scribed notes"


class Book(models.Model):
    offering = models.OneToOneField("courses.Offering", on_delete=models.CASCADE, related_name="notes_book")
    kind = models.CharField(max_length=10, choices=BookKind.choices)
    title = models.CharField(max_length=200)
    front_matter = models.JSONField(default=list, blank=True)
    title_footnote_html = models.TextField(blank=True)
    references_html = models.TextField(blank=True)
    import_report = models.TextField(blank=True)
    source_sha256 = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.title} ({self.offering.slug})"


class PageKind(models.TextChoices):
    CHAPTER = "chapter", "Chapter"
    SECTION = "section", "Section"
    SUBSECTION = "subsection", "Subsection"
    SESSION = "session", "Session note"


class BookPage(models.Model):
    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="pages")
    slug = models.SlugField(max_length=40)
    kind = models.CharField(max_length=10, choices=PageKind.choices)
    number = models.CharField(max_length=20)
    title = models.CharField(max_length=300)
    title_html = models.TextField(blank=True)
    position = models.PositiveIntegerField()
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    html = models.TextField(blank=True)
    footnotes = models.JSONField(default=list, blank=True)  # [[number, html], ...]
    headings = models.JSONField(default=list, blank=True)  # [[number, title, html_id], ...] in-page parts
    text = models.TextField(blank=True)
    math_text = models.TextField(blank=True)
    search_vector = SearchVectorField(null=True, blank=True, editable=False)
    note = models.OneToOneField(
        "ScribedNote", null=True, blank=True, on_delete=models.SET_NULL, related_name="book_page"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["book", "slug"], name="unique_page_slug")]
        ordering = ["book", "position"]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class BookAnchor(models.Model):
    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="anchors")
    page = models.ForeignKey(BookPage, on_delete=models.CASCADE, related_name="anchors")
    html_id = models.CharField(max_length=80)
    kind = models.CharField(max_length=8)
    label = models.CharField(max_length=300)

    class Meta:
        indexes = [models.Index(fields=["book", "html_id"], name="notes_anchor_lookup")]
        ordering = ["page", "id"]

    def __str__(self) -> str:
        return f"#{self.html_id}"


class NoteStatus(models.TextChoices):
    ASSIGNED = "assigned", "Assigned, nothing submitted yet"
    SUBMITTED = "submitted", "Submitted for review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    PUBLISHED = "published", "Published"


class ScribedNote(models.Model):
    """One group's note for one session; `group` is empty for notes the staff write (e.g. the demo notes)."""

    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="scribed_notes")
    session = models.ForeignKey("lectures.Session", on_delete=models.CASCADE, related_name="scribed_notes")
    group = models.ForeignKey(
        "groups.Group", null=True, blank=True, on_delete=models.SET_NULL, related_name="scribed_notes"
    )
    title = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=20, choices=NoteStatus.choices, default=NoteStatus.ASSIGNED)
    published_version = models.ForeignKey(
        "NoteVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session"], name="one_note_per_session")]
        ordering = ["offering", "session__number"]

    def __str__(self) -> str:
        return f"Note for {self.session}"


class SourceFormat(models.TextChoices):
    MARKDOWN = "markdown", "Markdown with LaTeX math"
    TEX = "tex", "LaTeX (.tex) converted to Markdown"


class NoteVersion(models.Model):
    note = models.ForeignKey(ScribedNote, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    source_format = models.CharField(max_length=10, choices=SourceFormat.choices)
    markdown = models.TextField()
    original_tex = models.TextField(blank=True)
    html = models.TextField()
    text = models.TextField(blank=True)
    math_text = models.TextField(blank=True)
    math_errors = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["note", "number"], name="unique_note_version")]
        ordering = ["note", "number"]

    def __str__(self) -> str:
        return f"v{self.number} of {self.note}"


class NoteEventKind(models.TextChoices):
    ASSIGNED = "assigned", "Assigned"
    SUBMITTED = "submitted", "Submitted"
    COMMENT = "comment", "Comment"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    PUBLISHED = "published", "Published"


class NoteEvent(models.Model):
    note = models.ForeignKey(ScribedNote, on_delete=models.CASCADE, related_name="events")
    version = models.ForeignKey(
        NoteVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=NoteEventKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["note", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} on {self.note_id}"
