"""Stored files go through Django's storage API: the filesystem default keeps today's layout (content-addressed,
read-only files under MEDIA_ROOT/homework), and with the S3 backend (moto's S3 server on a local port) a student's
upload is graded and its feedback and a hand-in are served from the bucket to their owner only, with nothing
written under the local homework folder; an upload kept for an expired session waits in the bucket until purged;
a backup carries the bucket's files and a restore puts them back."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import socket
import stat
import tarfile
from types import MappingProxyType, SimpleNamespace

import boto3
import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from courseweb.courses.models import Role
from courseweb.homework import quarantine, storage
from courseweb.homework.models import Deliverable, GradingJob, Submission
from courseweb.homework.services.manual import deliverable_file_create
from courseweb.homework.services.runner import grading_run, outcome_from_result
from courseweb.homework.services.submissions import submission_create
from courseweb.settings.base import stored_files
from graders import AutogradeResult, CellResult, NotebookResult
from tests.courseweb.homework.notebooks import ANSWERS_RIGHT, student_notebook, to_bytes
from tests.factories import CourseworkItemFactory, EnrollmentFactory, UserFactory

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
REGION = "us-east-1"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def item(offering):
    return CourseworkItemFactory(
        offering=offering, slug="replication", kind="replication", category="replication"
    )


@pytest.fixture
def outsider(offering):
    user = UserFactory()
    EnrollmentFactory(user=user, offering=offering, role=Role.STUDENT)
    return user


# --- the filesystem default ------------------------------------------------------------------------------


def _engine_result() -> AutogradeResult:
    """An engine result with one notebook's feedback (a read-only mapping inside, as the engine may hand out)."""
    feedback = {"nbformat": 4, "cells": [], "metadata": MappingProxyType({"kernelspec": {"name": "python3"}})}
    cells = {"t": CellResult(score=1.0, max_score=2.0, status="failed", message="no")}
    notebook = NotebookResult(cells=cells, score=1.0, max_score=2.0, feedback_notebook=feedback)
    return AutogradeResult(score=1.0, max_score=2.0, needs_manual=False, notebooks={"tiny": notebook})


def test_the_filesystem_default_keeps_the_content_addressed_read_only_layout(
    tiny, released, solo, item, hw_media
):
    root = hw_media / "homework"
    data = to_bytes(released)
    sub = submission_create(user=solo, assignment=tiny, filename="tiny.ipynb", data=data).submission
    digest = _sha(data)
    assert sub.storage_path == f"submissions/{digest[:2]}/{digest}.ipynb"
    path = root / sub.storage_path
    assert path.read_bytes() == data
    assert not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    again = storage.blob_store(data=data, kind="submissions", suffix=".ipynb")
    assert (again.name, again.created) == (sub.storage_path, False)  # same bytes, same name, not rewritten
    assert not list(path.parent.glob(".incoming-*"))

    hand_in = deliverable_file_create(user=solo, item=item, label="report", filename="Report.PDF", data=PDF)
    assert hand_in.storage_path == f"deliverables/{_sha(PDF)[:2]}/{_sha(PDF)}.pdf"
    assert (root / hand_in.storage_path).read_bytes() == PDF

    outcome = outcome_from_result(result=_engine_result(), job_id=41, attempt=2)
    assert outcome["feedback_dir"] == "feedback/41/2"
    assert outcome["cells"] == {
        "tiny": {"t": {"score": 1.0, "max_score": 2.0, "status": "failed", "message": "no"}}
    }
    feedback = root / "feedback" / "41" / "2" / "tiny.ipynb"
    assert json.loads(feedback.read_text())["metadata"] == {"kernelspec": {"name": "python3"}}
    assert not feedback.stat().st_mode & stat.S_IWUSR


# --- the S3 backend, against moto's server -----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3 server (the PyPI package's threaded server) on a free local port."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings, monkeypatch, request):
    """A fresh private bucket, and STORAGES as COURSEWEB_STORAGE=s3 builds it; credentials from the environment."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "courseweb-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "courseweb-test-secret")
    name = f"courseweb-{hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:16]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name=REGION)
    client.create_bucket(Bucket=name)
    settings.STORAGES = {
        **settings.STORAGES,
        **stored_files("s3", bucket=name, endpoint_url=s3_endpoint, region=REGION, addressing_style="path"),
    }
    return SimpleNamespace(name=name, client=client)


def _objects(bucket) -> dict[str, bytes]:
    listed = bucket.client.list_objects_v2(Bucket=bucket.name).get("Contents", [])
    return {
        o["Key"]: bucket.client.get_object(Bucket=bucket.name, Key=o["Key"])["Body"].read() for o in listed
    }


def test_with_s3_an_upload_is_graded_and_served_from_the_bucket_to_its_owner_only(
    client, tiny, released, solo, outsider, item, hw_media, bucket, light_engine
):
    client.force_login(solo)
    data = to_bytes(student_notebook(released, ANSWERS_RIGHT))
    response = client.post(
        reverse("homework:submit", args=["tiny"]),
        {"notebook": SimpleUploadedFile("tiny.ipynb", data, content_type="application/json")},
    )
    sub = Submission.objects.get()
    digest = _sha(data)
    assert response.status_code == 302 and sub.storage_path == f"submissions/{digest[:2]}/{digest}.ipynb"
    assert _objects(bucket)[f"homework/{sub.storage_path}"] == data

    job = GradingJob.objects.get(submission=sub)
    # one small grading: the runner copies the submission's bytes from the bucket into its working folder
    assert grading_run(job_id=job.pk, worker="test") == "graded"
    job.refresh_from_db()
    stored = _objects(bucket)
    feedback_key = f"homework/{job.feedback_dir}/tiny.ipynb"
    assert job.feedback_dir == f"feedback/{job.pk}/{job.attempts}" and feedback_key in stored
    assert job.score and job.score > 0

    page = client.get(reverse("homework:feedback", args=[job.pk, "tiny"]))
    assert page.status_code == 200 and "column_means" in page.content.decode()
    assert (
        '<div class="feedback-notebook">'
        in client.get(reverse("homework:submission", args=[sub.pk])).content.decode()
    )

    handed = client.post(
        reverse("homework:item", args=[item.slug]),
        {
            "action": "file",
            "label": "report",
            "file": SimpleUploadedFile("report.pdf", PDF, "application/pdf"),
        },
    )
    deliverable = Deliverable.objects.get()
    assert handed.status_code == 302 and _objects(bucket)[f"homework/{deliverable.storage_path}"] == PDF
    download = client.get(reverse("homework:deliverable", args=[deliverable.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"].startswith("attachment")

    client.force_login(outsider)
    assert client.get(reverse("homework:feedback", args=[job.pk, "tiny"])).status_code in (403, 404)
    assert client.get(reverse("homework:submission", args=[sub.pk])).status_code in (403, 404)
    assert client.get(reverse("homework:deliverable", args=[deliverable.pk])).status_code in (403, 404)

    # nothing of the student's went to the local homework folder (it holds only the releases the engine runs)
    local = hw_media / "homework"
    assert {p.relative_to(local).parts[0] for p in local.rglob("*") if p.is_file()} <= {"releases"}
    with pytest.raises(NotImplementedError):
        storage.homework_storage().url(sub.storage_path)  # no bucket URL is ever handed out


def test_with_s3_an_upload_kept_for_an_expired_session_waits_in_the_bucket_until_purged(
    tiny, released, hw_media, bucket
):
    data = to_bytes(released)
    kept_at = timezone.now()
    kept = quarantine.upload_keep(
        kind="assignment",
        target="tiny",
        filename="tiny.ipynb",
        data=data,
        address="198.51.100.7",
        now=kept_at,
    )
    stored = _objects(bucket)
    assert stored[f"homework/quarantine/{kept.ident}.bin"] == data
    assert json.loads(stored[f"homework/quarantine/{kept.ident}.json"])["sha256"] == _sha(data)
    token = quarantine.kept_token(kept)
    assert quarantine.kept_read(quarantine.kept_from_token(token, now=kept_at)) == data
    bucket.client.put_object(Bucket=bucket.name, Key="homework/quarantine/0stray.bin", Body=b"half")
    assert quarantine.quarantine_purge(now=kept_at + dt.timedelta(hours=2)) == 2  # expired, and a stray half
    assert _objects(bucket) == {}


@pytest.mark.django_db(transaction=True)
def test_with_s3_a_backup_carries_the_bucket_and_a_restore_puts_it_back(tmp_path, settings, hw_media, bucket):
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    blob = storage.blob_store(data=b'{"nbformat": 4}', kind="submissions", suffix=".ipynb")
    storages["materials"].save("2026/12/slides.pdf", SimpleUploadedFile("slides.pdf", PDF))
    before = _objects(bucket)
    assert set(before) == {f"homework/{blob.name}", "materials/2026/12/slides.pdf"}
    archive = tmp_path / "site.tar.gz"
    call_command("backup", str(archive))
    with tarfile.open(archive) as tar:
        assert f"files/stored/homework/{blob.name}" in tar.getnames()

    for key in before:
        bucket.client.delete_object(Bucket=bucket.name, Key=key)
    stray = "feedback/9/1/stray.ipynb"  # not in the backup: the restore removes it
    storage.file_write(name=stray, data=b"{}")
    call_command("restore", str(archive), force=True)
    assert _objects(bucket) == before
