"""Celery tasks: e-mail notifications (queued after commit by `services.notify`), deadline reminders and the
staff's daily digest (run by beat, see courseweb/celery.py). Each calls one service."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .emails import emails_send
from .reminders import digest_send, reminders_send
from .services import EMAIL_TASK


@shared_task(name=EMAIL_TASK)
def notifications_email(notification_ids: list[int]) -> int:
    """Send each notification's e-mail once (`emails.emails_send`)."""
    return emails_send(notification_ids=notification_ids)


@shared_task(name="notifications.reminders")
def deadline_reminders() -> int:
    return reminders_send(now=timezone.now())


@shared_task(name="notifications.digest")
def staff_digest() -> int:
    return digest_send(now=timezone.now())
