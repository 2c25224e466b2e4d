"""An "Open in JupyterHub" request (one row per click, moved along its states by one Celery task), and each
JupyterHub server's run from start to stop (`HubUsage`, what the GPU quota counts)."""

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


class Profile(models.TextChoices):
    CPU = "cpu", "CPU"
    GPU = "gpu", "GPU"


class HubOpen(models.Model):
    """Start (or reuse) a student's server and place an assignment's released files in `<assignment>/` there.

    `fresh`: put new copies of the notebooks beside the existing ones instead of keeping them.  `placed` lists
    what this request wrote and what it kept (never the hidden tests or the source: only the release).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hub_opens")
    assignment = models.ForeignKey("homework.Assignment", on_delete=models.CASCADE, related_name="hub_opens")
    fresh = models.BooleanField(default=False)
    profile = models.CharField(max_length=3, choices=Profile.choices, default=Profile.CPU)
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


class UsageEnd(models.TextChoices):
    STOPPED = "stopped", "Stopped"
    REPLACED = "replaced", "Closed by the next start (the server ended without a stop)"
    RECONCILED = "reconciled", "Closed by the check against the hub (the server was gone)"


class HubUsage(models.Model):
    """One run of a user's JupyterHub server, from the spawner's start report to its stop report.

    `offering`: the offering whose GPU quota the run counts against (GPU runs; empty for CPU runs).  An open row
    (`stopped_at` empty) is a server the hub runs now; one that ended without a stop report is closed by the
    user's next start or by `hub.usage_reconcile` against the hub's API (`ended` says which).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hub_usage")
    offering = models.ForeignKey(
        "courses.Offering", on_delete=models.SET_NULL, null=True, blank=True, related_name="hub_usage"
    )
    profile = models.CharField(max_length=3, choices=Profile.choices)
    started_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    ended = models.CharField(max_length=10, choices=UsageEnd.choices, blank=True)
    gpu = models.JSONField(default=dict, blank=True, help_text="the leased GPU (index, uuid, name, slot)")

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["user", "stopped_at"])]

    def __str__(self) -> str:
        return f"{self.profile} server of {self.user_id} from {self.started_at:%Y-%m-%d %H:%M}"
