"""An "Open in JupyterHub" request: one row per click, moved along its states by one Celery task."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class OpenState(models.TextChoices):
    QUEUED = "queued", "Queued"
    STARTING = "starting", "Starting your server"
    COPYING = "copying", "Placing the homework"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"


FINAL_STATES = (OpenState.DONE, OpenState.FAILED)


class HubOpen(models.Model):
    """Start (or reuse) a student's server and place an assignment's released files in `<assignment>/` there.

    `fresh`: put new copies of the notebooks beside the existing ones instead of keeping them.  `placed` lists
    what this request wrote and what it kept (never the hidden tests or the source: only the release).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hub_opens")
    assignment = models.ForeignKey("homework.Assignment", on_delete=models.CASCADE, related_name="hub_opens")
    fresh = models.BooleanField(default=False)
    state = models.CharField(max_length=8, choices=OpenState.choices, default=OpenState.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    events = models.JSONField(default=list, help_text="states with timestamps")
    placed = models.JSONField(default=list, blank=True, help_text="[{path, action: written|kept}]")
    open_path = models.CharField(max_length=500, blank=True, help_text="the notebook to open in JupyterLab")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"open {self.assignment_id} for {self.user_id} ({self.state})"

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES
