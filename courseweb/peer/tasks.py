"""The periodic check: open the buddy evaluations that are due and send the reminders (both idempotent)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(name="peer.open_and_remind")
def peer_open_and_remind() -> int:
    from courseweb.courses.selectors import offering_current

    from .services import evaluations_open, reminders_send

    offering = offering_current()
    if offering is None:
        return 0
    now = timezone.now()
    opened = evaluations_open(offering=offering, now=now)
    return len(opened) + reminders_send(offering=offering, now=now)
