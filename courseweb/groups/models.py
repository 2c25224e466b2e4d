"""Groups of one or two students per offering; the flows (invitations, auto-match) live in services."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Group(models.Model):
    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(max_length=80)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["offering", "name"], name="unique_group_name")]
        ordering = ["offering", "name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="+")
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # One group per student per offering, enforced by the database.
            models.UniqueConstraint(fields=["offering", "user"], name="one_group_per_student"),
        ]
        ordering = ["group", "joined_at"]

    def __str__(self) -> str:
        return f"{self.user} in {self.group}"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    CANCELLED = "cancelled", "Cancelled"


class Invitation(models.Model):
    """A member's invitation to one classmate's account; nobody joins a group without accepting one."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="invitations")
    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="+")
    invitee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_invitations"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["group", "invitee"],
                condition=models.Q(status="pending"),
                name="one_pending_invitation_per_invitee",
            )
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.invitee} to {self.group} ({self.status})"


class AuditAction(models.TextChoices):
    GROUP_CREATED = "group_created", "Group created"
    GROUP_DELETED = "group_deleted", "Group deleted"
    INVITED = "invited", "Invitation sent"
    INVITE_ACCEPTED = "invite_accepted", "Invitation accepted"
    INVITE_DECLINED = "invite_declined", "Invitation declined"
    INVITE_CANCELLED = "invite_cancelled", "Invitation cancelled"
    LEFT = "left", "Left group"
    STAFF_MOVED = "staff_moved", "Moved by staff"
    STAFF_CREATED = "staff_created", "Group created by staff"
    AUTOMATCHED = "automatched", "Auto-matched"
    SIGNUP = "signup", "Sign-up change"


class AuditEntry(models.Model):
    """One change to groups or sign-ups, shown to staff; `message` is a readable sentence written at the time."""

    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.CharField(max_length=500)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return self.message
