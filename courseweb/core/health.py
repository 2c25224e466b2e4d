"""Health of the moving parts: database, broker, Celery workers and (where configured) the JupyterHub.

Workers write a heartbeat row every few seconds from a daemon thread (started on `worker_ready`); a worker
counts as up while its row is at most `WORKER_HEARTBEAT_MAX_AGE` seconds old. When no heartbeat is fresh we
fall back to a broadcast ping with a short timeout and `limit=1`, so /healthz always answers within a second.
"""

from __future__ import annotations

import os
import socket
import threading
from datetime import timedelta

# The project's Celery app (courseweb/celery.py, loaded with Django): named through Celery's current app, so that
# this module and courseweb.celery, which connects its worker signals to it, do not import each other.
from celery import current_app
from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

OK = "ok"
ERROR_NO_WORKER = "no worker heartbeat in the last {age} s and no worker answered a ping"

_thread_started = threading.Event()


def _hostname() -> str:
    return os.environ.get("CELERY_WORKER_NAME") or f"celery@{socket.gethostname()}:{os.getpid()}"


def worker_heartbeat_write(*, queues: str = "") -> None:
    """Record that this worker process is alive; starts the periodic writer on first call."""
    from .models import WorkerHeartbeat

    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        hostname=_hostname(),
        defaults={"seen_at": now, "pid": os.getpid(), "queues": queues},
        create_defaults={"seen_at": now, "started_at": now, "pid": os.getpid(), "queues": queues},
    )
    if not _thread_started.is_set():
        _thread_started.set()
        threading.Thread(target=_beat_forever, name="heartbeat", daemon=True).start()


def _beat_forever() -> None:
    stop = threading.Event()
    while not stop.wait(settings.WORKER_HEARTBEAT_INTERVAL):
        try:
            close_old_connections()
            from .models import WorkerHeartbeat

            WorkerHeartbeat.objects.filter(hostname=_hostname()).update(seen_at=timezone.now())
        except Exception:  # noqa: S112 - a missed beat is reported by /healthz, never fatal
            continue


def worker_heartbeat_clear() -> None:
    from .models import WorkerHeartbeat

    WorkerHeartbeat.objects.filter(hostname=_hostname()).delete()


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return f"error: {exc.__class__.__name__}: {exc}"
    return OK


def check_broker() -> str:
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=0.5)
            if conn.transport_cls == "filesystem" or conn.transport.driver_type == "filesystem":
                folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]
                if not os.access(folder, os.W_OK):
                    return f"error: broker folder {folder} is not writable"
    except Exception as exc:
        return f"error: {exc.__class__.__name__}: {exc}"
    return OK


def workers_alive() -> list:
    from .models import WorkerHeartbeat

    cutoff = timezone.now() - timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE)
    return list(WorkerHeartbeat.objects.filter(seen_at__gte=cutoff))


def check_worker(*, ping: bool = True) -> str:
    try:
        if workers_alive():
            return OK
    except Exception as exc:
        return f"error: {exc.__class__.__name__}: {exc}"
    if ping:
        try:
            replies = current_app.control.ping(timeout=0.4, limit=1)
        except Exception:
            replies = []
        if replies:
            return OK
    return "error: " + ERROR_NO_WORKER.format(age=settings.WORKER_HEARTBEAT_MAX_AGE)


def health_report() -> dict[str, str]:
    """database, broker and worker; plus `hub` where the site is configured to use a JupyterHub."""
    from courseweb.hub.client import hub_check, hub_configured

    database = check_database()
    report = {
        "database": database,
        "broker": check_broker(),
        "worker": check_worker() if database == OK else "error: database unavailable",
    }
    if hub_configured():
        report["hub"] = hub_check()
    return report
