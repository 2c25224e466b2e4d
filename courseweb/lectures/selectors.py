"""Reads about the schedule: sessions, their materials and other events."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from courseweb.courses.models import Offering

from .models import Event, Material, Session


def session_list(*, offering: Offering) -> QuerySet[Session]:
    return (
        Session.objects.filter(offering=offering)
        .select_related("scribing_group")
        .prefetch_related(Prefetch("materials", queryset=Material.objects.order_by("kind", "position", "id")))
        .order_by("number")
    )


def session_list_annotated(*, offering: Offering) -> list[Session]:
    """Sessions with `room_changed` set where the room differs from the offering's usual room."""
    sessions = list(session_list(offering=offering))
    rooms = Counter(s.room for s in sessions)
    usual = rooms.most_common(1)[0][0] if rooms else ""
    for s in sessions:
        s.room_changed = s.room != usual
    return sessions


def session_get(*, offering: Offering, number: int) -> Session:
    return get_object_or_404(session_list(offering=offering), number=number)


def session_this_week(*, offering: Offering, now: datetime | None = None) -> Session | None:
    """The next session that has not ended, if it is within the coming week; else the most recent past one."""
    now = now or timezone.now()
    upcoming = session_list(offering=offering).filter(ends_at__gte=now).first()
    if upcoming and upcoming.starts_at - now <= timedelta(days=7):
        return upcoming
    past = session_list(offering=offering).filter(ends_at__lt=now).order_by("-number").first()
    return past if past and not upcoming else upcoming


def event_list(*, offering: Offering) -> QuerySet[Event]:
    return Event.objects.filter(offering=offering).order_by("starts_at")


def session_notes_page(*, session: Session):
    """The published notes page of the session (a BookPage), or None."""
    from courseweb.notes.selectors import note_page_for_session

    return note_page_for_session(session=session)
