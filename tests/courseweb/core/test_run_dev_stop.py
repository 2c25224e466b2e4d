"""Ctrl-C stops `make run` completely: web server, worker, hub, proxy and every sandbox (issue 10, defect 18).

`bin/run-dev` (what `make run` runs) is started in its own process group with a throw-away var dir and a free
port, as a terminal would; once /healthz answers and the worker's processes have warmed their sandboxes, the
group gets SIGINT (Ctrl-C). Then nothing it started may be left: no process of its group, no process in the
sessions of its children, no descendant seen before the signal. The wait for that outcome is generous (a loaded
machine is slow); the assertion is "nothing left", never how long it took.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.workers import REPO, wait_for

pytestmark = pytest.mark.workers


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _procs() -> dict[int, tuple[int, int, int, str, int, str]]:
    """pid -> (ppid, pgid, sid, comm, start time, state) of every process on the machine."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        found[int(entry)] = (int(fields[1]), int(fields[2]), int(fields[3]), comm, int(fields[19]), fields[0])
    return found


def _tree(root: int, procs: dict[int, tuple]) -> dict[int, tuple]:
    children: dict[int, list[int]] = {}
    for pid, info in procs.items():
        children.setdefault(info[0], []).append(pid)
    out, stack = {}, [root]
    while stack:
        pid = stack.pop()
        if pid in procs:
            out[pid] = procs[pid]
        stack.extend(children.get(pid, []))
    return out


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status in (200, 503)
    except urllib.error.HTTPError as exc:
        return exc.code in (200, 503)
    except OSError:
        return False


def _left(before: dict[int, tuple], pgid: int, sessions: set[int]) -> list[str]:
    """Processes still running from the snapshot, the script's group or its children's sessions."""
    now = _procs()
    left = []
    for pid, info in now.items():
        if info[5] in ("Z", "X"):  # exited, waiting to be reaped by its parent
            continue
        same = pid in before and before[pid][4] == info[4]
        if same or info[1] == pgid or info[2] in sessions:
            left.append(f"{pid} {info[3]}")
    return left


def test_ctrl_c_stops_the_server_the_worker_and_every_sandbox(tmp_path: Path) -> None:
    if not Path("/usr/bin/bwrap").exists():
        pytest.skip("bubblewrap is not installed: no sandbox would start")
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "DJANGO_", "COURSEWEB_BROKER_PER_XDIST", "CELERY_FS_BROKER_DIR"))
    }
    env.pop("DATABASE_URL", None)  # the embedded defaults: SQLite and the filesystem broker
    env.pop("CELERY_BROKER_URL", None)
    env.update({"COURSEWEB_VAR_DIR": str(tmp_path / "var"), "PORT": str(port), "WORKER_CONCURRENCY": "2"})
    # the hub and its proxy start too, on free ports (never a developer's make run's 8001/8002/8081)
    hub, proxy, hub_api = _free_port(), _free_port(), _free_port()
    env.update(
        {
            "HUB_URL": f"http://127.0.0.1:{hub}",
            "HUB_PROXY_API_URL": f"http://127.0.0.1:{proxy}",
            "HUB_API_BIND_URL": f"http://127.0.0.1:{hub_api}",
        }
    )
    for key in ("HUB_SERVICE_TOKEN", "HUB_CLIENT_SECRET", "HUB_STATE_DIR"):
        env.pop(key, None)
    log = (tmp_path / "run-dev.log").open("w")
    proc = subprocess.Popen(
        [str(REPO / "bin" / "run-dev")],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        # as from a terminal: a shell started with SIGINT ignored (a background job) cannot trap it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    log_text = lambda: (tmp_path / "run-dev.log").read_text()[-4000:]  # noqa: E731
    sessions: set[int] = {proc.pid}
    try:
        try:
            wait_for(
                lambda: proc.poll() is not None or _healthy(f"http://127.0.0.1:{port}/healthz"),
                timeout=600,
                what="/healthz",
            )
            assert proc.poll() is None, "bin/run-dev exited early"
            wait_for(
                lambda: _healthy(f"http://127.0.0.1:{hub}/hub/api/"),
                timeout=300,
                what="the hub behind its proxy",
            )
            # both worker processes warm a sandbox slot when they start: wait until they are running
            wait_for(
                lambda: sum(info[3] == "bwrap" for info in _tree(proc.pid, _procs()).values()) >= 2,
                timeout=300,
                what="two warm grading sandboxes",
            )
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{log_text()}") from exc
        before = _tree(proc.pid, _procs())
        sessions |= {info[2] for info in before.values()}
        assert len(sessions) >= 3, "the web server and the worker run in sessions of their own"
        os.killpg(proc.pid, signal.SIGINT)
        with contextlib.suppress(AssertionError):
            wait_for(lambda: not _left(before, proc.pid, sessions), timeout=30, what="everything to stop")
        assert _left(before, proc.pid, sessions) == [], log_text()
        assert proc.wait(timeout=30) is not None
    finally:
        # a failure before the snapshot (no /healthz, no warm sandbox) must still find the sessions of the web server
        # and the worker: read them while the script is alive and still their parent
        sessions |= {info[2] for info in _tree(proc.pid, _procs()).values()}
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        # whatever failed, leave nothing behind: the script's tree and every session its children started
        for sid in sessions:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(sid, signal.SIGKILL)
        procs = _procs()
        tree = _tree(proc.pid, procs)
        for pid, info in procs.items():
            if pid in tree or info[2] in sessions:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=30)
        log.close()
