"""Celery task of the hub app: a thin wrapper that takes an id and calls one service (idempotent)."""

from __future__ import annotations

from celery import shared_task

from courseweb.hub.services import hub_open_perform


@shared_task(name="hub.open_run")
def open_run(open_id: int) -> str:
    return hub_open_perform(open_id=open_id)


@shared_task(name="hub.groups_push")
def groups_push(user_id: int) -> str:
    """A user's course roles changed on the site: put their course groups on the hub."""
    from courseweb.hub.groups import hub_groups_push

    return hub_groups_push(user_id=user_id)
