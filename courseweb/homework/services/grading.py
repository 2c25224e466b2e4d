"""The GradingJob state machine: queued → running → graded | failed, with leases, a reaper and regrades.

Every transition takes the job row with `select_for_update` and checks the state (and, for a running job,
the lease token), so a message delivered twice, a worker killed mid-job, or a reaper racing a slow worker
never produces two results: only the holder of the current lease can finish the job.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypedDict

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from courseweb.homework.models import (
    FINAL_STATES,
    Assignment,
    GpuFallback,
    GradingJob,
    JobState,
    Submission,
)

log = logging.getLogger(__name__)

GRADE_JOB_TASK = "homework.grade_job"  # the Celery task that grades one job (courseweb/homework/tasks.py)
ERR_INFRA_GAVE_UP = "Grading failed {n} times for reasons outside your notebook; the staff have been told."


def lease_seconds() -> float:
    return float(settings.HOMEWORK_LEASE_SECONDS)


def _event(phase: str, **extra: Any) -> dict[str, Any]:
    return {"phase": phase, "at": timezone.now().isoformat(), **extra}


def job_enqueue(*, job_id: int, queue: str, countdown: float = 0) -> None:
    """Send the task after the surrounding transaction commits (the worker must see the row).

    The task is found by its name in the app's registry (`courseweb/homework/tasks.py` registers it under
    `GRADE_JOB_TASK`), so this module does not import the tasks module, which imports it.  `apply_async` on the
    registered task, not `send_task`: with `task_always_eager` (tests, in-process runs) the job is graded at once.
    """

    def send() -> None:
        task = current_app.tasks[GRADE_JOB_TASK]
        task.apply_async(args=[job_id], queue=queue, countdown=countdown or None)

    transaction.on_commit(send)


@dataclass(frozen=True)
class Route:
    """Where a grading job goes and the limits it runs with (the job row keeps both)."""

    queue: str  # "grading" (CPU workers) or "gpu" (workers on GPU nodes)
    profile: str  # "cpu" or "gpu"
    limits: dict[str, object]


def grading_route(*, assignment: Assignment) -> Route:
    """The one routing decision: the queue and limit profile of a grading job of `assignment`.

    A `requires_gpu` homework goes to the `gpu` queue with its GPU limits (`[limits]` overridden by
    `[gpu_limits]`) when `GPU_NODES` says GPU nodes consume that queue.  Without GPU nodes it follows the
    assignment's `gpu_fallback`: "cpu" grades it on the CPU `grading` queue with its own `[limits]`; "wait"
    leaves it on the `gpu` queue until a GPU node's worker takes it.  Everything else is CPU work.
    """
    cpu = Route(queue="grading", profile="cpu", limits=dict(assignment.limits or {}))
    if not assignment.requires_gpu:
        return cpu
    gpu = Route(
        queue="gpu", profile="gpu", limits={**(assignment.limits or {}), **(assignment.gpu_limits or {})}
    )
    if settings.GPU_NODES > 0:
        return gpu
    return gpu if assignment.gpu_fallback == GpuFallback.WAIT else cpu


def job_create(*, submission: Submission, reason: str = "submission") -> GradingJob:
    now = timezone.now()
    route = grading_route(assignment=submission.assignment)
    job = GradingJob.objects.create(
        submission=submission,
        reason=reason,
        queue=route.queue,
        limit_profile=route.profile,
        limits=route.limits,
        created_at=now,
        enqueued_at=now,
        events=[_event("queued", reason=reason, queue=route.queue, profile=route.profile)],
    )
    job_enqueue(job_id=job.pk, queue=route.queue)
    return job


@dataclass(frozen=True)
class Claim:
    """What a worker needs to grade a job it now holds."""

    job_id: int
    token: str
    attempt: int
    submission_id: int
    storage_path: str
    stem: str
    source_dir: str
    route: Route  # the queue and limit profile `grading_route` chose when the job was created
    seed: int
    gpu_memory_mb: int = 0


def job_claim(*, job_id: int, worker: str) -> Claim | None:
    """Take the job if nobody holds a live lease on it; None when there is nothing to do."""
    with transaction.atomic():
        job = (
            GradingJob.objects.select_for_update(of=("self",))
            .select_related("submission__assignment")
            .filter(pk=job_id)
            .first()
        )
        if job is None or job.state in FINAL_STATES:
            return None
        now = timezone.now()
        if job.state == JobState.RUNNING and job.lease_expires_at and job.lease_expires_at > now:
            return None
        job.state = JobState.RUNNING
        job.attempts += 1
        job.lease_token = uuid.uuid4().hex
        job.lease_expires_at = now + timedelta(seconds=lease_seconds())
        job.worker = worker[:200]
        job.started_at = job.started_at or now
        job.progress = {"phase": "starting", "attempt": job.attempts}
        job.events = [*job.events, _event("started", worker=job.worker, attempt=job.attempts)]
        job.save()
        sub = job.submission
        return Claim(
            job_id=job.pk,
            token=job.lease_token,
            attempt=job.attempts,
            submission_id=sub.pk,
            storage_path=sub.storage_path,
            stem=sub.stem,
            source_dir=sub.assignment.source_dir,
            route=Route(queue=job.queue, profile=job.limit_profile, limits=dict(job.limits or {})),
            seed=int(sub.content_hash[:8], 16),
            gpu_memory_mb=int(sub.assignment.gpu_memory_mb or 0),
        )


def job_heartbeat(*, job_id: int, token: str) -> bool:
    """Extend the lease; False when the job is no longer ours (the reaper gave it to someone else)."""
    expires = timezone.now() + timedelta(seconds=lease_seconds())
    return bool(
        GradingJob.objects.filter(pk=job_id, lease_token=token, state=JobState.RUNNING).update(
            lease_expires_at=expires
        )
    )


def job_progress(
    *, job_id: int, token: str, progress: Mapping[str, object], event: Mapping[str, object] | None
) -> None:
    """Store the engine's latest progress report (and a phase event with its timestamp)."""
    with transaction.atomic():
        job = GradingJob.objects.select_for_update(of=("self",)).filter(pk=job_id, lease_token=token).first()
        if job is None or job.state != JobState.RUNNING:
            return
        job.progress = dict(progress)
        fields = ["progress"]
        if event is not None:
            job.events = [*job.events, {**event, "at": timezone.now().isoformat()}]
            fields.append("events")
        job.save(update_fields=fields)


class JobOutcome(TypedDict, total=False):
    """What a finished grading run stores on its job (`runner.outcome_from_result` makes it from the engine's
    result; tests give the fields they need)."""

    score: float
    max_score: float
    needs_manual: bool
    cells: dict[str, dict[str, dict[str, object]]]  # stem -> grade id -> score, max_score, status, message
    flags: list[str]
    engine: dict[str, object]  # timings, resources, sandbox (the runner adds the profile and the GPU)
    error: str
    source_hash: str
    feedback_dir: str


def job_outcome_apply(*, job: GradingJob, outcome: JobOutcome) -> None:
    """Put the outcome's fields on the job (not saved); a field the outcome leaves out keeps the job's value."""
    job.score = outcome.get("score", job.score)
    job.max_score = outcome.get("max_score", job.max_score)
    job.needs_manual = outcome.get("needs_manual", job.needs_manual)
    job.cells = outcome.get("cells", job.cells)
    job.flags = outcome.get("flags", job.flags)
    job.engine = outcome.get("engine", job.engine)
    job.error = outcome.get("error", job.error)
    job.source_hash = outcome.get("source_hash", job.source_hash)
    job.feedback_dir = outcome.get("feedback_dir", job.feedback_dir)


def job_complete(*, job_id: int, token: str, outcome: JobOutcome) -> bool:
    """Record the engine's result if we still hold the lease; exactly one result per job."""
    with transaction.atomic():
        job = GradingJob.objects.select_for_update(of=("self",)).filter(pk=job_id).first()
        if job is None or job.state != JobState.RUNNING or job.lease_token != token:
            return False
        job_outcome_apply(job=job, outcome=outcome)
        job.state = JobState.GRADED
        job.finished_at = timezone.now()
        job.lease_expires_at = None
        job.progress = {"phase": "done"}
        job.events = [*job.events, _event("finished", score=job.score, max_score=job.max_score)]
        job.save()
        from courseweb.notifications.events import job_graded

        job_graded(job)
        return True


def job_infra_failure(*, job_id: int, token: str, error: str) -> str:
    """The engine itself failed (not the notebook): requeue with a back-off, up to a bounded number of times."""
    retries = int(settings.HOMEWORK_MAX_INFRA_RETRIES)
    with transaction.atomic():
        job = GradingJob.objects.select_for_update(of=("self",)).filter(pk=job_id).first()
        if job is None or job.state != JobState.RUNNING or job.lease_token != token:
            return "lost"
        job.infra_failures += 1
        job.lease_token = ""
        job.lease_expires_at = None
        if job.infra_failures >= retries:
            job.state = JobState.FAILED
            job.finished_at = timezone.now()
            job.error = ERR_INFRA_GAVE_UP.format(n=job.infra_failures)
            job.events = [*job.events, _event("failed", detail=error[:500])]
            job.save()
            return "failed"
        job.state = JobState.QUEUED
        job.enqueued_at = timezone.now()
        job.events = [*job.events, _event("retry", detail=error[:500], failures=job.infra_failures)]
        job.save()
        job_enqueue(job_id=job.pk, queue=job.queue, countdown=2**job.infra_failures)
        return "retry"


def jobs_reap(*, now: datetime | None = None) -> list[int]:
    """Requeue running jobs whose lease expired (their worker died) and re-send long-queued jobs.

    The filesystem broker loses messages held by a killed worker, so a queued job whose message may be gone is
    sent again after a while; a duplicate message is harmless because `job_claim` does nothing twice.
    """
    now = now or timezone.now()
    requeued: list[int] = []
    stale_after = timedelta(seconds=float(settings.HOMEWORK_REQUEUE_QUEUED_AFTER_S))
    expired = list(
        GradingJob.objects.filter(state=JobState.RUNNING, lease_expires_at__lt=now).values_list(
            "pk", flat=True
        )
    )
    stale = list(
        GradingJob.objects.filter(state=JobState.QUEUED, enqueued_at__lt=now - stale_after).values_list(
            "pk", flat=True
        )
    )
    for job_id in [*expired, *stale]:
        with transaction.atomic():
            job = GradingJob.objects.select_for_update(of=("self",)).filter(pk=job_id).first()
            if job is None:
                continue
            lease_gone = job.state == JobState.RUNNING and job.lease_expires_at and job.lease_expires_at < now
            lost_message = (
                job.state == JobState.QUEUED and job.enqueued_at and job.enqueued_at < now - stale_after
            )
            if not (lease_gone or lost_message):
                continue
            if lease_gone:
                job.events = [*job.events, _event("requeued", reason="lease expired", worker=job.worker)]
            job.state = JobState.QUEUED
            job.lease_token = ""
            job.lease_expires_at = None
            job.enqueued_at = timezone.now()
            job.save()
            job_enqueue(job_id=job.pk, queue=job.queue)
            requeued.append(job.pk)
    if requeued:
        log.warning("requeued grading jobs %s", requeued)
    return requeued


def submission_regrade(*, submission: Submission) -> GradingJob:
    """A new grading run of the same stored notebook; earlier jobs and their results are kept."""
    with transaction.atomic():
        return job_create(submission=submission, reason="regrade")


def assignment_regrade(*, assignment: Assignment) -> int:
    """Regrade every submission of the assignment against its current source (e.g. after the tests changed)."""
    count = 0
    with transaction.atomic():
        for submission in Submission.objects.filter(assignment=assignment).select_related("assignment"):
            job_create(submission=submission, reason="regrade")
            count += 1
    return count
