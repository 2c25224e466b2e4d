"""Site-wide operational records: worker heartbeats read by /healthz and the staff status page."""

from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    hostname = models.CharField(max_length=200, unique=True)
    queues = models.CharField(max_length=200, blank=True)
    pid = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-seen_at"]

    def __str__(self) -> str:
        return self.hostname
