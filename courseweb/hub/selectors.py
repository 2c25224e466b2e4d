"""Reads of the hub app."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from django.conf import settings

from courseweb.hub.models import HubOpen, OpenState


def hub_opened_before(*, user: Any, assignment: Any) -> bool:
    return HubOpen.objects.filter(user=user, assignment=assignment, state=OpenState.DONE).exists()


def open_events(*, row: HubOpen) -> list[tuple[str, datetime]]:
    """(state label, when) of each step the request went through."""
    return [(OpenState(e["state"]).label, datetime.fromisoformat(e["at"])) for e in row.events]


def hub_lab_url(*, open_path: str) -> str:
    """JupyterLab at the placed notebook, through the hub (which logs the user in through the site)."""
    return f"{settings.HUB_URL}/hub/user-redirect/lab/tree/{quote(open_path)}"
