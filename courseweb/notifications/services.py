"""Writes for notifications: `notify` (the one way any part of the site tells users something), marking read,
and the per-kind preferences.

`notify` stores a notification for each user (shown under the bell) and, for those whose preference for that kind
is e-mail, queues one Celery task after the transaction commits: a rolled-back change sends nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from celery import current_app
from django.db import transaction
from django.utils import timezone

from .models import CONFIGURABLE, Delivery, Kind, Notification, Preference

EMAIL_TASK = "notifications.email"  # the Celery task that sends notifications' e-mails (courseweb/notifications/tasks.py)


def delivery_for(*, user_ids: Iterable[int], kind: str) -> dict[int, str]:
    """Each user's delivery for `kind` (e-mail unless they chose the site only); one query."""
    ids = list(user_ids)
    chosen = dict(Preference.objects.filter(user_id__in=ids, kind=kind).values_list("user_id", "delivery"))
    if kind == Kind.ACCOUNT:
        return dict.fromkeys(ids, Delivery.EMAIL)
    return {uid: chosen.get(uid, Delivery.EMAIL) for uid in ids}


def notify(
    *, users: Iterable[Any], kind: str, title: str, body: str = "", url: str = ""
) -> list[Notification]:
    """Tell each user (duplicates once): a notification on the site, and an e-mail after commit if they want it."""
    unique = {u.pk: u for u in users if u is not None and getattr(u, "is_active", True)}
    if not unique:
        return []
    delivery = delivery_for(user_ids=unique, kind=kind)
    created = Notification.objects.bulk_create(
        [
            Notification(
                user_id=uid,
                kind=kind,
                title=title[:300],
                body=body,
                url=url[:500],
                email_wanted=delivery[uid] == Delivery.EMAIL and bool(user.email),
            )
            for uid, user in unique.items()
        ]
    )
    if any(n.pk is None for n in created):  # backends that do not return ids from bulk inserts
        created = list(
            Notification.objects.filter(user_id__in=unique, kind=kind).order_by("-pk")[: len(unique)]
        )
    to_send = [n.pk for n in created if n.email_wanted]
    if to_send:
        transaction.on_commit(lambda: _enqueue(to_send))
    return created


def _enqueue(ids: list[int]) -> None:
    """Found by name in the Celery app's registry (the app registers its tasks in every process), so this module
    does not import the tasks module, which imports it."""
    current_app.tasks[EMAIL_TASK].delay(ids)


def notification_mark_read(*, user: Any, notification_id: int) -> Notification:
    notification = Notification.objects.get(pk=notification_id, user=user)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: Any) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


def preferences_set(*, user: Any, choices: dict[str, str]) -> None:
    """Save the user's delivery for each configurable kind (unknown kinds and values are ignored)."""
    valid = set(Delivery.values)
    with transaction.atomic():
        for kind in CONFIGURABLE:
            value = choices.get(kind.value)
            if value in valid:
                Preference.objects.update_or_create(user=user, kind=kind.value, defaults={"delivery": value})
