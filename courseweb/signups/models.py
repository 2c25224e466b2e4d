"""Sign-up sheets keyed to lecture sessions: scribing, paper replication and presentation, project presentations.

A `Sheet` has an open/close window, a lock time after which groups can no longer drop, and its rules (one
entry per group, waitlist).  A `Slot` is a place in one session with a capacity (scribing: one per session;
presentations: timed slots in the session's last minutes).  A `Signup` is a group's claim on a slot: confirmed
with a numbered place, waitlisted, or dropped.  The database itself forbids two groups holding the same place,
a group holding two places on a one-per-group sheet, and two groups claiming the same paper in an offering.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class SheetKind(models.TextChoices):
    SCRIBING = "scribing", "Lecture-note scribing"
    PAPER = "paper", "Paper replication and presentation"
    PROJECT = "project", "Final project presentation"


class Sheet(models.Model):
    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="signup_sheets")
    kind = models.CharField(max_length=10, choices=SheetKind.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    locks_at = models.DateTimeField(
        null=True, blank=True, help_text="groups may drop until this time (default: the close time)"
    )
    one_per_group = models.BooleanField(
        default=True, help_text="a group holds at most one slot on this sheet"
    )
    waitlist_enabled = models.BooleanField(default=True)
    slots_per_session = models.PositiveSmallIntegerField(default=1)
    slot_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    default_capacity = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["offering", "opens_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="sheet_closes_after_open"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def drop_deadline(self):
        return self.locks_at or self.closes_at


class Slot(models.Model):
    sheet = models.ForeignKey(Sheet, on_delete=models.CASCADE, related_name="slots")
    session = models.ForeignKey("lectures.Session", on_delete=models.CASCADE, related_name="signup_slots")
    position = models.PositiveSmallIntegerField(default=1)
    starts_at = models.DateTimeField(null=True, blank=True)
    minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    capacity = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["sheet", "session__number", "position"]
        constraints = [
            models.UniqueConstraint(fields=["sheet", "session", "position"], name="unique_slot_position"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="slot_capacity_positive"),
        ]

    def __str__(self) -> str:
        label = f"Session {self.session.number}"
        if self.starts_at:
            from django.utils import timezone

            label += f", {timezone.localtime(self.starts_at):%H:%M}"
        elif self.sheet.slots_per_session > 1:
            label += f", slot {self.position}"
        return label

    @property
    def ends_at(self):
        if self.starts_at is None or not self.minutes:
            return None
        import datetime as dt

        return self.starts_at + dt.timedelta(minutes=self.minutes)


class SignupStatus(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    WAITLISTED = "waitlisted", "Waitlisted"
    DROPPED = "dropped", "Dropped"


ACTIVE = (SignupStatus.CONFIRMED, SignupStatus.WAITLISTED)


class Signup(models.Model):
    sheet = models.ForeignKey(Sheet, on_delete=models.CASCADE, related_name="signups")
    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="signups")
    group = models.ForeignKey("groups.Group", on_delete=models.CASCADE, related_name="signups")
    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="+")
    paper = models.ForeignKey(
        "papers.Paper", null=True, blank=True, on_delete=models.PROTECT, related_name="signups"
    )
    status = models.CharField(max_length=10, choices=SignupStatus.choices)
    place = models.PositiveSmallIntegerField(null=True, blank=True, help_text="1..capacity while confirmed")
    exclusive = models.BooleanField(default=True, help_text="copy of the sheet's one-per-group rule")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    dropped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["slot", "status", "place", "created_at", "id"]
        constraints = [
            # Two groups can never hold the same place of a slot.
            models.UniqueConstraint(
                fields=["slot", "place"], condition=Q(status="confirmed"), name="signup_one_holder_per_place"
            ),
            models.UniqueConstraint(
                fields=["slot", "group"],
                condition=Q(status__in=["confirmed", "waitlisted"]),
                name="signup_once_per_slot",
            ),
            models.UniqueConstraint(
                fields=["sheet", "group"],
                condition=Q(status__in=["confirmed", "waitlisted"], exclusive=True),
                name="signup_one_per_group_per_sheet",
            ),
            models.UniqueConstraint(
                fields=["offering", "paper"],
                condition=Q(status__in=["confirmed", "waitlisted"], paper__isnull=False),
                name="signup_one_group_per_paper",
            ),
            models.CheckConstraint(
                condition=Q(place__isnull=True) | Q(status="confirmed"),
                name="signup_place_only_when_confirmed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group} on {self.slot} ({self.status})"


class SwapStatus(models.TextChoices):
    PENDING = "pending", "Waiting for an answer"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"
    CANCELLED = "cancelled", "Cancelled"


class SwapRequest(models.Model):
    """Group A asks group B to exchange their confirmed places on one sheet; B accepts or declines.

    The slots are recorded when the request is made: if either sign-up is dropped, moved or swapped meanwhile,
    the request is cancelled (and an accept re-checks it under the slot locks).
    """

    sheet = models.ForeignKey(Sheet, on_delete=models.CASCADE, related_name="swap_requests")
    from_signup = models.ForeignKey(Signup, on_delete=models.CASCADE, related_name="swap_requests_made")
    to_signup = models.ForeignKey(Signup, on_delete=models.CASCADE, related_name="swap_requests_received")
    from_slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="+")
    to_slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=SwapStatus.choices, default=SwapStatus.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True, help_text="why the request was cancelled")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # A place has at most one open request at a time.
            models.UniqueConstraint(
                fields=["from_signup"], condition=Q(status="pending"), name="swap_one_open_request_per_place"
            ),
            models.CheckConstraint(
                condition=~Q(from_signup=models.F("to_signup")), name="swap_two_different_places"
            ),
        ]

    def __str__(self) -> str:
        return f"swap {self.from_signup_id} ↔ {self.to_signup_id} ({self.status})"
