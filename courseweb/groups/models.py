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
