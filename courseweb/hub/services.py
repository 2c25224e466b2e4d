"""Open a homework in the student's JupyterHub server: start (or reuse) it, place the released files there.

`hub_open_create` records the request and queues `hub.open_run` on commit; `hub_open_perform` (the task's
service) claims the row once (a redelivered message finds it claimed and does nothing), starts the server
through the hub's REST API, waits until it is ready, and writes through the server's contents API (so it works
the same wherever the hub runs) into `<assignment key>/`:

* each released notebook `<stem>.ipynb`, its metadata recording the offering, assignment and stem (so a renamed
  or fresh copy still submits to the right place); an existing notebook is never overwritten: it is kept, or,
  for "get a fresh copy", a new copy `<stem>-fresh-<n>.ipynb` is put beside it;
* the assignment's data files (the release manifest's `files`) that are missing.

Only the release (`Assignment.release_dir`) is read: never the source folder with its hidden tests.
"""

from __future__ import annotations

import base64
import time
from pathlib import Path, PurePosixPath
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from courseweb.accounts.oidc import course_groups, hub_username
from courseweb.homework.engine import engine_release_manifest, engine_released_notebook
from courseweb.hub import client
from courseweb.hub.models import HubOpen, OpenState

NOTEBOOK_METADATA_KEY = "course"
ERR_SERVER_STOPPED = "Your JupyterHub server stopped while starting; please try again."
ERR_SERVER_SLOW = "Your JupyterHub server did not start within {s} s; please try again."
ERR_OTHER_PROFILE = (
    "Your JupyterHub server is running as a {running} server; stop it in JupyterHub (File > Hub Control Panel >"
    " Stop My Server) to open this homework on a {asked} server, or open it on the {running} server."
)
ERR_UNSAFE_PATH = "The release lists a file outside the assignment folder: {path}"
OPEN_RUN_TASK = "hub.open_run"  # the Celery task that runs `hub_open_perform` (courseweb/hub/tasks.py)


def _event(state: str) -> dict[str, str]:
    return {"state": state, "at": timezone.now().isoformat()}


def hub_open_create(*, user: Any, assignment: Any, fresh: bool = False, profile: str = "cpu") -> HubOpen:
    """Record the request and queue `OPEN_RUN_TASK` once it commits.

    The task is found by name in the Celery app's registry (the hub app registers its tasks in every process),
    so this module does not import the tasks module, which imports it.
    """
    with transaction.atomic():
        row = HubOpen.objects.create(
            user=user, assignment=assignment, fresh=fresh, profile=profile, events=[_event(OpenState.QUEUED)]
        )
        transaction.on_commit(lambda: current_app.tasks[OPEN_RUN_TASK].delay(row.pk))
    return row


def _move(row: HubOpen, state: str, **fields: Any) -> None:
    row.state = state
    row.events = [*row.events, _event(state)]
    if state in (OpenState.DONE, OpenState.FAILED):
        row.finished_at = timezone.now()
    for key, value in fields.items():
        setattr(row, key, value)
    row.save()


def _claim(open_id: int) -> HubOpen | None:
    with transaction.atomic():
        row = HubOpen.objects.select_for_update().filter(pk=open_id).first()
        if row is None or row.state != OpenState.QUEUED:
            return None
        _move(row, OpenState.STARTING)
    return row


def hub_open_perform(*, open_id: int) -> str:
    row = _claim(open_id)
    if row is None:
        return "nothing to do"
    row = HubOpen.objects.select_related("user", "assignment__offering").get(pk=open_id)
    name = hub_username(row.user)
    try:
        _server_ready(name, course_groups(row.user), profile=row.profile)
        _move(row, OpenState.COPYING)
        placed, open_path = place_release(name=name, assignment=row.assignment, fresh=row.fresh)
    except (client.HubError, ValueError, OSError) as exc:
        _move(row, OpenState.FAILED, error=str(exc)[:2000])
        return "failed"
    _move(row, OpenState.DONE, placed=placed, open_path=open_path)
    return "done"


def _server_ready(name: str, groups: list[str], *, profile: str = "cpu") -> None:
    client.user_ensure(name=name, groups=groups)
    state = client.server_state(name=name)
    if state.exists and state.profile != profile:
        raise client.HubError(ERR_OTHER_PROFILE.format(running=state.profile.upper(), asked=profile.upper()))
    if not state.ready:
        if not state.pending:
            client.server_start(name=name, user_options={"profile": profile})
        deadline = time.monotonic() + settings.HUB_SPAWN_WAIT_S
        while True:
            state = client.server_state(name=name)
            if state.ready:
                break
            if not state.exists and not state.pending:
                raise client.HubError(ERR_SERVER_STOPPED)
            if time.monotonic() > deadline:
                raise client.HubError(ERR_SERVER_SLOW.format(s=settings.HUB_SPAWN_WAIT_S))
            time.sleep(1)


def _release_files(assignment: Any) -> list[str]:
    files = []
    for rel in engine_release_manifest(Path(assignment.release_dir)).files:
        path = PurePosixPath(rel)
        if path.is_absolute() or ".." in path.parts:
            raise ValueError(ERR_UNSAFE_PATH.format(path=rel))
        files.append(path.as_posix())
    return files


def _ensure_folders(name: str, path: str) -> None:
    parts = PurePosixPath(path).parts[:-1]
    for depth in range(1, len(parts) + 1):
        folder = "/".join(parts[:depth])
        if client.contents_get(name=name, path=folder) is None:
            client.contents_put(name=name, path=folder, model={"type": "directory"})


def _free_copy_name(name: str, folder: str, stem: str) -> str:
    n = 1
    while client.contents_get(name=name, path=f"{folder}/{stem}-fresh-{n}.ipynb") is not None:
        n += 1
    return f"{folder}/{stem}-fresh-{n}.ipynb"


def place_release(*, name: str, assignment: Any, fresh: bool) -> tuple[list[dict[str, str]], str]:
    """Write the release into the user's server; returns what was written or kept and the notebook to open."""
    release = Path(assignment.release_dir)
    folder = assignment.key
    placed: list[dict[str, str]] = []
    open_path = ""
    _ensure_folders(name, f"{folder}/x")
    for stem in assignment.notebooks:
        target = f"{folder}/{stem}.ipynb"
        exists = client.contents_get(name=name, path=target) is not None
        if exists and not fresh:
            placed.append({"path": target, "action": "kept"})
        else:
            if exists:
                target = _free_copy_name(name, folder, stem)
            notebook = engine_released_notebook(release_dir=release, stem=stem)
            notebook.setdefault("metadata", {})[NOTEBOOK_METADATA_KEY] = {
                "offering": assignment.offering.slug,
                "assignment": assignment.key,
                "stem": stem,
            }
            client.contents_put(
                name=name, path=target, model={"type": "notebook", "format": "json", "content": notebook}
            )
            placed.append({"path": target, "action": "written"})
        open_path = open_path or target
    for rel in _release_files(assignment):
        target = f"{folder}/{rel}"
        if client.contents_get(name=name, path=target) is not None:
            placed.append({"path": target, "action": "kept"})
            continue
        _ensure_folders(name, target)
        data = base64.b64encode((release / rel).read_bytes()).decode()
        client.contents_put(
            name=name, path=target, model={"type": "file", "format": "base64", "content": data}
        )
        placed.append({"path": target, "action": "written"})
    return placed, open_path


# ----- server runs (what the GPU quota counts) -----


def _close_open(*, user: Any, at: Any, ended: str) -> int:
    from courseweb.hub.models import HubUsage

    return HubUsage.objects.filter(user=user, stopped_at__isnull=True).update(stopped_at=at, ended=ended)


def usage_start(*, user: Any, profile: str, gpu: dict | None = None) -> Any:
    """The spawner reports a server start: a run from now, GPU runs counted against the offering that allows them.
    A run still open (a server that ended without a stop report) is closed now."""
    from courseweb.hub.models import HubUsage, Profile, UsageEnd
    from courseweb.hub.selectors import gpu_allowance

    if profile not in Profile.values:
        raise ValueError(f"unknown profile {profile!r}")
    now = timezone.now()
    offering = gpu_allowance(user=user, at=now).offering if profile == Profile.GPU else None
    with transaction.atomic():
        _close_open(user=user, at=now, ended=UsageEnd.REPLACED)
        return HubUsage.objects.create(
            user=user, offering=offering, profile=profile, started_at=now, gpu=gpu or {}
        )


def usage_stop(*, user: Any) -> int:
    """The spawner reports a server stop: its open run ends now."""
    from courseweb.hub.models import UsageEnd

    return _close_open(user=user, at=timezone.now(), ended=UsageEnd.STOPPED)


def _active_hub_users() -> set[str]:
    """Names of the hub users with a server running or starting (the hub's API, page by page)."""
    names: set[str] = set()
    offset, limit = 0, 200
    while True:
        page = client.api(
            "GET", "/users", params={"state": "active", "offset": offset, "limit": limit}
        ).json()
        names |= {u["name"] for u in page if u.get("servers")}
        if len(page) < limit:
            return names
        offset += limit


def usage_reconcile() -> dict[str, list[str]]:
    """Close the runs of servers the hub no longer runs (stopped without a report), and stop the GPU servers
    whose user's GPU quota is used up.  Returns the hub users of each."""
    from courseweb.hub.models import HubUsage, Profile, UsageEnd
    from courseweb.hub.selectors import gpu_allowance

    if not client.hub_configured():
        return {"closed": [], "stopped": []}
    active = _active_hub_users()
    closed, stopped = [], []
    now = timezone.now()
    for row in HubUsage.objects.filter(stopped_at__isnull=True).select_related("user"):
        name = hub_username(row.user)
        if name not in active:
            HubUsage.objects.filter(pk=row.pk, stopped_at__isnull=True).update(
                stopped_at=now, ended=UsageEnd.RECONCILED
            )
            closed.append(name)
        elif row.profile == Profile.GPU and not gpu_allowance(user=row.user, at=now).may_start:
            client.api("DELETE", f"/users/{name}/server", ok=(202, 204))
            stopped.append(name)
    return {"closed": closed, "stopped": stopped}
