"""The Celery application: configured from Django settings (CELERY_*), tasks discovered in the apps."""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab
from celery.signals import heartbeat_sent, task_postrun, task_prerun, worker_ready, worker_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "courseweb.settings.dev")

app = Celery("courseweb")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Files kept for an hour when an upload arrived after the session expired (courseweb/homework/quarantine.py).
app.autodiscover_tasks(["courseweb.homework"], related_name="quarantine")


@app.on_after_configure.connect
def _schedule(sender, **_kwargs) -> None:
    sender.add_periodic_task(
        600.0, sender.signature("homework.quarantine_purge"), name="homework-quarantine-purge"
    )
    # Deadline reminders (48 h and 6 h before; each sent at most once, see courseweb/notifications/reminders.py)
    # and the staff's digest of ungraded work at 09:00 Hong Kong time (01:00 UTC).
    sender.add_periodic_task(
        900.0, sender.signature("notifications.reminders"), name="notifications-deadline-reminders"
    )
    sender.add_periodic_task(
        crontab(hour=1, minute=0), sender.signature("notifications.digest"), name="notifications-staff-digest"
    )
    # Buddy evaluations: open each group's at its own deadline and remind those who owe one (courseweb/peer).
    sender.add_periodic_task(600.0, sender.signature("peer.open_and_remind"), name="peer-open-and-remind")
    # JupyterHub runs: close those whose server ended without a stop report, stop GPU servers past their quota.
    sender.add_periodic_task(300.0, sender.signature("hub.usage_reconcile"), name="hub-usage-reconcile")


def _beat(**_kwargs) -> None:
    from courseweb.core.health import worker_heartbeat_write

    worker_heartbeat_write()


worker_ready.connect(_beat, weak=False)


def _task_context(**kwargs) -> None:
    from courseweb.core.observability import task_context_set

    task_context_set(**kwargs)


def _task_context_clear(**kwargs) -> None:
    from courseweb.core.observability import task_context_clear

    task_context_clear(**kwargs)


# every log line of a task carries its job id (courseweb/core/observability.py)
task_prerun.connect(_task_context, weak=False)
task_postrun.connect(_task_context_clear, weak=False)
heartbeat_sent.connect(_beat, weak=False)


@worker_shutdown.connect
def _clear(**_kwargs) -> None:
    from courseweb.core.health import worker_heartbeat_clear

    worker_heartbeat_clear()
