"""Run one grading job in a worker: claim it, keep the lease alive, call the engine, record the result once.

The engine (`graders.autograde`) runs the notebook in its sandbox; this process never executes student code.
A heartbeat thread extends the lease while the engine works; progress reports become the live status the
student sees. Exceptions from the engine are infrastructure errors (retried a bounded number of times); a
notebook that crashes, times out or belongs to another assignment is a normal result with a score.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from django.conf import settings
from django.db import connection

from courseweb.homework import storage
from courseweb.homework.engine import engine_autograde
from courseweb.homework.services.grading import (
    Claim,
    JobOutcome,
    job_claim,
    job_complete,
    job_heartbeat,
    job_infra_failure,
    job_progress,
    lease_seconds,
)
from gpu_runner import GpuLease, device_nodes, gpu_inventory, gpu_lease
from graders import AutogradeResult, ProgressEvent

log = logging.getLogger(__name__)
PROGRESS_MIN_INTERVAL_S = 0.5


def _heartbeat_loop(*, claim: Claim, stop: threading.Event, lost: threading.Event) -> None:
    interval = max(0.5, lease_seconds() / 3)
    try:
        while not stop.wait(interval):
            try:
                if not job_heartbeat(job_id=claim.job_id, token=claim.token):
                    lost.set()
                    return
            except Exception:  # a busy or restarting database must not end the heartbeat
                log.exception("heartbeat for job %s failed", claim.job_id)
                # the next beat retries on a new connection: Django never reopens one the server closed (a
                # restart), so every later beat would fail on it and the lease expire under a running job
                connection.close()
    finally:
        connection.close()


class ProgressReporter:
    """The engine's `on_progress` callback: phase changes become timestamped events, the rest is throttled."""

    def __init__(self, claim: Claim) -> None:
        self.claim = claim
        self.last_key: tuple[str, str] | None = None
        self.last_write = 0.0
        # a report held back by the throttle is written when the interval is over (a timer), so that a long
        # cell that starts right after another one still shows as the running cell
        self.lock = threading.Lock()
        self.pending: Mapping[str, object] | None = None
        self.timer: threading.Timer | None = None

    def __call__(self, event: ProgressEvent) -> None:
        phase, notebook = event.phase, event.notebook or ""
        progress = {
            "phase": phase,
            "notebook": notebook,
            "cell_index": event.cell_index,
            "cell_count": event.cell_count,
            "message": event.message[:200],
            "attempt": self.claim.attempt,
        }
        key = (phase, notebook)
        with self.lock:
            changed = key != self.last_key
            now = time.monotonic()
            if not changed and now - self.last_write < PROGRESS_MIN_INTERVAL_S:
                self.pending = progress
                if self.timer is None:
                    self.timer = threading.Timer(
                        PROGRESS_MIN_INTERVAL_S - (now - self.last_write), self.flush
                    )
                    self.timer.daemon = True
                    self.timer.start()
                return
            self.pending = None
            self.last_key, self.last_write = key, now
        marker = {"phase": phase, "notebook": notebook} if changed else None
        self.write(progress, marker)

    def write(self, progress: Mapping[str, object], marker: Mapping[str, object] | None) -> None:
        try:
            job_progress(job_id=self.claim.job_id, token=self.claim.token, progress=progress, event=marker)
        except Exception:  # progress is best effort; grading goes on
            log.exception("progress report for job %s failed", self.claim.job_id)

    def flush(self) -> None:
        """The timer's thread: write the report the throttle held back (on this thread's own connection)."""
        with self.lock:
            progress, self.pending, self.timer = self.pending, None, None
            if progress is None:
                return
            self.last_write = time.monotonic()
        try:
            self.write(progress, None)
        finally:
            connection.close()

    def close(self) -> None:
        with self.lock:
            timer, self.timer, self.pending = self.timer, None, None
        if timer is not None:
            timer.cancel()


def _feedback_write(*, result: AutogradeResult, job_id: int, attempt: int) -> str:
    """Store each feedback notebook as feedback/<job>/<attempt>/<stem>.ipynb; returns the common prefix.

    The files go through the homework storage, so a web host without this worker's disk can show them.
    """
    prefix = f"feedback/{job_id}/{attempt}"
    for stale in storage.files_under(prefix):  # an earlier run of this attempt
        storage.homework_storage().delete(stale)
    for stem, nb_result in result.notebooks.items():
        data = json.dumps(nb_result.feedback_notebook, default=_mapping_as_dict).encode("utf-8")
        storage.file_write(name=f"{prefix}/{stem}.ipynb", data=data)
    return prefix


def _mapping_as_dict(value: object) -> dict[str, object]:
    """JSON for the read-only mappings a feedback notebook may hold."""
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def outcome_from_result(*, result: AutogradeResult, job_id: int, attempt: int = 1) -> JobOutcome:
    """The one conversion of the engine's result into the job's stored outcome (feedback notebooks written)."""
    return JobOutcome(
        score=result.score,
        max_score=result.max_score,
        needs_manual=result.needs_manual,
        cells={
            stem: {
                gid: {"score": c.score, "max_score": c.max_score, "status": c.status, "message": c.message}
                for gid, c in nb.cells.items()
            }
            for stem, nb in result.notebooks.items()
        },
        flags=list(result.flags),
        engine={
            "timings": {k: round(v, 4) for k, v in result.timings.items()},
            "resources": result.resources.to_json(),
            "sandbox": result.sandbox,
        },
        error=result.error or "",
        source_hash=result.source_hash,
        feedback_dir=_feedback_write(result=result, job_id=job_id, attempt=attempt),
    )


@contextlib.contextmanager
def _gpu_for(claim: Claim) -> Iterator[GpuLease | None]:
    """A lease on one of this node's GPUs for a job of the gpu profile (held while it runs); None for CPU jobs.

    A GPU job on a node without a GPU, or whose GPUs stay busy, is an infrastructure failure: it is retried
    (and in the end failed with the staff told) rather than silently graded without a GPU.
    """
    if claim.route.profile != "gpu":
        yield None
        return
    with gpu_lease(
        gpus=gpu_inventory(),
        lock_dir=Path(settings.GPU_LEASE_DIR),
        slots=max(1, int(settings.GPU_SLOTS_PER_GPU)),
        memory_mb=claim.gpu_memory_mb,
        budget_mb=int(settings.GPU_MEMORY_BUDGET_MB) or None,
        wait_s=float(settings.GPU_LEASE_WAIT_S),
    ) as lease:
        yield lease


def grading_run(*, job_id: int, worker: str) -> str:
    """Grade the job if nobody else holds it; returns what happened (graded, skipped, lost, retry, failed)."""
    claim = job_claim(job_id=job_id, worker=worker)
    if claim is None:
        return "skipped"
    stop, lost = threading.Event(), threading.Event()
    beat = threading.Thread(
        target=_heartbeat_loop, kwargs={"claim": claim, "stop": stop, "lost": lost}, daemon=True
    )
    beat.start()
    workdir = Path(tempfile.mkdtemp(prefix=f"grading-job{job_id}-"))
    reporter = ProgressReporter(claim)
    try:
        submission_dir = workdir / "submission"
        submission_dir.mkdir()
        with (
            storage.file_open(claim.storage_path) as stored,
            open(submission_dir / f"{claim.stem}.ipynb", "wb") as copy,
        ):
            shutil.copyfileobj(stored, copy)  # the sandbox needs a local file; the storage may be a bucket
        with _gpu_for(claim) as gpu:
            result = engine_autograde(
                source=Path(claim.source_dir),
                submission=submission_dir,
                seed=claim.seed,
                on_progress=reporter,
                limits=claim.route.limits or None,
                env=gpu.env if gpu else None,
                devices=tuple(device_nodes(gpu.gpu, dev_dir=Path(settings.GPU_DEV_DIR))) if gpu else (),
            )
            outcome = outcome_from_result(result=result, job_id=job_id, attempt=claim.attempt)
            outcome["engine"] = {
                **outcome["engine"],
                "profile": claim.route.profile,
                "gpu": gpu.describe() if gpu else None,
            }
    except Exception as exc:
        log.exception("grading job %s: engine failure", job_id)
        return job_infra_failure(job_id=job_id, token=claim.token, error=f"{type(exc).__name__}: {exc}")
    finally:
        reporter.close()
        stop.set()
        beat.join(timeout=5)
        shutil.rmtree(workdir, ignore_errors=True)
    if lost.is_set() or not job_complete(job_id=job_id, token=claim.token, outcome=outcome):
        log.warning("grading job %s: lease lost, result discarded", job_id)
        return "lost"
    return "graded"
