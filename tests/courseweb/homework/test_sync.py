"""sync_assignments: items and assignments from assignment.toml, the release, idempotence, source changes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

from courseweb.courses.models import CourseworkItem
from courseweb.homework import policy
from courseweb.homework.models import Assignment
from courseweb.homework.services.assignments import ERR_BAD_POLICY, assignments_sync
from tests.courseweb.homework.notebooks import FIXTURES


def test_sync_creates_item_and_assignment_with_points_from_notebook(tiny, sessions):
    item = tiny.item
    assert item.kind == "homework" and item.category == "homework"
    assert float(item.points) == 5.0 == tiny.max_score
    assert item.released_at == sessions[0].starts_at
    due = item.due_at.astimezone(policy.HKT)
    assert (due.hour, due.minute) == (9, 30)
    assert due.date() == sessions[0].starts_at.astimezone(policy.HKT).date() + policy.timedelta(days=14)
    assert tiny.late_policy == "percent_per_day" and tiny.late_percent == 10 and tiny.cutoff_days == 7
    assert tiny.notebooks["tiny"]["tests"] == ["test_means", "test_scale"]
    assert tiny.notebooks["tiny"]["manual"] == ["explain"]


def test_released_notebook_has_no_hidden_tests_or_solutions(released):
    text = json.dumps(released)
    assert "HIDDEN TESTS" not in text and "np.eye(3)" not in text
    assert "BEGIN SOLUTION" not in text and "mean(axis=0)" not in text
    assert "column_means([[1, 2], [3, 4]])" in text  # the visible test stays


def test_sync_is_idempotent(offering, tiny):
    report = assignments_sync(offering=offering, root=FIXTURES)
    assert sorted(report.unchanged) == ["other", "tiny"] and not report.created and not report.updated
    assert Assignment.objects.count() == 2 and CourseworkItem.objects.filter(kind="homework").count() == 2


def test_changed_source_gets_a_new_release_and_keeps_the_old(offering, sessions, hw_media, tmp_path):
    root = tmp_path / "assignments"
    shutil.copytree(FIXTURES / "tiny", root / "tiny")
    first = assignments_sync(offering=offering, root=root)
    assert first.created == ["tiny"]
    old = Assignment.objects.get(key="tiny")
    toml = root / "tiny" / "source" / "assignment.toml"
    toml.write_text(toml.read_text().replace('title = "Tiny homework"', 'title = "Tiny homework (v2)"'))
    second = assignments_sync(offering=offering, root=root)
    assert second.updated == ["tiny"]
    new = Assignment.objects.get(key="tiny")
    assert new.source_hash != old.source_hash and new.item.title == "Tiny homework (v2)"
    assert Path(old.release_dir).is_dir() and Path(new.release_dir).is_dir()


def test_bad_policy_is_reported_and_nothing_created(offering, sessions, hw_media, tmp_path):
    root = tmp_path / "assignments"
    shutil.copytree(FIXTURES / "tiny", root / "broken")
    toml = root / "broken" / "source" / "assignment.toml"
    toml.write_text(toml.read_text().replace('"percent_per_day"', '"sometimes"'))
    report = assignments_sync(offering=offering, root=root)
    assert report.errors == [ERR_BAD_POLICY.format(key="broken", value="sometimes")]
    assert not Assignment.objects.exists()


@pytest.mark.django_db
def test_command_needs_an_offering(hw_media):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="load_course"):
        call_command("sync_assignments", "--dir", str(FIXTURES))


def test_command_syncs(offering, sessions, hw_media, capsys):
    call_command("sync_assignments", "--dir", str(FIXTURES))
    assert "2 created" in capsys.readouterr().out
    assert Assignment.objects.count() == 2
