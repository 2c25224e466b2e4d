"""Reads for announcements: what a visitor may see, newest first with pinned ones on top, and what is unread."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from courseweb.access.announcements import can_read_all
from courseweb.courses.models import Offering

from .models import Announcement, AnnouncementRead


def announcement_list_visible(*, offering: Offering, user: Any) -> QuerySet[Announcement]:
    """Members and staff see every announcement of the offering; anyone else only the public ones."""
    qs = Announcement.objects.filter(offering=offering).select_related("author")
    if not can_read_all(user, offering):
        qs = qs.filter(public=True)
    if user is not None and user.is_authenticated:
        qs = qs.annotate(
            is_read=Exists(AnnouncementRead.objects.filter(announcement=OuterRef("pk"), user=user))
        )
    return qs.order_by("-pinned", "-published_at", "-id")


def announcement_list_unread(*, offering: Offering, user: Any) -> list[Announcement]:
    if user is None or not user.is_authenticated:
        return []
    return [a for a in announcement_list_visible(offering=offering, user=user) if not a.is_read]


def announcement_list_public(*, offering: Offering, limit: int = 30) -> list[Announcement]:
    return list(Announcement.objects.filter(offering=offering, public=True).order_by("-published_at")[:limit])
