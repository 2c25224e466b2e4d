"""Notifications: what the site tells a user (shown under the bell, e-mailed per the user's preference), each
user's preference per kind, and the reminders already sent (unique, so a reminder goes out at most once)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Kind(models.TextChoices):
    GRADED = "graded", "Homework graded"
    MANUAL_GRADE = "manual_grade", "Points or comments from the staff"
    EXTENSION = "extension", "Extension granted"
    INVITATION = "invitation", "Group invitation received"
    SIGNUP_CHANGED = "signup_changed", "Sign-up changed by the staff"
    WAITLIST = "waitlist", "Moved up from a waitlist"
    SWAP_REQUEST = "swap_request", "Another group asks to swap slots"
    NOTE_REVIEWED = "note_reviewed", "Scribed note reviewed or published"
    REMINDER = "reminder", "Deadline reminders (48 and 6 hours before)"
    DIGEST = "digest", "Daily digest of ungraded work (staff)"
    ACCOUNT = "account", "Account created (set-password link)"


# The account message carries the only way to set a first password: it is always e-mailed, never configurable.
CONFIGURABLE = [k for k in Kind if k != Kind.ACCOUNT]


class Delivery(models.TextChoices):
    EMAIL = "email", "On the site and by e-mail"
    SITE = "site", "On the site only (no e-mail)"


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    email_wanted = models.BooleanField(default=False)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return f"{self.user}: {self.title}"


class Preference(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.EMAIL)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind")]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} → {self.delivery}"


class ReminderKind(models.TextChoices):
    BEFORE_48H = "48h", "48 hours before"
    BEFORE_6H = "6h", "6 hours before"
    DIGEST = "digest", "Daily digest"


class Reminder(models.Model):
    """One reminder sent: the database refuses a second row for the same user, item, deadline and kind."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    item_key = models.CharField(max_length=100)  # "item:<pk>" or "digest:<offering pk>"
    due_at = models.DateTimeField()  # the deadline reminded of (for the digest: the day it covers)
    kind = models.CharField(max_length=10, choices=ReminderKind.choices)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "item_key", "due_at", "kind"], name="reminder_once")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.item_key} {self.kind} ({self.due_at})"
