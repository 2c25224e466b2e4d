"""Deadline rules in one place: due times, extensions, the hard cut-off and the late penalty.

Plain functions over plain values (no queries): the submission service and the gradebook share them, so a
deadline that moves (an extension, an edited due time) changes penalties everywhere at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

HKT = ZoneInfo("Asia/Hong_Kong")
DEFAULT_DUE_DAYS = 14
DEFAULT_DUE_TIME = time(9, 30)
DEFAULT_CUTOFF_DAYS = 7.0
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Deadline:
    """The effective due time (extension applied), the cut-off and the late rule of one owner's work."""

    due_at: datetime | None
    cutoff_at: datetime | None
    policy: str
    late_percent: float

    def is_late(self, *, at: datetime) -> bool:
        return self.due_at is not None and at > self.due_at

    def is_closed(self, *, at: datetime) -> bool:
        return self.cutoff_at is not None and at > self.cutoff_at

    def penalty_fraction(self, *, at: datetime) -> float:
        """The share of the score lost by work handed in at `at` (0 on time, 1 for everything)."""
        if not self.is_late(at=at):
            return 0.0
        if self.policy == "zero":
            return 1.0
        if self.policy == "percent_per_day":
            assert self.due_at is not None
            started_days = math.ceil((at - self.due_at) / DAY)
            return min(1.0, started_days * self.late_percent / 100.0)
        return 0.0


def default_due(
    *, released_at: datetime, days: int = DEFAULT_DUE_DAYS, at: time = DEFAULT_DUE_TIME
) -> datetime:
    """`days` after release, at `at` Hong Kong time (the course's rule: two weeks, 09:30)."""
    day = released_at.astimezone(HKT).date() + timedelta(days=days)
    return datetime.combine(day, at, tzinfo=HKT)


def deadline_for(
    *,
    due_at: datetime | None,
    extension_due_at: datetime | None,
    cutoff_days: float,
    policy: str,
    late_percent: float,
) -> Deadline:
    """The owner's deadline: an extension replaces the due time, and the cut-off moves with it."""
    effective = extension_due_at or due_at
    if effective is not None and due_at is not None and extension_due_at is not None:
        effective = max(due_at, extension_due_at)
    cutoff = effective + timedelta(days=cutoff_days) if effective is not None else None
    return Deadline(due_at=effective, cutoff_at=cutoff, policy=policy, late_percent=late_percent)


def apply_penalty(*, score: float, fraction: float) -> float:
    return round(max(0.0, score * (1.0 - fraction)), 4)
