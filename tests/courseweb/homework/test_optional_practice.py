"""Optional practice (issue 12): `[course] counted = false` in assignment.toml marks a homework that is graded but
never among the best N; hw3-hw5 are such practice, handed out at the first session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.conf import settings

from courseweb.courses.models import CourseworkItem
from courseweb.homework.services.assignments import ERR_BAD_COUNTED, assignments_sync, course_config_read
from tests.courseweb.homework.notebooks import FIXTURES

OPTIONAL = ("hw3-causal-inference", "hw4-dml-hte", "hw5-dedl-replication")


def _with_course_line(root: Path, line: str) -> Path:
    shutil.copytree(FIXTURES / "tiny", root / "tiny")
    toml = root / "tiny" / "source" / "assignment.toml"
    toml.write_text(toml.read_text().replace("[course]\n", f"[course]\n{line}\n", 1))
    return root


def test_counted_defaults_to_true_and_reads_false(tmp_path):
    assert course_config_read(source=FIXTURES / "tiny" / "source", key="tiny").counted is True
    root = _with_course_line(tmp_path, "counted = false")
    assert course_config_read(source=root / "tiny" / "source", key="tiny").counted is False


def test_counted_must_be_a_boolean(tmp_path):
    root = _with_course_line(tmp_path, 'counted = "no"')
    with pytest.raises(ValueError) as exc:
        course_config_read(source=root / "tiny" / "source", key="tiny")
    assert str(exc.value) == ERR_BAD_COUNTED.format(key="tiny", value="no")


def test_sync_marks_the_item_optional_practice(offering, sessions, hw_media, tmp_path):
    root = _with_course_line(tmp_path / "assignments", "counted = false")
    assert assignments_sync(offering=offering, root=root).errors == []
    item = CourseworkItem.objects.get(offering=offering, slug="tiny")
    assert item.counted is False
    toml = root / "tiny" / "source" / "assignment.toml"
    toml.write_text(toml.read_text().replace("counted = false\n", ""))
    assert assignments_sync(offering=offering, root=root).errors == []
    item.refresh_from_db()
    assert item.counted is True


@pytest.mark.parametrize("key", OPTIONAL)
def test_hw3_to_hw5_are_optional_practice_from_the_first_session(key):
    config = course_config_read(source=Path(settings.BASE_DIR) / "assignments" / key / "source", key=key)
    assert config.counted is False and config.release_session == 1


def test_pages_mark_optional_practice(client, tiny, solo):
    from django.urls import reverse

    client.force_login(solo)
    pages = (reverse("homework:index"), reverse("homework:assignment", args=[tiny.key]))
    assert all("optional practice" not in client.get(url).content.decode() for url in pages)
    CourseworkItem.objects.filter(pk=tiny.item_id).update(counted=False)
    assert all("optional practice" in client.get(url).content.decode() for url in pages)
