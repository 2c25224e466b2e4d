"""Request and job ids in every log line, JSON logs, and Prometheus metrics at /metrics.

- `RequestIdMiddleware` (first in MIDDLEWARE) takes nginx's `X-Request-ID` (or makes one), puts it in every log
  record written while the request runs and in the response's `X-Request-ID`, and times the request for the
  page-latency histogram (labelled by URL name, never by raw path, so the label set stays small).
- Celery's `task_prerun`/`task_postrun` put the task id, and for grading the job's id, in every log record of the
  task (`courseweb.celery` connects them).
- `LOG_FORMAT=json` (the production default) writes one JSON object per line (python-json-logger) with
  `request_id` and `job_id` fields; otherwise the plain format, with the same ids.
- `/metrics`: Prometheus text format, only for the configured scraper (`Authorization: Bearer $METRICS_TOKEN`;
  without the setting, or with another token, the URL answers 404 as if it did not exist). Queue depth per
  queue (read from the broker), grading jobs per state, failures, upload-to-result latency quantiles over the last
  hour, workers alive (their heartbeats), and page latency. Under gunicorn with several processes set
  `PROMETHEUS_MULTIPROC_DIR` so that every process's page timings are added up.
"""

from __future__ import annotations

import contextvars
import hmac
import logging
import os
import re
import time
import uuid
from datetime import timedelta
from typing import Any

# The project's Celery app (courseweb/celery.py, loaded with Django): named through Celery's current app, so that
# this module and courseweb.celery, which connects its worker signals to it, do not import each other.
from celery import current_app
from django.conf import settings
from django.core.signals import request_finished
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
job_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("job_id", default="")

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
QUEUES = ("default", "grading", "gpu")

PAGE_LATENCY = Histogram(
    "courseweb_page_latency_seconds",
    "Time to answer a request, by URL name and method.",
    ["view", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0),
)


class ContextFilter(logging.Filter):
    """Adds `request_id` and `job_id` to every record (empty outside a request or a task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.job_id = job_id_var.get()
        return True


def _request_id_clear(**_: Any) -> None:
    request_id_var.set("")


class RequestIdMiddleware:
    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response
        request_finished.connect(_request_id_clear, dispatch_uid="courseweb-request-id-clear")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        rid = given if REQUEST_ID.match(given) else uuid.uuid4().hex
        # kept until `request_finished` (Django logs a 4xx/5xx answer after the middleware chain returns)
        request_id_var.set(rid)
        request.request_id = rid  # type: ignore[attr-defined]
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match else "unmatched"
        PAGE_LATENCY.labels(
            view=view, method=request.method, status=f"{response.status_code // 100}xx"
        ).observe(time.perf_counter() - started)
        response["X-Request-ID"] = rid
        return response


def task_context_set(
    task_id: str | None = None, task: Any = None, args: Any = None, kwargs: Any = None, **_: Any
) -> None:
    """Celery `task_prerun`: `job-<pk>` for a grading job (`homework.grade_job(job_id)`), else the task's id."""
    job = (kwargs or {}).get("job_id")
    if job is None and getattr(task, "name", "") == "homework.grade_job" and args:
        job = args[0]
    job_id_var.set(f"job-{job}" if job is not None else (task_id or ""))


def task_context_clear(**_: Any) -> None:
    job_id_var.set("")


# --- metrics ---------------------------------------------------------------------------------------------------


def queue_depths() -> dict[str, int | None]:
    """Messages waiting per queue, asked of the broker (None where the broker cannot say)."""
    depths: dict[str, int | None] = {}
    try:
        with current_app.connection_for_read() as conn:
            channel = conn.default_channel
            for queue in QUEUES:
                try:
                    depths[queue] = int(channel.queue_declare(queue=queue, passive=True).message_count)
                except Exception:  # a queue nobody declared yet holds nothing
                    depths[queue] = 0
    except Exception:
        depths = dict.fromkeys(QUEUES)
    return depths


class SiteCollector:
    """Read at each scrape from the database and the broker: no state kept in the web process."""

    def collect(self):
        from courseweb.core.health import workers_alive
        from courseweb.homework.models import GradingJob, JobState

        depth = GaugeMetricFamily(
            "courseweb_queue_depth", "Messages waiting in each Celery queue.", labels=["queue"]
        )
        for queue, n in queue_depths().items():
            if n is not None:
                depth.add_metric([queue], n)
        yield depth

        jobs = GaugeMetricFamily(
            "courseweb_grading_jobs", "Grading jobs by state.", labels=["state", "queue"]
        )
        counts: dict[tuple[str, str], int] = {}
        for row in GradingJob.objects.values_list("state", "queue"):
            counts[row] = counts.get(row, 0) + 1
        for state in JobState.values:
            for queue in sorted({q for _, q in counts} | {"grading"}):
                jobs.add_metric([state, queue], counts.get((state, queue), 0))
        yield jobs

        since = timezone.now() - timedelta(hours=1)
        failed = GradingJob.objects.filter(state=JobState.FAILED, finished_at__gte=since).count()
        yield GaugeMetricFamily(
            "courseweb_grading_failures_last_hour", "Grading jobs that failed in the last hour.", value=failed
        )
        latencies = sorted(
            (finished - created).total_seconds()
            for created, finished in GradingJob.objects.filter(
                state=JobState.GRADED, finished_at__gte=since
            ).values_list("created_at", "finished_at")
        )
        lag = GaugeMetricFamily(
            "courseweb_grading_latency_seconds",
            "Upload-to-result time of the jobs graded in the last hour, by quantile.",
            labels=["quantile"],
        )
        for q in (0.5, 0.95):
            if latencies:
                lag.add_metric([str(q)], latencies[min(len(latencies) - 1, int(q * len(latencies)))])
        yield lag
        yield GaugeMetricFamily(
            "courseweb_workers_alive", "Celery workers whose heartbeat is recent.", value=len(workers_alive())
        )


def metrics_registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(SiteCollector())
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(PAGE_LATENCY)
    return registry


def _scraper_allowed(request: HttpRequest) -> bool:
    expected = getattr(settings, "METRICS_TOKEN", "")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return (
        bool(expected)
        and scheme.lower() == "bearer"
        and hmac.compare_digest(given.encode(), expected.encode())
    )


def metrics(request: HttpRequest) -> HttpResponse:
    if not _scraper_allowed(request):
        raise Http404
    return HttpResponse(generate_latest(metrics_registry()), content_type=CONTENT_TYPE_LATEST)
