"""Celery task of the hub app: a thin wrapper that takes an id and calls one service (idempotent)."""

from __future__ import annotations

from celery import shared_task

from courseweb.hub.services import hub_open_perform


@shared_task(name="hub.open_run")
def open_run(open_id: int) -> str:
    return hub_open_perform(open_id=open_id)
