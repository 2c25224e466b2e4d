"""Reads for the course page (`/course/`): the course's facts and rules as the course file states them.

Everything shown comes from the offering (loaded from the course file): nothing about the course is written in the
template.  Rules absent from the file are left out of the page rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from courseweb.lectures.models import Session

from .models import CourseworkKind, Offering

STAFF_ROLE_LABELS = {"instructor": "Instructor", "ta": "Teaching assistant", "tutor": "Tutorial instructor"}


@dataclass(frozen=True)
class Weight:
    category: str
    label: str
    percent: float


@dataclass
class CoursePage:
    offering: Offering
    meeting: dict[str, str]
    room_changes: list[Session]
    staff: list[dict[str, str]]
    rules: dict[str, Any]
    weights: list[Weight] = field(default_factory=list)
    weights_total: float = 0.0
    weights_confirmed: bool = False


def course_page_get(*, offering: Offering) -> CoursePage:
    rules = dict(offering.rules or {})
    meeting = rules.get("meeting") or {}
    room_changes = []
    if meeting.get("room"):
        room_changes = list(
            Session.objects.filter(offering=offering).exclude(room=meeting["room"]).order_by("number")
        )
    staff = [
        {**person, "role_label": STAFF_ROLE_LABELS.get(person.get("role", ""), person.get("role", ""))}
        for person in rules.get("staff") or []
    ]
    labels = dict(CourseworkKind.choices)
    weights = [
        Weight(category, labels.get(category, category.replace("_", " ").capitalize()), float(percent))
        for category, percent in (offering.category_weights or {}).items()
    ]
    return CoursePage(
        offering=offering,
        meeting=meeting,
        room_changes=room_changes,
        staff=staff,
        rules=rules,
        weights=weights,
        weights_total=sum(w.percent for w in weights),
        weights_confirmed=bool(rules.get("weights_confirmed", False)),
    )
