"""Who may open a homework in JupyterHub and follow that request (the one who asked, nobody else), and who may
mint a server's API token (the hub, with its service token)."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404

if TYPE_CHECKING:
    from django.http import HttpRequest

    from courseweb.access import SiteUser
    from courseweb.accounts.models import User
    from courseweb.hub.models import HubOpen

ERROR_NOT_YOURS = "This JupyterHub request is someone else's."
ERROR_NO_HUB = "The course JupyterHub is not configured on this site."
ERROR_NOT_THE_HUB = "Only the course JupyterHub (with its service token) may ask for this."


def access_hub_open(user: SiteUser, open_id: int) -> HubOpen:
    from courseweb.hub.models import HubOpen

    row = HubOpen.objects.select_related("assignment__item").filter(pk=open_id).first()
    if row is None:
        raise Http404("No such request.")
    if row.user_id != user.pk:
        raise PermissionDenied(ERROR_NOT_YOURS)
    return row


def check_hub_available() -> None:
    from courseweb.hub.client import hub_configured

    if not hub_configured():
        raise Http404(ERROR_NO_HUB)


def check_hub_caller(request: HttpRequest) -> None:
    """The request carries the hub's service token (`Authorization: Bearer HUB_SERVICE_TOKEN`)."""
    check_hub_available()
    scheme, _, raw = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        raw.encode(), settings.HUB_SERVICE_TOKEN.encode()
    ):
        raise PermissionDenied(ERROR_NOT_THE_HUB)


def hub_user(name: str) -> User:
    """The active site user a hub username `u<id>` stands for."""
    from django.contrib.auth import get_user_model

    if not (name.startswith("u") and name[1:].isdigit()):
        raise Http404("No such user.")
    user = get_user_model().objects.filter(pk=int(name[1:]), is_active=True).first()
    if user is None:
        raise Http404("No such user.")
    return user
