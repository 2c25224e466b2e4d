"""Announcements from the course staff: Markdown with math, optionally pinned, optionally e-mailed to the class.

`body_html` is rendered and sanitised once when the announcement is saved (`rendering.announcement_render`).
Public announcements are in the anonymous Atom feed; every announcement is in each member's private feed, read
through a secret, revocable URL (`FeedToken`, the pattern of the personal calendar's `CalendarToken`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Announcement(models.Model):
    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="announcements")
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown with $math$")
    body_html = models.TextField(blank=True, editable=False)
    pinned = models.BooleanField(default=False)
    public = models.BooleanField(
        default=True, help_text="also in the public feed and visible without logging in"
    )
    email_class = models.BooleanField(default=False)
    emailed_at = models.DateTimeField(null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-pinned", "-published_at", "-id"]
        indexes = [models.Index(fields=["offering", "-published_at"])]

    def __str__(self) -> str:
        return self.title


class AnnouncementRead(models.Model):
    announcement = models.ForeignKey(Announcement, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["announcement", "user"], name="one_read_per_announcement_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} read {self.announcement}"


class FeedToken(models.Model):
    """A user's secret announcements feed URL (`/announcements/feed/<token>/`); regenerating replaces it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="announcement_feed_token"
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"announcements feed of {self.user}"
