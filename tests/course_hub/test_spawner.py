"""From inside a running student server (its kernel, reached through the real proxy), nothing of the site is
reachable: not PostgreSQL or Redis or any other service on the host's loopback, not the site's database file,
ASSIGNMENTS_DIR, the media root, the checkout, or another student's home.  Each student has a uid of the hub's
reserved range (when the hub runs as root), not the grading sandbox's, and a home of their own.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from pathlib import Path

import pytest
from django.conf import settings

from graders.sandbox import DEFAULT_BASE_UID, MAX_SLOTS
from tests.workers import REPO

pytestmark = pytest.mark.workers

PROBE = """
import json, os, socket
def tcp(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=3).close()
        return "reachable"
    except OSError as exc:
        return type(exc).__name__
print(json.dumps({
    "uid": os.getuid(),
    "home": os.path.expanduser("~"),
    "ports": {str(p): tcp(p) for p in PORTS},
    "paths": {p: os.path.exists(p) for p in PATHS},
    "homes": sorted(os.listdir("/home")),
}))
"""


@pytest.fixture
def host_listener():
    """A TCP service on the host's loopback (stands for any site service, whether or not PostgreSQL runs here)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(sock.accept()[0]), daemon=True).start()
    yield sock.getsockname()[1]
    sock.close()


def test_nothing_of_the_site_is_reachable_from_inside_a_student_server(hub_stack, host_listener):
    hub_stack.start_server("u901")
    hub_stack.start_server("u902")
    status, _ = hub_stack.server_request(
        "u902",
        "PUT",
        "/api/contents/secret.txt",
        {"type": "file", "format": "text", "content": "u902's work"},
    )
    assert status == 201
    other_home = hub_stack.state_dir / "homes" / "u902"
    assert (other_home / "secret.txt").read_text() == "u902's work"

    ports = [5432, 6379, host_listener]
    site_db = settings.DATABASES["default"]["NAME"]
    paths = [
        str(site_db),
        str(settings.ASSIGNMENTS_DIR),
        str(settings.MEDIA_ROOT),
        str(REPO / "manage.py"),
        "/var/run/postgresql",
        "/run/postgresql",
        str(other_home),
        "/home/u902",
        str(hub_stack.state_dir),
    ]
    code = f"PORTS = {ports!r}\nPATHS = {paths!r}\n{PROBE}"
    out = hub_stack.run_code("u901", code)
    seen = json.loads(out.strip().splitlines()[-1])

    assert seen["ports"] == {str(p): "ConnectionRefusedError" for p in ports}, seen["ports"]
    assert not any(seen["paths"].values()), seen["paths"]
    assert seen["homes"] == ["u901"]
    assert seen["home"] == "/home/u901"
    # the service the jail could not reach is there for the host: the refusal is the jail's doing
    socket.create_connection(("127.0.0.1", host_listener), timeout=5).close()
    if os.geteuid() == 0:
        assert seen["uid"] == 200000 + 901
        assert not DEFAULT_BASE_UID <= seen["uid"] < DEFAULT_BASE_UID + MAX_SLOTS
        assert (hub_stack.state_dir / "homes" / "u901").stat().st_uid == seen["uid"]
        assert oct((hub_stack.state_dir / "homes" / "u901").stat().st_mode & 0o777) == "0o700"
    else:
        assert seen["uid"] == os.getuid()


def test_a_student_server_keeps_its_files_across_a_restart(hub_stack):
    hub_stack.start_server("u903")
    status, _ = hub_stack.server_request(
        "u903", "PUT", "/api/contents/notes.txt", {"type": "file", "format": "text", "content": "kept"}
    )
    assert status == 201
    hub_stack.stop_server("u903")
    hub_stack.start_server("u903")
    status, model = hub_stack.server_request("u903", "GET", "/api/contents/notes.txt?content=1")
    assert status == 200 and model["content"] == "kept"


def _cgroup_or_skip():
    from graders.sandbox import open_cgroup

    if os.geteuid() != 0:
        pytest.skip("the hub is not root here: its servers run without a cgroup (and it logs why)")
    probe, why = open_cgroup(name="course-hub-probe", memory_bytes=1 << 30, max_pids=64, cpus=1)
    if probe is None:
        pytest.skip(f"no writable cgroup here: {why}")
    probe.remove()


def test_each_server_runs_in_a_cgroup_of_its_own_with_its_profiles_limits(hub_stack):
    from course_hub.data import hub_data
    from course_hub.settings import hub_settings
    from graders.sandbox import CGROUP_ROOT, cgroup_v2

    _cgroup_or_skip()
    cpu = hub_data(hub_settings(hub_stack.env())).profile("cpu")
    hub_stack.start_server("u904")
    out = hub_stack.run_code(
        "u904", "import json, os\nprint(json.dumps([os.getppid(), open('/proc/self/cgroup').read()]))"
    )
    server_pid, inside = json.loads(out.strip().splitlines()[-1])  # the kernel's parent: the server

    name = "course-hub/u904"
    if cgroup_v2():
        memory, pids = CGROUP_ROOT / name, CGROUP_ROOT / name
        assert (memory / "memory.max").read_text().strip() == str(cpu.mem_limit_mb * 1024 * 1024)
        assert (memory / "cpu.max").read_text().split()[0] == str(int(cpu.cpu_limit * 100_000))
        seen_path = next(line for line in inside.splitlines() if line.startswith("0::")).split(":", 2)[2]
    else:
        memory, pids = CGROUP_ROOT / "memory" / name, CGROUP_ROOT / "pids" / name
        assert int((memory / "memory.limit_in_bytes").read_text()) == cpu.mem_limit_mb * 1024 * 1024
        seen_path = next(line for line in inside.splitlines() if ":memory:" in line).split(":", 2)[2]
    assert (pids / "pids.max").read_text().strip() == str(cpu.pids_max)
    assert seen_path in ("/", f"/{name}"), inside  # "/": the jail's own cgroup namespace is rooted there

    def ns_pid(host_pid: str) -> int | None:
        try:
            status = Path(f"/proc/{host_pid}/status").read_text()
        except OSError:
            return None
        return int(next(line for line in status.splitlines() if line.startswith("NSpid:")).split()[-1])

    members = (memory / "cgroup.procs").read_text().split()
    server = [p for p in members if ns_pid(p) == server_pid]
    assert server and b"jail_entry" in Path(f"/proc/{server[0]}/cmdline").read_bytes(), members

    hub_stack.stop_server("u904")
    assert not memory.exists() and not pids.exists()
