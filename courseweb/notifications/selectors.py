"""Reads for notifications: the bell's unread count, a user's list, their preferences."""

from __future__ import annotations

from typing import Any

from .models import CONFIGURABLE, Delivery, Notification, Preference


def unread_count(*, user: Any) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notification_list(*, user: Any, limit: int = 200) -> list[Notification]:
    return list(Notification.objects.filter(user=user)[:limit])


def preferences_for(*, user: Any) -> list[tuple[str, str, str]]:
    """(kind, label, delivery) for every configurable kind; e-mail unless the user chose otherwise."""
    chosen = dict(Preference.objects.filter(user=user).values_list("kind", "delivery"))
    return [(k.value, k.label, chosen.get(k.value, Delivery.EMAIL)) for k in CONFIGURABLE]
