"""Reads for accounts: when a log-in lockout ends."""

from __future__ import annotations

from datetime import datetime

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.db.models import Max
from django.http import HttpRequest


def lockout_ends_at(*, request: HttpRequest, credentials: dict | None) -> datetime | None:
    """When the (username, address) pair of this request may try again: its last counted failure + cool-off."""
    attempts = getattr(AxesProxyHandler.get_implementation(), "get_user_attempts", None)
    if attempts is None:  # a handler that keeps no attempt times (the default database handler does)
        return None
    AxesProxyHandler.update_request(request)
    latest = [q.aggregate(last=Max("attempt_time"))["last"] for q in attempts(request, credentials)]
    latest = [t for t in latest if t is not None]
    cool_off = get_cool_off(request)
    if not latest or cool_off is None:
        return None
    return max(latest) + cool_off


def role_change_list(*, offering, limit: int = 200) -> list:
    """The latest role changes in the offering, newest first (for the instructor's roster page)."""
    from .models import RoleChange

    return list(RoleChange.objects.filter(offering=offering).select_related("user", "changed_by")[:limit])
