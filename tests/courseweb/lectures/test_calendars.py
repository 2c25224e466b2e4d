"""Calendars: /schedule.ics course-wide with every deadline and a DTSTAMP, URLs from SITE_URL; a personal,
secret, revocable calendar per user with their own deadlines."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from courseweb.courses.models import Deadline, Role
from courseweb.homework.models import Extension
from courseweb.lectures.models import CalendarToken
from tests.factories import (
    CourseworkItemFactory,
    EnrollmentFactory,
    MembershipFactory,
    OfferingFactory,
    SessionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
REPO = Path(__file__).resolve().parents[3]
DAY = dt.timedelta(days=1)
SITE = "http://127.0.0.1:8765"


@pytest.fixture
def course(settings):
    settings.SITE_URL = SITE
    now = timezone.now().replace(microsecond=0)  # iCal times have whole seconds
    offering = OfferingFactory()
    SessionFactory(offering=offering, number=1)
    homework = CourseworkItemFactory(offering=offering, slug="hw1", title="Homework 1", due_at=now + 3 * DAY)
    proposal = CourseworkItemFactory(
        offering=offering, kind="project", slug="proposal", title="Project proposal", category="project",
        due_at=now + 10 * DAY,
    )  # fmt: skip
    Deadline.objects.create(offering=offering, key="groups", title="Group registration closes",
                            due_at=timezone.now() + DAY)  # fmt: skip
    student = UserFactory(display_name="Carol")
    EnrollmentFactory(user=student, offering=offering, role=Role.STUDENT)
    group = MembershipFactory(user=student, group__offering=offering, group__name="Team C").group
    ext = Extension.objects.create(item=homework, group=group, due_at=homework.due_at + 4 * DAY)
    return {"offering": offering, "homework": homework, "proposal": proposal, "student": student, "ext": ext}


def _events(body: bytes) -> list:
    return list(Calendar.from_ical(body).walk("VEVENT"))


def _due(events: list, title: str) -> dt.datetime:
    event = next(e for e in events if title in str(e["summary"]))
    return event.decoded("dtstart")


def test_schedule_ics_has_coursework_deadlines_dtstamp_and_site_urls(client, course):
    """Defect 8: no homework or coursework deadlines, no DTSTAMP, links to port 8000 on any port."""
    response = client.get("/schedule.ics")
    events = _events(response.content)
    assert _due(events, "Homework 1") == course["homework"].due_at  # as the course sets it, no extension
    assert _due(events, "Project proposal") == course["proposal"].due_at
    assert any("Group registration closes" in str(e["summary"]) for e in events)
    assert all("DTSTAMP" in e for e in events)
    urls = [str(e["url"]) for e in events if "url" in e]
    assert urls and all(u.startswith(SITE + "/") for u in urls)
    assert f"{SITE}/homework/items/hw1/" in urls and f"{SITE}/homework/items/proposal/" in urls
    assert b":8000" not in response.content


def test_personal_calendar_has_the_users_own_deadlines(client, course):
    client.force_login(course["student"])
    page = client.get(reverse("calendar_page"))
    assert page.status_code == 200 and 'id="feed-url"' not in page.content.decode()  # none yet
    client.post(reverse("calendar_regenerate"))
    token = CalendarToken.objects.get(user=course["student"]).token
    page = client.get(reverse("calendar_page")).content.decode()
    assert f"{SITE}/calendar/{token}.ics" in page
    client.logout()  # calendar apps fetch it without logging in
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    events = _events(response.content)
    assert _due(events, "Homework 1") == course["ext"].due_at
    assert _due(events, "Project proposal") == course["proposal"].due_at
    assert all("DTSTAMP" in e for e in events)


def test_regenerating_stops_the_old_url_and_revoking_stops_every_url(client, course):
    client.force_login(course["student"])
    client.post(reverse("calendar_regenerate"))
    old = CalendarToken.objects.get().token
    client.post(reverse("calendar_regenerate"))
    new = CalendarToken.objects.get().token
    assert new != old
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{new}.ics").status_code == 200
    client.post(reverse("calendar_revoke"))
    assert client.get(f"/calendar/{new}.ics").status_code == 404
    assert not CalendarToken.objects.exists()


def test_schedule_page_links_the_personal_calendar(client, course):
    client.force_login(course["student"])
    page = client.get(reverse("schedule")).content.decode()
    assert f'href="{reverse("calendar_page")}"' in page and 'href="/schedule.ics"' in page


def test_make_run_derives_site_url_from_port_unless_set():
    script = REPO / "bin" / "run-dev"
    lines = script.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("HOST="))
    end = next(i for i, line in enumerate(lines) if line.startswith("export SITE_URL"))
    snippet = "\n".join(lines[start : end + 1]) + '\necho "$SITE_URL"'
    env = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "HOST", "PORT")}
    out = subprocess.run(["bash", "-c", snippet], env={**env, "PORT": "8765"}, capture_output=True, text=True)
    assert out.stdout.strip() == "http://127.0.0.1:8765"
    env["SITE_URL"] = "https://course.example.edu"
    out = subprocess.run(["bash", "-c", snippet], env={**env, "PORT": "8765"}, capture_output=True, text=True)
    assert out.stdout.strip() == "https://course.example.edu"
