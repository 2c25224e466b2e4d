"""Celery tasks of the hub app: thin wrappers that call one service each (idempotent)."""

from __future__ import annotations

from celery import shared_task

from courseweb.hub.services import OPEN_RUN_TASK, hub_open_perform, usage_reconcile


@shared_task(name=OPEN_RUN_TASK)
def open_run(open_id: int) -> str:
    return hub_open_perform(open_id=open_id)


@shared_task(name="hub.usage_reconcile")
def usage_reconcile_task() -> dict[str, list[str]]:
    """Periodic: close the runs of servers that ended without a stop report; stop GPU servers past their quota."""
    return usage_reconcile()


@shared_task(name="hub.groups_push")
def groups_push(user_id: int) -> str:
    """A user's course roles changed on the site: put their course groups on the hub."""
    from courseweb.hub.groups import hub_groups_push

    return hub_groups_push(user_id=user_id)
