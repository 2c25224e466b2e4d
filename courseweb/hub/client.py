"""The hub's REST API and a user's single-user server, as the site's `courseweb` service sees them.

Every call carries `HUB_SERVICE_TOKEN`; the hub's API is `HUB_API_URL`, a user's server is reached through the
proxy at `HUB_URL/user/<name>/` (its contents API), so the same code works where the hub runs on Kubernetes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests
from django.conf import settings

TIMEOUT_S = 30
ERR_NOT_CONFIGURED = "the hub is not configured (HUB_SERVICE_TOKEN is empty)"


class HubError(RuntimeError):
    """The hub (or a user's server) answered with an error or could not be reached."""


@dataclass(frozen=True)
class ServerState:
    exists: bool
    ready: bool
    pending: str | None
    url: str  # the server's path under HUB_URL, e.g. /user/u7/
    profile: str = "cpu"  # its user_options' profile (course_hub.profiles)


def hub_configured() -> bool:
    return bool(settings.HUB_SERVICE_TOKEN)


def _session() -> requests.Session:
    if not hub_configured():
        raise HubError(ERR_NOT_CONFIGURED)
    session = requests.Session()
    session.headers["Authorization"] = f"token {settings.HUB_SERVICE_TOKEN}"
    return session


def _call(method: str, url: str, *, ok: tuple[int, ...], **kwargs: Any) -> requests.Response:
    try:
        response = _session().request(method, url, timeout=kwargs.pop("timeout", TIMEOUT_S), **kwargs)
    except requests.RequestException as exc:
        raise HubError(f"{method} {url}: {exc.__class__.__name__}: {exc}") from exc
    if response.status_code not in ok:
        raise HubError(f"{method} {url}: HTTP {response.status_code}: {response.text[:300]}")
    return response


def api(method: str, path: str, *, ok: tuple[int, ...] = (200,), **kwargs: Any) -> requests.Response:
    return _call(method, f"{settings.HUB_API_URL}{path}", ok=ok, **kwargs)


def hub_check() -> str:
    """ "ok" when the hub answers through its proxy (HUB_URL) and its API accepts the service token."""
    try:
        response = requests.get(f"{settings.HUB_URL}/hub/api/", timeout=1)
        if response.status_code != 200:
            return f"error: the hub answered HTTP {response.status_code} at {settings.HUB_URL}"
        api("GET", "/user", timeout=1)
    except (requests.RequestException, HubError) as exc:
        return f"error: {exc.__class__.__name__}: {exc}"
    return "ok"


def user_ensure(*, name: str, groups: list[str]) -> None:
    """Create the hub user `name` if the hub does not know it yet (before its first log-in), and put it in its
    course-role groups (as its log-in would, removing course groups the site no longer lists), so the offering's
    staff reach its server from the start."""
    response = api("GET", f"/users/{quote(name)}", ok=(200, 404))
    if response.status_code == 404:
        api("POST", f"/users/{quote(name)}", ok=(201, 409))
        have: set[str] = set()
    else:
        have = set(response.json().get("groups", []))
    _groups_sync(name, have, groups)


def user_groups_set(*, name: str, groups: list[str]) -> bool:
    """Give the hub user `name` exactly these course groups (others of theirs are kept); False when the hub does
    not know the user (their first log-in brings their groups)."""
    response = api("GET", f"/users/{quote(name)}", ok=(200, 404))
    if response.status_code == 404:
        return False
    _groups_sync(name, set(response.json().get("groups", [])), groups)
    return True


def _groups_sync(name: str, have: set[str], groups: list[str]) -> None:
    for group in sorted(set(groups) - have):
        api("POST", f"/groups/{quote(group)}", ok=(201, 409))
        api("POST", f"/groups/{quote(group)}/users", ok=(200,), json={"users": [name]})
    for group in sorted(
        g for g in have - set(groups) if g.startswith("course:")
    ):  # a role the site took away
        api("DELETE", f"/groups/{quote(group)}/users", ok=(200,), json={"users": [name]})


def server_state(*, name: str) -> ServerState:
    model = api("GET", f"/users/{quote(name)}").json()
    server = model.get("servers", {}).get("")
    if not server:
        return ServerState(exists=False, ready=False, pending=None, url=f"/user/{name}/")
    return ServerState(
        exists=True,
        ready=bool(server.get("ready")),
        pending=server.get("pending"),
        url=server["url"],
        profile=(server.get("user_options") or {}).get("profile") or "cpu",
    )


def server_start(*, name: str, user_options: dict | None = None) -> None:
    """Ask the hub to start the user's server (202 while it starts, 201 when started, 400 if running); a start the
    spawner refuses (403: GPU not allowed or quota used up, 503: no GPU free) raises HubError with its reason."""
    response = api(
        "POST", f"/users/{quote(name)}/server", ok=(201, 202, 400, 403, 503), json=user_options or {}
    )
    if response.status_code in (403, 503):
        try:
            reason = response.json().get("message") or response.text
        except ValueError:
            reason = response.text
        raise HubError(reason[:500])
    if response.status_code == 400 and "already running" not in response.text:
        raise HubError(f"starting the server of {name}: {response.text[:300]}")


def _server_url(name: str, path: str) -> str:
    return f"{settings.HUB_URL}/user/{quote(name)}{path}"


def contents_get(*, name: str, path: str, content: bool = False) -> dict | None:
    """The contents-API model of `path` in the user's server, or None when it does not exist."""
    url = _server_url(name, f"/api/contents/{quote(path)}")
    response = _call("GET", url, ok=(200, 404), params={"content": "1" if content else "0"})
    return response.json() if response.status_code == 200 else None


def contents_put(*, name: str, path: str, model: dict) -> dict:
    url = _server_url(name, f"/api/contents/{quote(path)}")
    return _call("PUT", url, ok=(200, 201), data=json.dumps(model)).json()
