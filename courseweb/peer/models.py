"""Peer contribution evaluations: one per group and coursework item, opened at the group's own deadline for the
members of that moment; each member's answer; and the staff's per-item switches (grade adjustment, release of
the comments meant for the buddy)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class PeerEvaluation(models.Model):
    offering = models.ForeignKey("courses.Offering", on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(
        "courses.CourseworkItem", on_delete=models.CASCADE, related_name="peer_evaluations"
    )
    group = models.ForeignKey(
        "groups.Group", null=True, blank=True, on_delete=models.SET_NULL, related_name="peer_evaluations"
    )
    group_name = models.CharField(max_length=80)
    member_ids = models.JSONField(default=list)  # user ids in the group when the evaluation opened
    left_ids = models.JSONField(default=list, blank=True)  # of those, who left the group while it was open
    opens_at = models.DateTimeField()  # the group's own deadline for the item
    closes_at = models.DateTimeField()
    notified_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "group"], name="one_peer_evaluation_per_group")
        ]
        ordering = ["opens_at", "group_name"]

    def __str__(self) -> str:
        return f"{self.group_name}: {self.item}"

    @property
    def raters(self) -> list[int]:
        return [m for m in self.member_ids if m not in self.left_ids]

    def is_open(self, *, at) -> bool:
        return self.opens_at <= at < self.closes_at


class PeerResponse(models.Model):
    evaluation = models.ForeignKey(PeerEvaluation, on_delete=models.CASCADE, related_name="responses")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    points = models.JSONField(default=dict)  # str(user id) -> points, the rater's own share included
    staff_comment = models.TextField(blank=True, max_length=2000)
    buddy_comment = models.TextField(blank=True, max_length=2000)
    submitted_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["evaluation", "rater"], name="one_peer_response")]

    def __str__(self) -> str:
        return f"{self.rater} on {self.evaluation}"


class PeerItemSetting(models.Model):
    item = models.OneToOneField(
        "courses.CourseworkItem", on_delete=models.CASCADE, related_name="peer_setting"
    )
    adjust_grades = models.BooleanField(default=False)
    comments_released_at = models.DateTimeField(null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.item}: adjust={self.adjust_grades}"
