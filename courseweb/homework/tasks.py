"""Celery tasks for homework grading: thin wrappers that take ids and call one service.

`grade_job` runs on the queue `grading_route` chose for the job (`grading`, or `gpu` where GPU nodes grade or a
`requires_gpu` assignment waits for one). It is idempotent (the job row's
state machine and lease decide whether there is anything to do), acknowledged late and rejected when its worker
is lost, so Redis redelivers it; the filesystem broker drops such messages, which is why every worker also runs
the lease reaper: a daemon thread started on `worker_ready` that calls `jobs_reap` every few seconds (no extra
process or `-B` needed). `reap_grading_jobs` is the same as a task, for deployments that prefer celery beat.
"""

from __future__ import annotations

import logging
import threading

from celery import shared_task
from celery.signals import worker_process_init, worker_process_shutdown, worker_ready
from django.conf import settings
from django.db import close_old_connections, connection

from courseweb.homework.engine import engine_pool_close, engine_prewarm
from courseweb.homework.services.grading import GRADE_JOB_TASK, jobs_reap
from courseweb.homework.services.runner import grading_run

log = logging.getLogger(__name__)

# The engine's own hard limit is 300 s per submission by default; the Redis visibility timeout is twice this.
TASK_TIME_LIMIT_S = 600


@shared_task(
    name=GRADE_JOB_TASK,
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=TASK_TIME_LIMIT_S,
    soft_time_limit=TASK_TIME_LIMIT_S - 30,
    bind=True,
)
def grade_job(self, job_id: int) -> str:
    return grading_run(job_id=job_id, worker=str(self.request.hostname or "worker"))


@shared_task(name="homework.reap_grading_jobs")
def reap_grading_jobs() -> list[int]:
    return jobs_reap()


_reaper_started = threading.Event()


def _reaper_loop(stop: threading.Event) -> None:
    interval = float(settings.HOMEWORK_REAPER_INTERVAL_S)
    while not stop.wait(interval):
        try:
            close_old_connections()
            jobs_reap()
        except Exception:  # the database may be busy or restarting; try again next round
            log.exception("grading reaper round failed")
        finally:
            connection.close()


@worker_ready.connect(weak=False)
def _start_reaper(**_kwargs) -> None:
    if _reaper_started.is_set():
        return
    _reaper_started.set()
    threading.Thread(
        target=_reaper_loop, args=(threading.Event(),), name="grading-reaper", daemon=True
    ).start()


@worker_process_init.connect(weak=False)
def _warm_engine(**_kwargs) -> None:
    engine_prewarm()


@worker_process_shutdown.connect(weak=False)
def _close_engine(**_kwargs) -> None:
    engine_pool_close()
