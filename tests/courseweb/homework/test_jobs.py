"""The GradingJob state machine without workers: claims, leases, exactly-once completion, reaper, retries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from courseweb.homework.models import Assignment, GradingJob
from courseweb.homework.services import grading
from courseweb.homework.services.runner import grading_run
from courseweb.homework.services.submissions import submission_create
from tests.courseweb.homework.notebooks import to_bytes


@pytest.fixture
def job(tiny, released, solo) -> GradingJob:
    return submission_create(user=solo, assignment=tiny, filename="tiny.ipynb", data=to_bytes(released)).job


OUTCOME = {
    "score": 3.0,
    "max_score": 5.0,
    "needs_manual": True,
    "cells": {"tiny": {}},
    "flags": [],
    "error": "",
}


def test_claim_is_exclusive_while_the_lease_lives(job):
    first = grading.job_claim(job_id=job.pk, worker="w1")
    assert first is not None and first.attempt == 1
    assert grading.job_claim(job_id=job.pk, worker="w2") is None
    job.refresh_from_db()
    assert job.state == "running" and job.worker == "w1" and job.lease_expires_at > timezone.now()


def test_only_the_lease_holder_records_a_result(job):
    first = grading.job_claim(job_id=job.pk, worker="w1")
    GradingJob.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - dt.timedelta(seconds=1))
    second = grading.job_claim(job_id=job.pk, worker="w2")  # w1 looked dead; w2 takes over
    assert second is not None and second.attempt == 2
    assert grading.job_heartbeat(job_id=job.pk, token=first.token) is False
    assert grading.job_complete(job_id=job.pk, token=first.token, outcome=OUTCOME) is False
    assert grading.job_complete(job_id=job.pk, token=second.token, outcome=OUTCOME) is True
    assert grading.job_complete(job_id=job.pk, token=second.token, outcome=OUTCOME) is False
    job.refresh_from_db()
    assert job.state == "graded" and job.score == 3.0 and job.attempts == 2
    assert [e["phase"] for e in job.events] == ["queued", "started", "started", "finished"]
    assert grading.job_claim(job_id=job.pk, worker="w3") is None  # a redelivered message does nothing


def test_a_result_stores_the_outcome_fields_and_nothing_else(job):
    claim = grading.job_claim(job_id=job.pk, worker="w1")
    outcome = {**OUTCOME, "flags": ["tamper"], "worker": "forged", "attempts": 9, "lease_token": "forged"}
    assert grading.job_complete(job_id=job.pk, token=claim.token, outcome=outcome) is True
    job.refresh_from_db()
    assert (job.score, job.max_score, job.needs_manual, job.flags) == (3.0, 5.0, True, ["tamper"])
    assert (job.worker, job.attempts, job.lease_token) == ("w1", 1, claim.token)


def test_reaper_requeues_expired_leases_only(job, django_capture_on_commit_callbacks):
    claim = grading.job_claim(job_id=job.pk, worker="w1")
    assert grading.jobs_reap() == []
    GradingJob.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - dt.timedelta(seconds=1))
    with django_capture_on_commit_callbacks() as callbacks:
        assert grading.jobs_reap() == [job.pk]
    assert len(callbacks) == 1  # the task is sent again
    job.refresh_from_db()
    assert job.state == "queued" and job.lease_token == "" and job.events[-1]["phase"] == "requeued"
    assert grading.job_complete(job_id=job.pk, token=claim.token, outcome=OUTCOME) is False


def test_reaper_resends_long_queued_jobs(job, settings):
    settings.HOMEWORK_REQUEUE_QUEUED_AFTER_S = 60
    assert grading.jobs_reap() == []
    GradingJob.objects.filter(pk=job.pk).update(enqueued_at=timezone.now() - dt.timedelta(seconds=61))
    assert grading.jobs_reap() == [job.pk]


def test_infrastructure_errors_are_retried_a_bounded_number_of_times(job, settings):
    settings.HOMEWORK_MAX_INFRA_RETRIES = 2
    claim = grading.job_claim(job_id=job.pk, worker="w1")
    assert grading.job_infra_failure(job_id=job.pk, token=claim.token, error="OSError: disk full") == "retry"
    claim = grading.job_claim(job_id=job.pk, worker="w1")
    assert grading.job_infra_failure(job_id=job.pk, token=claim.token, error="OSError: disk full") == "failed"
    job.refresh_from_db()
    assert job.state == "failed" and job.error == grading.ERR_INFRA_GAVE_UP.format(n=2)
    assert grading.job_claim(job_id=job.pk, worker="w1") is None


def test_regrade_keeps_previous_results(job):
    claim = grading.job_claim(job_id=job.pk, worker="w1")
    grading.job_complete(job_id=job.pk, token=claim.token, outcome=OUTCOME)
    assert grading.assignment_regrade(assignment=job.submission.assignment) == 1
    jobs = list(job.submission.jobs.order_by("id"))
    assert [j.state for j in jobs] == ["graded", "queued"] and jobs[0].score == 3.0
    assert jobs[1].reason == "regrade"


def test_status_fragment_polls_until_the_job_is_final(client, job, solo):
    client.force_login(solo)
    url = reverse("homework:submission_status", args=[job.submission_id])
    fragment = client.get(url).content.decode()
    assert 'hx-trigger="every 1s"' in fragment and 'data-state="queued"' in fragment
    claim = grading.job_claim(job_id=job.pk, worker="w1")
    grading.job_progress(
        job_id=job.pk, token=claim.token,
        progress={"phase": "running", "notebook": "tiny", "cell_index": 2, "cell_count": 7}, event=None,
    )  # fmt: skip
    fragment = client.get(url).content.decode()
    assert 'hx-trigger="every 1s"' in fragment and "Running cell 3 of 7" in fragment
    grading.job_complete(job_id=job.pk, token=claim.token, outcome=OUTCOME)
    fragment = client.get(url).content.decode()
    assert "hx-trigger" not in fragment and 'data-state="graded"' in fragment  # polling stops


def test_a_redelivered_message_for_a_final_job_does_nothing(job):
    claim = grading.job_claim(job_id=job.pk, worker="w1")
    grading.job_complete(job_id=job.pk, token=claim.token, outcome=OUTCOME)
    assert grading_run(job_id=job.pk, worker="w2") == "skipped"
    job.refresh_from_db()
    assert job.attempts == 1 and job.worker == "w1"


def test_engine_failures_are_retried_then_fail_with_a_message(job, settings):
    """A real engine exception (the source folder vanished): bounded retries, then failed — never a score."""
    settings.HOMEWORK_MAX_INFRA_RETRIES = 2
    Assignment.objects.filter(pk=job.submission.assignment_id).update(source_dir="/nonexistent/source")
    assert grading_run(job_id=job.pk, worker="w1") == "retry"
    job.refresh_from_db()
    assert job.state == "queued" and job.events[-1]["phase"] == "retry" and job.score is None
    assert grading_run(job_id=job.pk, worker="w1") == "failed"
    job.refresh_from_db()
    assert job.state == "failed" and job.score is None and job.infra_failures == 2
