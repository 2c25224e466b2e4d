"""The GradingJob state machine without workers: claims, leases, exactly-once completion, reaper, retries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from courseweb.homework.models import GradingJob
from courseweb.homework.services import grading
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
