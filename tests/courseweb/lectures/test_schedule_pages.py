"""Schedule, session page and iCal feed show Hong Kong times; the home page shows this week and deadlines."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.management import call_command
from icalendar import Calendar

from courseweb.courses.models import Role
from tests.factories import EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    call_command("load_course", str(settings.COURSE_FILE), verbosity=0)


def test_schedule_lists_13_sessions_in_hong_kong_time(client, course):
    html = client.get("/schedule/").content.decode()
    assert html.count('<tr id="session-') == 13
    assert "Tue 6 Jan 2026" in html and "09:30–12:15" in html
    assert "01:30" not in html  # UTC must never leak into the page
    row8 = html.split('id="session-8"')[1].split("</tr>")[0]
    assert "CYT LT5" in row8 and "Tue 3 Mar 2026" in row8


def test_session_page_shows_room_and_time(client, course):
    user = UserFactory()
    from courseweb.courses.selectors import offering_current

    EnrollmentFactory(user=user, offering=offering_current(), role=Role.STUDENT)
    client.force_login(user)
    html = client.get("/schedule/8/").content.decode()
    assert "CYT LT5" in html and "Tuesday 3 March 2026" in html and "09:30–12:15 HKT" in html


def test_ical_feed_has_sessions_events_and_deadlines(client, course):
    response = client.get("/schedule.ics")
    assert response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    events = list(cal.walk("VEVENT"))
    summaries = [str(e["summary"]) for e in events]
    assert sum(s.startswith("DOTE 6635 session") for s in summaries) == 13
    assert any("tutorial" in s.lower() for s in summaries)
    assert "Deadline: Group registration closes" in summaries
    session8 = next(e for e in events if str(e["uid"]).startswith("session-s26-8@"))
    assert session8.decoded("dtstart").astimezone(dt.UTC) == dt.datetime(2026, 3, 3, 1, 30, tzinfo=dt.UTC)
    assert str(session8["location"]) == "CYT LT5"


def test_home_shows_this_weeks_session_and_next_deadlines(client, course, settings):
    from unittest import mock

    fake_now = dt.datetime(2026, 1, 5, 4, 0, tzinfo=dt.UTC)  # Monday before the first class
    with mock.patch("django.utils.timezone.now", return_value=fake_now):
        html = client.get("/").content.decode()
    assert "Session 1: Introduction to Supervised Learning" in html
    assert "Group registration closes" in html and "Wed 7 Jan, 23:59 HKT" in html
