"""Reads of the hub app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.utils import timezone

from courseweb.hub.models import HubOpen, OpenState


def hub_opened_before(*, user: Any, assignment: Any) -> bool:
    return HubOpen.objects.filter(user=user, assignment=assignment, state=OpenState.DONE).exists()


def open_events(*, row: HubOpen) -> list[tuple[str, datetime]]:
    """(state label, when) of each step the request went through."""
    return [(OpenState(e["state"]).label, datetime.fromisoformat(e["at"])) for e in row.events]


def hub_lab_url(*, open_path: str) -> str:
    """JupyterLab at the placed notebook, through the hub (which logs the user in through the site)."""
    return f"{settings.HUB_URL}/hub/user-redirect/lab/tree/{quote(open_path)}"


# ----- GPU quota and usage -----


@dataclass(frozen=True)
class GpuAllowance:
    """What a user's course allows on JupyterHub: GPU servers for `quota_hours` GPU hours (0: none), of which
    `used_hours` are used (running servers counted up to `at`)."""

    offering: Any
    quota_hours: float
    used_hours: float

    @property
    def allowed(self) -> bool:
        return self.quota_hours > 0

    @property
    def left_hours(self) -> float:
        return max(0.0, self.quota_hours - self.used_hours)

    @property
    def may_start(self) -> bool:
        return self.allowed and self.left_hours > 0

    def as_json(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "offering": self.offering.slug if self.offering else "",
            "quota_hours": self.quota_hours,
            "used_hours": round(self.used_hours, 4),
            "left_hours": round(self.left_hours, 4),
        }


def offering_gpu_hours(*, offering: Any) -> float:
    """The course file's `rules.gpu_hours_per_student` (0: no GPU servers)."""
    return float((offering.rules or {}).get("gpu_hours_per_student") or 0)


def _hours(rows: Any, at: datetime) -> float:
    return sum(((r.stopped_at or at) - r.started_at).total_seconds() for r in rows) / 3600


def gpu_allowance(*, user: Any, at: datetime | None = None) -> GpuAllowance:
    """The user's GPU allowance: from the offering they are enrolled in that offers GPU hours (the current one
    first), with the GPU hours their servers used in it."""
    from courseweb.courses.models import Offering
    from courseweb.hub.models import HubUsage, Profile

    at = at or timezone.now()
    offerings = Offering.objects.filter(enrollments__user=user).order_by("-is_current", "-id")
    offering = next((o for o in offerings if offering_gpu_hours(offering=o) > 0), None)
    if offering is None:
        return GpuAllowance(offering=None, quota_hours=0.0, used_hours=0.0)
    rows = HubUsage.objects.filter(user=user, offering=offering, profile=Profile.GPU).only(
        "started_at", "stopped_at"
    )
    return GpuAllowance(
        offering=offering, quota_hours=offering_gpu_hours(offering=offering), used_hours=_hours(rows, at)
    )


@dataclass(frozen=True)
class UsageRow:
    user: Any
    gpu_hours: float
    cpu_hours: float
    left_hours: float
    running: Any  # the open HubUsage row, or None


def usage_table(*, offering: Any, at: datetime | None = None) -> list[UsageRow]:
    """Each student of the offering with the hours their JupyterHub servers ran (GPU hours counted against the
    offering's quota) and the server running now; two queries whatever the number of students."""
    from courseweb.courses.models import Enrollment, Role
    from courseweb.hub.models import HubUsage, Profile

    at = at or timezone.now()
    quota = offering_gpu_hours(offering=offering)
    students = [
        e.user
        for e in Enrollment.objects.filter(offering=offering, role=Role.STUDENT)
        .select_related("user")
        .order_by("user__display_name", "user__username")
    ]
    by_user: dict[int, list] = {}
    for row in HubUsage.objects.filter(user__in=[u.pk for u in students]).order_by("started_at"):
        by_user.setdefault(row.user_id, []).append(row)
    table = []
    for user in students:
        rows = by_user.get(user.pk, [])
        gpu = _hours([r for r in rows if r.profile == Profile.GPU and r.offering_id == offering.pk], at)
        cpu = _hours([r for r in rows if r.profile == Profile.CPU], at)
        running = next((r for r in reversed(rows) if r.stopped_at is None), None)
        table.append(
            UsageRow(
                user=user, gpu_hours=gpu, cpu_hours=cpu, left_hours=max(0.0, quota - gpu), running=running
            )
        )
    return table
