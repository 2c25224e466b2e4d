"""Log-in: username or full e-mail address, throttled by django-axes per (username, client address).

`AUTHENTICATION_BACKENDS` lists `LockoutBackend` first (it refuses a locked-out (username, address) pair before any
password is checked) and `UsernameOrEmailBackend` second (it checks the password). Axes counts failures under one
name per account, `lockout_username`, so typing the e-mail address instead of the username does not open a second
set of five tries. The client address comes from `client_address`, which honours `TRUSTED_PROXY_COUNT` reverse
proxies (nginx in deploy/ appends the client's address to X-Forwarded-For).
"""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest


def user_for_login(login: str | None) -> Any | None:
    """The account a typed username or e-mail address names (both case-insensitive), or None."""
    login = (login or "").strip()
    if not login:
        return None
    user_model = get_user_model()
    try:
        return user_model._default_manager.get_by_natural_key(login)
    except (user_model.DoesNotExist, user_model.MultipleObjectsReturned):
        pass
    if "@" not in login:
        return None
    matches = list(user_model._default_manager.filter(email__iexact=login)[:2])
    return matches[0] if len(matches) == 1 else None


class UsernameOrEmailBackend(ModelBackend):
    """Django's model backend that also accepts the account's full e-mail address in the username field."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        user = user_for_login(username)
        if user is None:
            # Hash anyway, so a missing account takes as long as a wrong password (Django's own defence).
            get_user_model()().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


class LockoutBackend(AxesStandaloneBackend):
    """Axes' lockout check. Every log-in form passes the request; a call without one (Django's test client
    `login()`, a shell) has no client address to throttle, so it is left to the next backend."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The name axes counts failures under: the account's username when the login names one, else the typed
    text lowercased (so unknown names are throttled too, without revealing which accounts exist)."""
    field = get_user_model().USERNAME_FIELD
    typed = (credentials or {}).get(field)
    if typed is None:
        typed = getattr(request, "POST", {}).get(field)
    if typed is None:
        return None
    user = user_for_login(typed)
    return user.get_username().lower() if user is not None else typed.strip().lower()


def client_address(request: HttpRequest) -> str | None:
    """The client's IP address: REMOTE_ADDR, or behind `TRUSTED_PROXY_COUNT` proxies the address the outermost
    trusted proxy saw (counted from the right of X-Forwarded-For, which the client cannot forge)."""
    remote = request.META.get("REMOTE_ADDR")
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if proxies <= 0:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    if len(hops) < proxies:
        return remote
    return hops[-proxies]
