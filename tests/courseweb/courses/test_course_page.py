"""The course page: meetings, staff, the course's rules and the grading weights, all from the course file."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse

from courseweb.courses.course_file import CourseFileError, course_file_parse
from courseweb.courses.models import Offering

pytestmark = pytest.mark.django_db


def _load_s26() -> Offering:
    call_command("load_course", str(settings.COURSE_FILE), stdout=StringIO())
    return Offering.objects.get(slug="s26")


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_course_page_states_the_spring_2026_rules(client):
    _load_s26()
    response = client.get(reverse("course"))
    assert response.status_code == 200
    text = _text(response.content.decode())
    assert "Tuesdays, 09:30–12:15 Hong Kong time, room CYT 209A." in text
    assert "Session 8 (Tue 3 Mar) meets in room CYT LT5." in text
    assert "Renyu (Philip) Zhang , instructor" in text and "Office hours: By appointment" in text
    assert "Ignis Jiang , teaching assistant" in text
    assert "groups of at most 2 students" in text and "Wed 7 Jan 2026, 23:59" in text
    assert "each student rates their buddy's contribution" in text
    assert "every week; each is due 14 days after it comes out, at 09:30 Hong Kong time" in text
    assert "best 5 homework assignments count" in text
    assert "loses 10% of its score for each day" in text and "Uploads close 7 days after the deadline" in text
    assert "done in Python" in text and "FBA/DOT GPU server" in text
    assert "last 30 minutes of a session" in text


def test_grading_weights_are_provisional_until_confirmed(client, tmp_path):
    _load_s26()
    page = client.get(reverse("course")).content.decode()
    grading = _text(page[page.index('id="grading"') :])
    assert "Provisional." in grading
    for label, share in (("Homework", 30), ("Lecture-note scribing", 15),
                         ("Paper replication and presentation", 25), ("Final project", 30)):  # fmt: skip
        assert f"{label} {share}%" in grading
    assert "Total 100%" in grading
    confirmed = tmp_path / "confirmed.yaml"
    confirmed.write_text(
        settings.COURSE_FILE.read_text().replace("weights_confirmed: false", "weights_confirmed: true")
    )
    call_command("load_course", str(confirmed), stdout=StringIO())
    page = client.get(reverse("course")).content.decode()
    assert "Provisional" not in page and "Total 100%" in _text(page)


def test_home_and_schedule_use_the_course_files_meeting_time(client):
    _load_s26()
    assert "Tuesdays 09:30–12:15, CYT 209A" in client.get(reverse("home")).content.decode()
    assert "Tuesdays 09:30–12:15 Hong Kong time" in client.get(reverse("schedule")).content.decode()


def test_course_page_is_in_the_main_navigation(client):
    _load_s26()
    nav = client.get(reverse("schedule")).content.decode()
    nav = nav[nav.index('<nav aria-label="Main"') : nav.index("</nav>")]
    assert f'href="{reverse("course")}"' in nav


@pytest.mark.parametrize(
    ("original", "broken", "message"),
    [
        ("role: ta,", "role: janitor,", "staff[1].role: expected one of instructor, ta, tutor"),
        (
            "email: ignisjiang@cuhk.edu.hk",
            "email: not-an-address",
            "staff[1].email: expected an e-mail address",
        ),
        ("buddy_evaluation: true", "buddy_evaluation: often", "rules.buddy_evaluation: expected bool"),
        (
            "homework_release_days: 7",
            "homework_release_days: 0",
            "rules.homework_release_days: must be at least 1",
        ),
        ("penalty: percent_per_day", "penalty: sometimes", "rules.late_policy.penalty: expected one of"),
        ("percent: 10,", "percent: 150,", "rules.late_policy.percent: must be between 0 and 100"),
        (
            'homework_due_time: "09:30"',
            'homework_due_time: "noon"',
            "rules.homework_due_time: expected a time",
        ),
        ("language: Python", "language: [Python]", "rules.language: expected str"),
        ("weights_confirmed: false", "weights_confirmed: maybe", "rules.weights_confirmed: expected bool"),
    ],
)
def test_malformed_course_page_fields_are_rejected_naming_the_place(original, broken, message):
    text = settings.COURSE_FILE.read_text()
    assert original in text
    with pytest.raises(CourseFileError) as err:
        course_file_parse(text=text.replace(original, broken, 1), source="s26.yaml")
    assert message in str(err.value)


def test_a_rejected_file_changes_nothing_on_the_course_page(client, tmp_path):
    _load_s26()
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        settings.COURSE_FILE.read_text()
        .replace("language: Python", "language: Julia")
        .replace("role: ta,", "role: x,")
    )
    with pytest.raises(CommandError):
        call_command("load_course", str(bad), stdout=StringIO())
    text = _text(client.get(reverse("course")).content.decode())
    assert "done in Python" in text and "Julia" not in text


def test_the_demo_course_file_states_the_same_rules():
    import datetime as dt

    from courseweb.core.demo import demo_course_text

    course = course_file_parse(text=demo_course_text(today=dt.date(2026, 12, 6)), source="demo")
    rules = course.rules
    assert rules["meeting"]["start"] == "09:30" and rules["meeting"]["room"] == "CYT 209A"
    assert {p.role for p in course.staff} == {"instructor", "ta"}
    assert rules["buddy_evaluation"] is True and rules["language"] == "Python"
    assert rules["late_policy"]["penalty"] == "percent_per_day" and rules["weights_confirmed"] is False
