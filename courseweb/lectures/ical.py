"""The iCal feeds (RFC 5545 through the icalendar package).

`calendar_build`: the anonymous, course-wide `/schedule.ics`: sessions, events, course milestones and every
coursework deadline as the course sets it. `personal_calendar_build`: the same, but each coursework deadline is
the user's own (extensions applied, from `courseweb.homework.deadlines`). Every event carries a DTSTAMP, and
links are absolute URLs built from SITE_URL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar
from icalendar import Event as IEvent

from courseweb.courses.models import CourseworkItem, Offering
from courseweb.homework.deadlines import EffectiveDeadline, course_deadline, deadlines_for
from courseweb.homework.models import Assignment

from .selectors import event_list, session_list


def _url(site_url: str, path: str) -> str:
    return f"{site_url.rstrip('/')}{path}"


def _item_path(item: CourseworkItem, keys: dict[int, str]) -> str:
    if item.pk in keys:
        return reverse("homework:assignment", args=[keys[item.pk]])
    return reverse("homework:item", args=[item.slug])


def _calendar(*, offering: Offering, site_url: str, name: str, stamp: datetime) -> Calendar:
    cal = Calendar()
    cal.add("prodid", "-//DOTE 6635 course site//schedule//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", offering.timezone)
    for s in session_list(offering=offering):
        ev = IEvent()
        ev.add("uid", f"session-{offering.slug}-{s.number}@dote6635")
        ev.add("dtstamp", stamp)
        ev.add("summary", f"{offering.code} session {s.number}: {s.topic}")
        ev.add("dtstart", s.starts_at)
        ev.add("dtend", s.ends_at)
        ev.add("location", s.room)
        ev.add("url", _url(site_url, reverse("session_detail", args=[s.number])))
        cal.add_component(ev)
    for e in event_list(offering=offering):
        ev = IEvent()
        ev.add("uid", f"event-{offering.slug}-{e.key}@dote6635")
        ev.add("dtstamp", stamp)
        ev.add("summary", e.title)
        ev.add("dtstart", e.starts_at)
        ev.add("dtend", e.ends_at)
        ev.add("location", e.location)
        cal.add_component(ev)
    # Milestones that are not a coursework item's due time (those come from the items below).
    for d in offering.deadlines.filter(coursework__isnull=True):
        ev = IEvent()
        ev.add("uid", f"deadline-{offering.slug}-{d.key}@dote6635")
        ev.add("dtstamp", stamp)
        ev.add("summary", f"Deadline: {d.title}")
        ev.add("dtstart", d.due_at)
        ev.add("dtend", d.due_at)
        if d.url:
            ev.add("url", _url(site_url, d.url) if d.url.startswith("/") else d.url)
        cal.add_component(ev)
    return cal


def _add_due(
    cal: Calendar, *, offering: Offering, item: CourseworkItem, deadline: EffectiveDeadline, url: str,
    stamp: datetime, personal: bool,
) -> None:  # fmt: skip
    if deadline.due_at is None:
        return
    ev = IEvent()
    ev.add("uid", f"due-{offering.slug}-{item.slug}{'-mine' if personal else ''}@dote6635")
    ev.add("dtstamp", stamp)
    ev.add("summary", f"Due: {item.title}")
    ev.add("dtstart", deadline.due_at)
    ev.add("dtend", deadline.due_at)
    ev.add("url", url)
    description = [f"Due time: {deadline.source}."]
    if deadline.cutoff_at is not None:
        cutoff = timezone.localtime(deadline.cutoff_at).strftime("%Y-%m-%d %H:%M")
        description.append(f"Submissions close {cutoff} (Hong Kong time).")
    ev.add("description", " ".join(description))
    cal.add_component(ev)


def _items(offering: Offering) -> tuple[list[CourseworkItem], dict[int, str]]:
    items = list(CourseworkItem.objects.filter(offering=offering).order_by("due_at", "title"))
    keys = dict(Assignment.objects.filter(offering=offering).values_list("item_id", "key"))
    return items, keys


def calendar_build(*, offering: Offering, site_url: str, now: datetime | None = None) -> bytes:
    """The course-wide calendar: every deadline as the course sets it (no one's extension)."""
    stamp = now or timezone.now()
    cal = _calendar(
        offering=offering, site_url=site_url, name=f"{offering.code} {offering.season}", stamp=stamp
    )
    items, keys = _items(offering)
    assignments = {a.item_id: a for a in Assignment.objects.filter(offering=offering)}
    for item in items:
        deadline = course_deadline(item=item, assignment=assignments.get(item.pk))
        _add_due(
            cal, offering=offering, item=item, deadline=deadline,
            url=_url(site_url, _item_path(item, keys)), stamp=stamp, personal=False,
        )  # fmt: skip
    return cal.to_ical()


def personal_calendar_build(
    *, offering: Offering, user: Any, site_url: str, now: datetime | None = None
) -> bytes:
    """One user's calendar: the course's sessions and events and their own deadlines, extensions applied."""
    stamp = now or timezone.now()
    name = f"{offering.code} {offering.season}: {user.name}"
    cal = _calendar(offering=offering, site_url=site_url, name=name, stamp=stamp)
    items, keys = _items(offering)
    own = deadlines_for(offering=offering, items=items, users=[user])
    for item in items:
        _add_due(
            cal, offering=offering, item=item, deadline=own[(item.pk, user.pk)],
            url=_url(site_url, _item_path(item, keys)), stamp=stamp, personal=True,
        )  # fmt: skip
    return cal.to_ical()
