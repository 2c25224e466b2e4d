"""load_course: idempotent, matches sessions by number, reports removed sessions, rejects malformed files whole."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from courseweb.courses.models import CourseworkItem, Deadline, Offering
from courseweb.lectures.models import Event, Session
from tests.factories import CourseworkItemFactory

pytestmark = pytest.mark.django_db
HKT = ZoneInfo("Asia/Hong_Kong")


def _load(path: Path) -> str:
    from io import StringIO

    out = StringIO()
    call_command("load_course", str(path), stdout=out)
    return out.getvalue()


def _snapshot() -> list:
    rows = []
    for model in (Offering, Session, Event, CourseworkItem, Deadline):
        rows += [tuple(sorted(r.items())) for r in model.objects.values()]
    return sorted(map(str, rows))


def test_course_file_loads_the_spring_2026_schedule():
    _load(settings.COURSE_FILE)
    offering = Offering.objects.get(slug="s26")
    sessions = list(Session.objects.filter(offering=offering).order_by("number"))
    assert len(sessions) == 13
    dates = [s.starts_at.astimezone(HKT).date() for s in sessions]
    assert dates[0] == dt.date(2026, 1, 6) and dates[-1] == dt.date(2026, 4, 14)
    assert dt.date(2026, 2, 17) not in dates and dt.date(2026, 4, 7) not in dates
    assert all(d.weekday() == 1 for d in dates)
    assert {s.room for s in sessions if s.starts_at.astimezone(HKT).date() == dt.date(2026, 3, 3)} == {
        "CYT LT5"
    }
    assert {s.room for s in sessions if s.starts_at.astimezone(HKT).date() != dt.date(2026, 3, 3)} == {
        "CYT 209A"
    }
    first = sessions[0]
    assert first.starts_at == dt.datetime(2026, 1, 6, 1, 30, tzinfo=dt.UTC)  # 09:30 HKT stored as UTC
    assert first.ends_at.astimezone(HKT).time() == dt.time(12, 15)
    blocks = [s.block for s in sessions]
    assert blocks.count("supervised") == 1 and blocks.count("deep") == 1
    assert blocks.count("rl") == 6 and blocks.count("agentic") == 5
    assert offering.group_size_max == 2 and offering.homework_count == 5
    assert offering.group_registration_deadline == dt.datetime(2026, 1, 7, 15, 59, tzinfo=dt.UTC)
    tutorials = list(Event.objects.filter(offering=offering))
    assert [t.starts_at.astimezone(HKT) for t in tutorials] == [
        dt.datetime(2026, 1, 9, 19, 0, tzinfo=HKT),
        dt.datetime(2026, 1, 16, 19, 0, tzinfo=HKT),
    ]
    assert offering.category_weights["homework"] > 0


def test_loading_twice_changes_nothing():
    _load(settings.COURSE_FILE)
    before = _snapshot()
    out = _load(settings.COURSE_FILE)
    assert "nothing changed" in out
    assert _snapshot() == before


def test_editing_one_room_updates_only_that_session(tmp_path):
    _load(settings.COURSE_FILE)
    before = {s.number: (s.pk, s.room, s.starts_at) for s in Session.objects.all()}
    text = settings.COURSE_FILE.read_text().replace(
        '{number: 5, date: "2026-02-03", block: rl,',
        '{number: 5, date: "2026-02-03", room: CYT G01, block: rl,',
    )
    edited = tmp_path / "course.yaml"
    edited.write_text(text)
    out = _load(edited)
    assert "updated: session 5 (room)" in out
    after = {s.number: (s.pk, s.room, s.starts_at) for s in Session.objects.all()}
    assert after[5] == (before[5][0], "CYT G01", before[5][2])
    assert {k: v for k, v in after.items() if k != 5} == {k: v for k, v in before.items() if k != 5}


def test_session_dropped_from_file_is_reported_and_kept_while_referenced(tmp_path):
    _load(settings.COURSE_FILE)
    offering = Offering.objects.get(slug="s26")
    CourseworkItemFactory(offering=offering, session=Session.objects.get(offering=offering, number=13))
    lines = settings.COURSE_FILE.read_text().splitlines()
    edited = tmp_path / "course.yaml"
    edited.write_text(
        "\n".join(line for line in lines if "number: 12," not in line and "number: 13," not in line)
    )
    out = _load(edited)
    assert "removed (no longer in the file, nothing refers to it): session 12" in out
    assert "kept (no longer in the file, but still referred to): session 13" in out
    assert set(Session.objects.values_list("number", flat=True)) == set(range(1, 12)) | {13}


@pytest.mark.parametrize(
    ("original", "broken", "message"),
    [
        ('date: "2026-01-20"', 'date: "2026-13-20"', "sessions[2].date: expected a date YYYY-MM-DD"),
        (
            "block: deep,",
            "block: quantum,",
            "sessions[1].block: expected one of supervised, deep, rl, agentic",
        ),
        ("{number: 4,", "{number: 3,", "sessions[3].number: session 3 is listed twice"),
        ("homework_count: 5", "homework_count: five", "rules.homework_count: expected int"),
        ("timezone: Asia/Hong_Kong", "timezone: Mars/Olympus", "offering.timezone: unknown time zone"),
        ("sessions:\n", "sessions: [\n", "not valid YAML"),
    ],
)
def test_malformed_file_is_rejected_naming_the_place_and_changes_nothing(tmp_path, original, broken, message):
    _load(settings.COURSE_FILE)
    before = _snapshot()
    text = settings.COURSE_FILE.read_text()
    assert original in text
    bad = tmp_path / "bad.yaml"
    # also change a room, so a partial apply would show
    bad.write_text(text.replace(original, broken, 1).replace("room: CYT LT5", "room: CYT LT9"))
    with pytest.raises(CommandError) as err:
        _load(bad)
    assert message in str(err.value)
    assert _snapshot() == before
