"""Deadline rules in one place: due times, extensions, the hard cut-off and the late penalty.

Plain functions over plain values (no queries): the submission service and the gradebook share them, so a
deadline that moves (an extension, an edited due time) changes penalties everywhere at once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
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
    cutoff_days: float | None,
    policy: str,
    late_percent: float,
) -> Deadline:
    """The owner's deadline: an extension replaces the due time, and the cut-off moves with it.

    `cutoff_days=None` means no hard cut-off (hand-ins that are not notebooks).
    """
    effective = extension_due_at or due_at
    if effective is not None and due_at is not None and extension_due_at is not None:
        effective = max(due_at, extension_due_at)
    cutoff = (
        effective + timedelta(days=cutoff_days) if effective is not None and cutoff_days is not None else None
    )
    return Deadline(due_at=effective, cutoff_at=cutoff, policy=policy, late_percent=late_percent)


def apply_penalty(*, score: float, fraction: float) -> float:
    return round(max(0.0, score * (1.0 - fraction)), 4)


@dataclass(frozen=True)
class Grant:
    """One extension as plain values: `key` identifies the row, `owner_name` is the group's or student's name."""

    key: Any
    due_at: datetime
    group_id: int | None
    user_id: int | None
    granted_at: datetime
    owner_name: str


COURSE_SOURCE = "course deadline"


def grant_choice(
    *,
    course_due_at: datetime | None,
    user_id: int,
    group_id: int | None,
    group_name: str = "",
    joined_at: Mapping[int, datetime] | None = None,
    grants: Iterable[Grant],
) -> tuple[Grant | None, str]:
    """Which extension sets a user's deadline for one item, and a readable sentence saying where it comes from.

    A group's deadline is the latest of the course's due time, the group's own extension and each member's
    personal extension granted before that member joined the group (`joined_at`: member id -> join time); a
    student without a group keeps their own extension. Returns (None, "course deadline") when no extension
    moves the due time later. The one rule behind both the single and the bulk look-up.
    """
    grants = list(grants)
    if group_id is None:
        candidates = [g for g in grants if g.group_id is None and g.user_id == user_id]
    else:
        joined = joined_at or {}
        candidates = [g for g in grants if g.group_id == group_id] + [
            g
            for g in grants
            if g.group_id is None and g.user_id in joined and g.granted_at <= joined[g.user_id]
        ]
    best = max(candidates, key=lambda g: (g.due_at, g.granted_at), default=None)
    if best is None or (course_due_at is not None and best.due_at <= course_due_at):
        return None, COURSE_SOURCE
    if best.group_id is not None:
        return best, f"extension for group {group_name or best.owner_name}"
    if group_id is None:
        return best, f"{best.owner_name}'s own extension"
    return best, f"{best.owner_name}'s own extension (granted before joining {group_name or 'the group'})"
