"""A worker whose process group is killed (kill -9) mid-job: another worker finishes it, exactly once.

The victim is killed while its job runs inside the engine's sandbox (a cell sleeps); the rescuer's lease reaper
requeues the job once the victim's lease expires. Runs on the configured broker (embedded locally, Redis in CI).
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from courseweb.homework.models import GradingJob, Submission
from courseweb.homework.services.submissions import submission_create
from tests.courseweb.homework.notebooks import ANSWERS_RIGHT, student_notebook, to_bytes
from tests.courseweb.homework.test_workers import BROKERS, _env, _job_state, _require_broker
from tests.workers import celery_worker, stop_worker, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _descendants(root: int) -> set[int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found, frontier = set(), {root}
    while frontier:
        children = {pid for pid, ppid in parents.items() if ppid in frontier} - found
        found |= children
        frontier = children
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@pytest.mark.parametrize("broker", BROKERS)
def test_worker_killed_mid_job_another_worker_finishes_exactly_once(broker, tiny, released, solo, hw_media):
    _require_broker(broker)
    env = _env(hw_media, HOMEWORK_LEASE_SECONDS="8")
    slow = student_notebook(released, ANSWERS_RIGHT, extra="import time\ntime.sleep(15)", extra_at="scale")
    with celery_worker(queues="default,grading,gpu", concurrency=1, name="victim", extra_env=env) as victim:
        job = submission_create(user=solo, assignment=tiny, filename="tiny.ipynb", data=to_bytes(slow)).job

        def running_in_sandbox() -> set[int] | None:
            job.refresh_from_db()
            if job.state != "running" or (job.progress or {}).get("cell_index") is None:
                return None
            sandbox = {pid for pid in _descendants(victim.pid) if "bwrap" in _cmdline(pid)}
            return sandbox if sandbox and job.progress["cell_index"] >= 3 else None

        sandbox = wait_for(running_in_sandbox, timeout=180, what="the job to run inside the sandbox")
        doomed = _descendants(victim.pid)
        assert sandbox <= doomed and _job_state(job.pk) == "running"  # killed mid-job, sandbox alive
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(timeout=20)
        stop_worker(victim)
    with celery_worker(queues="default,grading,gpu", concurrency=1, name="rescuer", extra_env=env):
        wait_for(
            lambda: _job_state(job.pk) in ("graded", "failed"),
            timeout=240,
            what="the rescuer to grade the job",
        )
    job.refresh_from_db()
    phases = [e["phase"] for e in job.events]
    assert job.state == "graded" and job.score == 3.0 and job.attempts >= 2
    assert "rescuer" in job.worker and "requeued" in phases
    assert phases.count("finished") == 1  # exactly one result, recorded by the rescuer
    assert GradingJob.objects.filter(submission=job.submission).count() == 1
    assert Submission.objects.count() == 1
    wait_for(
        lambda: not [p for p in doomed if _alive(p)], timeout=20, what="every sandbox process to be gone"
    )
