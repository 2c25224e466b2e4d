"""Request and job ids in the logs, JSON log lines, and the Prometheus metrics that only the scraper can read."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import logging.config
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from courseweb.core.observability import job_id_var, task_context_clear, task_context_set
from courseweb.homework.models import GradingJob, JobState
from tests.courseweb.gradebook.factories import graded_submission, homework_assignment
from tests.factories import OfferingFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-0123456789"


def _logs(settings, fmt: str) -> io.StringIO:
    """Route the root logger into a buffer with the site's LOGGING (the given format)."""
    stream = io.StringIO()
    config = json.loads(json.dumps(settings.LOGGING, default=str))
    config["handlers"]["console"]["formatter"] = fmt
    config["handlers"]["console"]["stream"] = stream
    config["handlers"]["console"]["class"] = "logging.StreamHandler"
    logging.config.dictConfig({**config, "handlers": {"console": {**config["handlers"]["console"]}}})
    return stream


@pytest.fixture
def restore_logging(settings):
    yield
    logging.config.dictConfig(settings.LOGGING)


def test_every_log_line_of_a_request_carries_its_id_as_json(client, settings, restore_logging):
    stream = _logs(settings, "json")
    response = client.get("/no-such-page-for-the-log/", headers={"X-Request-ID": "nginx-abc123"})
    assert response["X-Request-ID"] == "nginx-abc123"
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    not_found = [r for r in lines if "Not Found" in r["message"]]
    assert not_found and not_found[0]["request_id"] == "nginx-abc123" and not_found[0]["level"] == "WARNING"


def test_a_request_without_a_usable_id_gets_a_fresh_one(client):
    first = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces\n"})["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and re.fullmatch(r"[0-9a-f]{32}", second) and first != second


def test_a_grading_task_logs_with_its_job_id(settings, restore_logging):
    stream = _logs(settings, "json")

    class Task:
        name = "homework.grade_job"

    task_context_set(task_id="celery-task-1", task=Task(), args=[42], kwargs={})
    logging.getLogger("courseweb.homework").warning("grading")
    task_context_clear()
    logging.getLogger("courseweb.homework").warning("after")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["job_id"] == "job-42" and second["job_id"] == "" and job_id_var.get() == ""


def test_metrics_are_hidden_without_the_scraper_token(client, settings):
    settings.METRICS_TOKEN = TOKEN
    assert client.get(reverse("metrics")).status_code == 404
    assert client.get(reverse("metrics"), headers={"Authorization": "Bearer wrong"}).status_code == 404
    settings.METRICS_TOKEN = ""
    assert client.get(reverse("metrics"), headers={"Authorization": "Bearer "}).status_code == 404


def test_metrics_report_queues_jobs_latency_workers_and_pages(client, settings):
    settings.METRICS_TOKEN = TOKEN
    offering, student = OfferingFactory(), UserFactory()
    now = timezone.now()
    assignment = homework_assignment(offering=offering, slug="hw1", due_at=now)
    for n, seconds in enumerate((10, 20, 30, 40)):
        sub = graded_submission(
            assignment=assignment, members=[student], score=5, at=now - dt.timedelta(hours=n)
        )
        GradingJob.objects.filter(submission=sub).update(
            created_at=now - dt.timedelta(seconds=seconds), finished_at=now
        )
    failed = graded_submission(
        assignment=assignment, members=[student], score=None, at=now - dt.timedelta(days=1)
    )
    GradingJob.objects.filter(submission=failed).update(state=JobState.FAILED, finished_at=now)

    client.get(reverse("home"))
    body = client.get(reverse("metrics"), headers={"Authorization": f"Bearer {TOKEN}"}).content.decode()
    for line in (
        'courseweb_grading_jobs{queue="grading",state="graded"} 4.0',
        'courseweb_grading_jobs{queue="grading",state="failed"} 1.0',
        "courseweb_grading_failures_last_hour 1.0",
        'courseweb_grading_latency_seconds{quantile="0.5"} 30.0',
        'courseweb_grading_latency_seconds{quantile="0.95"} 40.0',
        "courseweb_workers_alive 0.0",
    ):
        assert line in body, line
    assert re.search(r'courseweb_queue_depth\{queue="grading"\} \d', body)
    assert re.search(
        r'courseweb_page_latency_seconds_count\{method="GET",status="2xx",view="home"\} [1-9]', body
    )
