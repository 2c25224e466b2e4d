"""Uploads: stored immutably and recorded for every member before the response; bad uploads stored nowhere."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from courseweb.homework import storage
from courseweb.homework.models import Extension, GradingJob, Submission
from courseweb.homework.services.submissions import ERR_CLOSED, SubmissionRejected, submission_create
from graders.check import ERR_NOT_JSON
from tests.courseweb.homework.notebooks import ANSWERS_RIGHT, student_notebook, to_bytes


def _stored_files(media) -> list[str]:
    root = media / "homework" / "submissions"
    return sorted(str(p) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_upload_is_stored_read_only_with_hash_and_recorded_for_both_members(
    client, tiny, released, pair, hw_media
):
    a, b, group = pair
    data = to_bytes(student_notebook(released, ANSWERS_RIGHT))
    client.force_login(a)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("homework:submit", args=["tiny"]),
        {"notebook": SimpleUploadedFile("tiny.ipynb", data, content_type="application/json")},
    )
    sub = Submission.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "homework:submission", args=[sub.pk]
    )
    path = storage.homework_root() / sub.storage_path  # the filesystem default: a read-only file
    assert path.read_bytes() == data
    assert not os.stat(path).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    import hashlib

    assert sub.content_hash == hashlib.sha256(data).hexdigest() and sub.size == len(data)
    assert sub.group == group and set(sub.members.all()) == {a, b}
    assert GradingJob.objects.get().state == "queued"
    # the buddy sees the group's submission; an outsider does not
    client.force_login(b)
    assert client.get(reverse("homework:submission", args=[sub.pk])).status_code == 200


def test_outsider_cannot_see_a_submission(client, tiny, released, pair, solo):
    out = submission_create(user=pair[0], assignment=tiny, filename="tiny.ipynb", data=to_bytes(released))
    client.force_login(solo)
    assert client.get(reverse("homework:submission", args=[out.submission.pk])).status_code == 403


def test_student_without_group_submits_alone(tiny, released, solo):
    out = submission_create(user=solo, assignment=tiny, filename="mine.ipynb", data=to_bytes(released))
    assert out.submission.group is None and list(out.submission.members.all()) == [solo]
    assert out.submission.stem == "tiny"  # one notebook: any file name is accepted


def test_a_notebook_with_a_byte_order_mark_is_accepted_by_the_form_and_the_api(client, tiny, released, solo):
    """Some editors save UTF-8 with a byte-order mark; the engine grades such a notebook, so the site takes it."""
    import codecs

    from django.core.files.uploadedfile import SimpleUploadedFile

    from courseweb.homework.services.tokens import api_token_create

    data = codecs.BOM_UTF8 + to_bytes(student_notebook(released, ANSWERS_RIGHT))
    client.force_login(solo)
    response = client.post(
        reverse("homework:submit", args=["tiny"]), {"notebook": SimpleUploadedFile("tiny.ipynb", data)}
    )
    assert response.status_code == 302, response.content.decode()
    secret = api_token_create(user=solo, name="cli").secret
    response = client.post(
        reverse("homework:api_submit", args=["tiny"]),
        data=codecs.BOM_UTF8 + to_bytes(released),
        content_type="application/json",
        headers={"authorization": f"Bearer {secret}", "x-filename": "tiny.ipynb"},
    )
    assert response.status_code == 201, response.content.decode()
    assert Submission.objects.count() == 2 and GradingJob.objects.count() == 2
    assert {s.stem for s in Submission.objects.all()} == {"tiny"}


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"this is not json", "not valid JSON"),
        (
            b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5, "junk": 1}',
            "not a valid Jupyter",
        ),
        (b'{"nbformat": 3}', "not a valid Jupyter"),
        (b"", "empty"),
    ],
)
def test_broken_uploads_get_a_clear_message_and_nothing_is_stored(
    client, tiny, solo, hw_media, payload, message
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(solo)
    response = client.post(
        reverse("homework:submit", args=["tiny"]), {"notebook": SimpleUploadedFile("tiny.ipynb", payload)}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Submission.objects.exists() and not GradingJob.objects.exists()
    assert _stored_files(hw_media) == []


def test_not_json_message_constant(tiny, solo):
    with pytest.raises(SubmissionRejected) as exc:
        submission_create(user=solo, assignment=tiny, filename="tiny.ipynb", data=b"{oops")
    assert str(exc.value).startswith(ERR_NOT_JSON.split("(")[0])


def test_notebook_of_another_assignment_is_refused(client, synced, solo, hw_media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    other = json.loads((Path(synced["other"].release_dir) / "other.ipynb").read_text())
    client.force_login(solo)
    response = client.post(
        reverse("homework:submit", args=["tiny"]),
        {"notebook": SimpleUploadedFile("tiny.ipynb", to_bytes(other))},
    )
    assert response.status_code == 400
    assert "does not belong to Tiny homework" in response.content.decode()
    assert not Submission.objects.exists() and _stored_files(hw_media) == []


def test_fifty_megabytes_is_refused_before_storing(client, tiny, released, solo, hw_media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    big = student_notebook(released, ANSWERS_RIGHT)
    big["cells"][0]["source"] = "x" * (50 * 1024 * 1024)
    client.force_login(solo)
    response = client.post(
        reverse("homework:submit", args=["tiny"]),
        {"notebook": SimpleUploadedFile("tiny.ipynb", to_bytes(big))},
    )
    assert response.status_code == 413
    assert "the limit is 20 MB" in response.content.decode()
    assert not Submission.objects.exists() and _stored_files(hw_media) == []


def test_after_the_cutoff_nothing_is_stored(tiny, released, solo, hw_media):
    late = tiny.item.due_at + dt.timedelta(days=7, minutes=1)
    with pytest.raises(SubmissionRejected) as exc:
        submission_create(
            user=solo, assignment=tiny, filename="tiny.ipynb", data=to_bytes(released), now=late
        )
    assert exc.value.status == 403
    cutoff = timezone.localtime(tiny.item.due_at + dt.timedelta(days=7)).strftime("%Y-%m-%d %H:%M")
    assert str(exc.value) == ERR_CLOSED.format(title="Tiny homework", cutoff=cutoff)
    assert not Submission.objects.exists() and _stored_files(hw_media) == []


def test_late_within_cutoff_is_accepted_and_marked_late(tiny, released, solo):
    late = tiny.item.due_at + dt.timedelta(days=2)
    out = submission_create(
        user=solo, assignment=tiny, filename="tiny.ipynb", data=to_bytes(released), now=late
    )
    assert out.submission.is_late


def test_extension_moves_due_and_cutoff(tiny, released, pair):
    a, _, group = pair
    Extension.objects.create(item=tiny.item, group=group, due_at=tiny.item.due_at + dt.timedelta(days=10))
    at = tiny.item.due_at + dt.timedelta(days=9)
    out = submission_create(user=a, assignment=tiny, filename="tiny.ipynb", data=to_bytes(released), now=at)
    assert not out.submission.is_late


def test_double_click_returns_the_same_submission(client, tiny, released, pair):
    from django.core.files.uploadedfile import SimpleUploadedFile

    a, b, _ = pair
    data = to_bytes(student_notebook(released, ANSWERS_RIGHT))
    client.force_login(a)
    first = client.post(
        reverse("homework:submit", args=["tiny"]), {"notebook": SimpleUploadedFile("tiny.ipynb", data)}
    )
    client.force_login(b)  # the buddy clicks too
    second = client.post(
        reverse("homework:submit", args=["tiny"]), {"notebook": SimpleUploadedFile("tiny.ipynb", data)}
    )
    assert first["Location"] == second["Location"]
    assert Submission.objects.count() == 1 and GradingJob.objects.count() == 1
    # different bytes are a new submission (resubmission until the cut-off)
    third = submission_create(user=a, assignment=tiny, filename="tiny.ipynb", data=data + b"\n")
    assert not third.duplicate and Submission.objects.count() == 2
