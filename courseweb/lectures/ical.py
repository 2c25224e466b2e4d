"""The iCal feed of sessions, events and deadlines (RFC 5545 through the icalendar package)."""

from __future__ import annotations

from icalendar import Calendar
from icalendar import Event as IEvent

from courseweb.courses.models import Offering

from .selectors import event_list, session_list


def calendar_build(*, offering: Offering, site_url: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//DOTE 6635 course site//schedule//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{offering.code} {offering.season}")
    cal.add("x-wr-timezone", offering.timezone)
    for s in session_list(offering=offering):
        ev = IEvent()
        ev.add("uid", f"session-{offering.slug}-{s.number}@dote6635")
        ev.add("summary", f"{offering.code} session {s.number}: {s.topic}")
        ev.add("dtstart", s.starts_at)
        ev.add("dtend", s.ends_at)
        ev.add("location", s.room)
        ev.add("url", f"{site_url.rstrip('/')}/schedule/{s.number}/")
        cal.add_component(ev)
    for e in event_list(offering=offering):
        ev = IEvent()
        ev.add("uid", f"event-{offering.slug}-{e.key}@dote6635")
        ev.add("summary", e.title)
        ev.add("dtstart", e.starts_at)
        ev.add("dtend", e.ends_at)
        ev.add("location", e.location)
        cal.add_component(ev)
    for d in offering.deadlines.all():
        ev = IEvent()
        ev.add("uid", f"deadline-{offering.slug}-{d.key}@dote6635")
        ev.add("summary", f"Deadline: {d.title}")
        ev.add("dtstart", d.due_at)
        ev.add("dtend", d.due_at)
        cal.add_component(ev)
    return cal.to_ical()
