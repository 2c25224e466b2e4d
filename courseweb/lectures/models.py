"""Sessions of an offering (the schedule), their materials, and other events such as the optional tutorials."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .storage import material_storage


class Block(models.TextChoices):
    SUPERVISED = "supervised", "Supervised learning"
    DEEP = "deep", "Deep learning"
    RL = "rl", "Reinforcement learning"
    AGENTIC = "agentic", "Agentic AI"


class Session(models.Model):
    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="sessions")
    number = models.PositiveSmallIntegerField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    room = models.CharField(max_length=60)
    topic = models.CharField(max_length=200)
    block = models.CharField(max_length=16, choices=Block.choices)
    summary = models.TextField(blank=True)
    scribing_group = models.ForeignKey(
        "groups.Group", null=True, blank=True, on_delete=models.SET_NULL, related_name="scribed_sessions"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["offering", "number"], name="unique_session_number")]
        ordering = ["offering", "number"]

    def __str__(self) -> str:
        return f"Session {self.number}: {self.topic}"


class MaterialKind(models.TextChoices):
    SLIDES = "slides", "Slides"
    NOTEBOOK = "notebook", "Demo notebook"
    READING = "reading", "Reading"
    LINK = "link", "Link"


class Material(models.Model):
    """A slide deck, notebook, reading or link of a session: an uploaded file or a URL.

    `from_course_file` marks materials the course file lists (matched by session, kind and title when it is
    loaded again); staff add the others on the session page.  Files live in private storage
    (`lectures.storage`) and are downloaded through a view that checks enrolment.
    """

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="materials")
    kind = models.CharField(max_length=16, choices=MaterialKind.choices)
    title = models.CharField(max_length=300)
    url = models.URLField(max_length=500, blank=True)
    file = models.FileField(upload_to="%Y/%m/", storage=material_storage, blank=True, max_length=300)
    filename = models.CharField(max_length=255, blank=True, help_text="the uploaded file's original name")
    position = models.PositiveSmallIntegerField(default=0)
    from_course_file = models.BooleanField(default=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True, null=True)

    class Meta:
        ordering = ["session", "kind", "position", "id"]

    def __str__(self) -> str:
        return self.title


class Event(models.Model):
    """Something on the calendar that is not a class session (e.g. an optional online tutorial)."""

    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="events")
    key = models.SlugField()
    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    location = models.CharField(max_length=120, default="Online")
    optional = models.BooleanField(default=True)
    description = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["offering", "key"], name="unique_event_key")]
        ordering = ["starts_at"]

    def __str__(self) -> str:
        return self.title


class CalendarToken(models.Model):
    """A user's secret calendar URL (`/calendar/<token>.ics`): their own deadlines, readable without logging in.

    The token is shown on the user's calendar page so it can be copied again; regenerating replaces it (the old
    URL stops working) and revoking deletes it.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_token"
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"calendar of {self.user}"
