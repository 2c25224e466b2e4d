"""Run the engine's CLI on the corpus and observe the machine around it.

Builds every assignment and submission of the corpus under one folder with fresh random tokens, runs
`python -m graders autograde ... --json` as a subprocess with canary secrets in its environment, and provides the
observers the tests assert with: a TCP and a unix-socket server that count connections, a Redis key, a canary
SQLite database, folder digests (nothing changed) and a process scan for each case's marker (nothing left).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import psutil

from .cases import PRELUDE, AttackCase
from .notebooks import Assignment, Cell, student_notebook, write_assignment, write_submission

REPO = Path(__file__).resolve().parents[3]
PYTHON = REPO / ".venv" / "bin" / "python"
SOLUTION_ID = "answers"


def token(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(16)}"


def substitute(text: str, *, values: Mapping[str, str]) -> str:
    for key, value in values.items():
        text = text.replace(f"@@{key}@@", value)
    return text


def substitute_assignment(assignment: Assignment, *, values: Mapping[str, str]) -> Assignment:
    notebooks = {
        stem: [replace(cell, source=substitute(cell.source, values=values)) for cell in cells]
        for stem, cells in assignment.notebooks.items()
    }
    return replace(assignment, notebooks=notebooks)


@dataclass
class Listener:
    """A server on this machine that answers every connection with a token and counts connections."""

    sock: socket.socket
    reply: bytes
    connections: list[str] = field(default_factory=list)

    def start(self) -> Listener:
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def _serve(self) -> None:
        while True:
            try:
                conn, addr = self.sock.accept()
            except OSError:
                return
            self.connections.append(str(addr))
            with contextlib.suppress(OSError):
                conn.sendall(self.reply)
            conn.close()

    def close(self) -> None:
        self.sock.close()


def tcp_listener(*, reply: str) -> Listener:
    if socket.has_dualstack_ipv6():
        sock = socket.create_server(("", 0), family=socket.AF_INET6, dualstack_ipv6=True)
    else:
        sock = socket.create_server(("0.0.0.0", 0))
    return Listener(sock=sock, reply=(reply + "\n").encode()).start()


def unix_listener(path: Path, *, reply: str) -> Listener:
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    os.chmod(path, 0o777)
    sock.listen(16)
    return Listener(sock=sock, reply=(reply + "\n").encode()).start()


def host_address() -> str:
    """This machine's first non-loopback IPv4 address (the attack tries it as well as 127.0.0.1)."""
    for addrs in psutil.net_if_addrs().values():
        for addr in addrs:
            if addr.family == socket.AF_INET and not addr.address.startswith("127."):
                return addr.address
    return "127.0.0.1"


def set_redis_key(key: str, *, value: str) -> bool:
    """Store a key in the local Redis with a raw RESP command; False when Redis is not running."""
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=2) as sock:
            parts = [b"SET", key.encode(), value.encode(), b"EX", b"600"]
            sock.sendall(b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts))
            return sock.recv(100).startswith(b"+OK")
    except OSError:
        return False


def canary_database(path: Path, *, value: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as con:
        con.execute("create table secrets (token text)")
        con.execute("insert into secrets values (?)", (value,))
    return path


def digest(folder: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under folder (to prove nothing was written or changed)."""
    out: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            out[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def processes_with(marker: str) -> list[str]:
    """Live (non-zombie) processes whose name or command line carries the marker."""
    found: list[str] = []
    for proc in psutil.process_iter(["pid", "name", "cmdline", "status"]):
        info = proc.info
        if info.get("status") == psutil.STATUS_ZOMBIE:
            continue
        if marker in (info.get("name") or "") or any(marker in arg for arg in info.get("cmdline") or ()):
            found.append(f"{info['pid']} {info.get('name')} {' '.join(info.get('cmdline') or ())[:120]}")
    return found


def wait_gone(marker: str, *, grace: float = 3.0) -> list[str]:
    deadline = time.monotonic() + grace
    left = processes_with(marker)
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = processes_with(marker)
    return left


@dataclass
class Graded:
    """What one CLI run produced."""

    case: AttackCase
    returncode: int
    result: dict[str, object] | None
    stdout_bytes: int
    stderr_tail: str
    seconds: float
    left_running: list[str]

    def cells(self) -> dict[str, dict[str, object]]:
        notebooks = (self.result or {}).get("notebooks") or {}
        assert isinstance(notebooks, dict)
        out: dict[str, dict[str, object]] = {}
        for nb in notebooks.values():
            out.update((nb or {}).get("cells") or {})
        return out

    def describe(self) -> str:
        result = self.result or {}
        brief = {k: result.get(k) for k in ("score", "max_score", "flags", "error", "sandbox")}
        cells = {k: (v.get("score"), v.get("status")) for k, v in self.cells().items()}
        return (
            f"{self.case.name}: rc={self.returncode} {brief} cells={cells} stderr={self.stderr_tail[-600:]!r}"
        )


def run_cli(
    args: Iterable[str], *, env: Mapping[str, str], timeout: float
) -> tuple[int, bytes, bytes, float]:
    started = time.monotonic()
    proc = subprocess.run(
        [str(PYTHON), "-m", "graders", *args],
        cwd=REPO,
        env=dict(env),
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started


def parse_result(stdout: bytes) -> dict[str, object] | None:
    try:
        value = json.loads(stdout)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


@dataclass
class Corpus:
    """All assignments and submissions of a run, written under `root` with this run's tokens."""

    root: Path
    values: dict[str, str]
    engine_env: dict[str, str]
    cli_extra: list[str]
    sources: dict[str, Path] = field(default_factory=dict)
    submissions: dict[str, Path] = field(default_factory=dict)
    markers: dict[str, str] = field(default_factory=dict)
    digests: dict[str, dict[str, str]] = field(default_factory=dict)

    def add(self, case: AttackCase) -> None:
        marker = "atk" + secrets.token_hex(6)
        values = {**self.values, "MARKER": marker}
        name = case.assignment.name
        if name not in self.sources:
            assignment = substitute_assignment(case.assignment, values=values)
            self.sources[name] = write_assignment(assignment, root=self.root / "source")
        folder = self.root / "submitted" / case.name / name
        values["SUBMISSION"] = str(folder)
        if case.raw is not None:
            notebooks: dict[str, object] = dict(case.raw)
        else:
            cells: list[Cell] = list(substitute_assignment(case.assignment, values=values).notebooks[name])
            before = {k: [substitute(s, values=values) for s in v] for k, v in case.before.items()}
            if not case.honest:
                before[SOLUTION_ID] = [substitute(PRELUDE, values=values), *before.get(SOLUTION_ID, [])]
            nb = student_notebook(
                cells,
                answers={k: substitute(v, values=values) for k, v in case.answers.items()},
                before=before,
                after={k: [substitute(s, values=values) for s in v] for k, v in case.after.items()},
            )
            notebooks = {name: nb}
        write_submission(folder, notebooks=notebooks)  # type: ignore[arg-type]
        self.submissions[case.name] = folder
        self.markers[case.name] = marker
        self.digests[case.name] = {
            **digest(folder),
            **{f"src/{k}": v for k, v in digest(self.sources[name]).items()},
        }

    def grade(self, case: AttackCase, *, timeout: float = 300.0) -> Graded:
        source, submission = self.sources[case.assignment.name], self.submissions[case.name]
        rc, out, err, seconds = run_cli(
            ["autograde", str(source), str(submission), *self.cli_extra, "--json"],
            env=self.engine_env,
            timeout=timeout,
        )
        return Graded(
            case=case,
            returncode=rc,
            result=parse_result(out),
            stdout_bytes=len(out),
            stderr_tail=err.decode(errors="replace")[-2000:],
            seconds=seconds,
            left_running=wait_gone(self.markers[case.name]),
        )

    def unchanged(self, case: AttackCase) -> bool:
        source, submission = self.sources[case.assignment.name], self.submissions[case.name]
        now = {**digest(submission), **{f"src/{k}": v for k, v in digest(source).items()}}
        return now == self.digests[case.name]


def engine_environment(secret: str) -> dict[str, str]:
    """The grader's own environment, salted with secrets that the student's code must never see."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        GRADER_CANARY_SECRET=secret,
        DJANGO_SECRET_KEY=secret,
        DATABASE_URL=f"postgres://postgres:{secret}@127.0.0.1:5432/courseweb",
        PATH=f"{PYTHON.parent}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=str(REPO),
    )
    return env
