"""No rule of the course appears in a template as a literal.

Load a course file, change its meeting time, rooms, staff and rules, load it again, and check that no page the URL
resolver reaches (GET, as a student and as staff) still shows an old value.  Every value is unusual on purpose, so
that a page showing it can only have it from the first file or from a template that hard-codes it.
"""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from courseweb.announcements.services import announcement_post
from courseweb.courses.models import Offering, Role
from tests.factories import EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db

FIRST = {
    "weekday_offset": 2,  # sessions on Wednesdays
    "start": "08:05", "end": "10:50", "room": "QX 404", "other_room": "QX LT7",
    "instructor": "Zelda Quux", "office": "QX 911", "office_hours": "Mondays after class in the atrium",
    "ta": "Yorick Plumb", "deadline": "2026-01-08 22:10",
    "group": 3, "release": 6, "count": 4, "due_days": 11, "due_time": "08:35", "late": 37, "cutoff": 9,
    "presentation": 23, "language": "Fortran", "computing": "Abacus cluster",
    "weights": {"homework": 41, "scribing": 19, "replication": 17, "project": 23}, "confirmed": False,
}  # fmt: skip
SECOND = {
    "weekday_offset": 3,  # Thursdays
    "start": "13:20", "end": "16:05", "room": "ZY 505", "other_room": "ZY LT8",
    "instructor": "Wanda Vole", "office": "ZY 123", "office_hours": "Fridays on request",
    "ta": "Xavier Nutt", "deadline": "2026-01-12 21:40",
    "group": 5, "release": 8, "count": 7, "due_days": 12, "due_time": "13:45", "late": 44, "cutoff": 10,
    "presentation": 29, "language": "Haskell", "computing": "Slide-rule farm",
    "weights": {"homework": 42, "scribing": 18, "replication": 16, "project": 24}, "confirmed": True,
}  # fmt: skip
# Shown anywhere on the site: none of these may survive the reload.
OLD_TEXT = ["08:05", "10:50", "QX 404", "QX LT7", "Zelda Quux", "QX 911", "Mondays after class", "Yorick Plumb",
            "08:35", "Fortran", "Abacus cluster", "Wednesdays"]  # fmt: skip
# Shown on the course page's rules and grading sections: no old number may survive there.
OLD_NUMBERS = {3, 6, 4, 11, 37, 9, 23, 41, 19, 17}


def _course_file(v: dict) -> str:
    monday = dt.date(2026, 1, 5)
    sessions = []
    for n in range(1, 4):
        day = monday + dt.timedelta(days=v["weekday_offset"], weeks=n - 1)
        entry = {"number": n, "date": day.isoformat(), "block": "rl", "topic": f"Topic {n}"}
        if n == 2:
            entry["room"] = v["other_room"]
        sessions.append(entry)
    data = {
        "schema": 1,
        "version": "literal-test",
        "offering": {"slug": "lit", "title": "Literal test course", "season": "Test term", "current": True,
                     "description": "A course file for the literal-rules test."},
        "staff": [
            {"name": v["instructor"], "role": "instructor", "office": v["office"],
             "office_hours": v["office_hours"], "email": "prof@example.edu"},
            {"name": v["ta"], "role": "ta"},
        ],
        "rules": {
            "group_size_max": v["group"], "group_registration_deadline": v["deadline"],
            "buddy_evaluation": True, "homework_release_days": v["release"], "homework_count": v["count"],
            "homework_due_days": v["due_days"], "homework_due_time": v["due_time"],
            "late_policy": {"penalty": "percent_per_day", "percent": v["late"], "cutoff_days": v["cutoff"]},
            "presentation_minutes": v["presentation"], "language": v["language"],
            "computing": [{"name": v["computing"]}], "category_weights": v["weights"],
            "weights_confirmed": v["confirmed"],
        },
        "session_defaults": {"start": v["start"], "end": v["end"], "room": v["room"]},
        "sessions": sessions,
    }  # fmt: skip
    return yaml.safe_dump(data, sort_keys=False)


def _load(tmp_path, values: dict) -> None:
    path = tmp_path / "course.yaml"
    path.write_text(_course_file(values))
    call_command("load_course", str(path), stdout=StringIO())


def _urls(fill: dict[str, object]) -> list[str]:
    """Every GET-able URL of the resolver whose parameters the fixtures can fill (the admin left out)."""
    out: list[str] = []

    def walk(patterns, prefix: str, namespace: str | None) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace == "admin":
                    continue
                ns = ":".join(x for x in (namespace, p.namespace) if x) or None
                walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern) and p.name:
                name = f"{namespace}:{p.name}" if namespace else p.name
                params = p.pattern.regex.groupindex
                if any(k not in fill for k in params):
                    continue
                try:
                    out.append(reverse(name, kwargs={k: fill[k] for k in params}))
                except Exception:  # a name shared by two patterns: take what reverses
                    continue

    walk(get_resolver().url_patterns, "", None)
    return sorted(set(out))


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def _section(html: str, section_id: str) -> str:
    match = re.search(rf'<section[^>]*id="{section_id}".*?</section>', html, re.DOTALL)
    assert match, f"no section #{section_id} on the course page"
    return match.group(0)


def test_no_page_shows_an_old_course_rule_after_the_course_file_changes(client, tmp_path):
    _load(tmp_path, FIRST)
    offering = Offering.objects.get(slug="lit")
    student, ta = UserFactory(), UserFactory(username="litta")
    EnrollmentFactory(user=student, offering=offering, role=Role.STUDENT)
    EnrollmentFactory(user=ta, offering=offering, role=Role.INSTRUCTOR)
    announcement = announcement_post(offering=offering, author=ta, title="Welcome", body="Hello.")

    client.force_login(student)
    page = client.get(reverse("course")).content.decode()
    for text in ("08:05–10:50", "QX 404", "QX LT7", "Zelda Quux", "Fortran", "Abacus cluster", "Wednesdays"):
        assert text in page  # the first file is what the page shows
    assert "Provisional" in _section(page, "grading")
    assert "Wednesdays 08:05–10:50" in client.get(reverse("home")).content.decode()
    assert "Wednesdays 08:05–10:50" in client.get(reverse("schedule")).content.decode()

    _load(tmp_path, SECOND)
    fill = {"number": 1, "pk": announcement.pk, "season": offering.slug}
    urls = _urls(fill)
    assert {"/course/", "/", "/schedule/", "/schedule/1/", "/announcements/"} <= set(urls)
    for user in (student, ta):
        client.force_login(user)
        for url in urls:
            body = _body(client.get(url))
            for old in OLD_TEXT:
                assert old not in body, f"{url} as {user.username} still shows {old!r}"
        page = client.get(reverse("course")).content.decode()
        for text in (
            "13:20–16:05",
            "ZY 505",
            "ZY LT8",
            "Wanda Vole",
            "Haskell",
            "Slide-rule farm",
            "Thursdays",
        ):
            assert text in page
        rules_and_grading = _section(page, "rules") + _section(page, "grading")
        numbers = {
            int(n)
            for n in re.findall(r"(?<![\w.#-])\d+(?![\w.-])", re.sub(r"<[^>]+>", " ", rules_and_grading))
        }
        assert not numbers & OLD_NUMBERS, f"old numbers {numbers & OLD_NUMBERS} on the course page"
        assert "Provisional" not in rules_and_grading  # the weights are confirmed now
