"""Reads about offerings, enrollments and deadlines."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from .models import Deadline, Enrollment, Offering


def offering_current() -> Offering | None:
    """The offering marked current, or the most recent one."""
    return Offering.objects.filter(is_current=True).first() or Offering.objects.order_by("-id").first()


def offering_get(*, slug: str) -> Offering:
    return Offering.objects.get(slug=slug)


def deadline_list_upcoming(
    *, offering: Offering, now: datetime | None = None, limit: int = 5
) -> list[Deadline]:
    now = now or timezone.now()
    return list(offering.deadlines.filter(due_at__gte=now).select_related("coursework")[:limit])


def enrollment_list(*, offering: Offering, role: str | None = None) -> QuerySet[Enrollment]:
    qs = Enrollment.objects.filter(offering=offering).select_related("user")
    return qs.filter(role=role) if role else qs
