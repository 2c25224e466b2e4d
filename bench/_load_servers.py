"""The load benchmark's own servers and stores (bench/load.py): a PostgreSQL database, a Redis database, a folder,
the setup commands and the long-running processes, each removed again by `Run.cleanup`.

Imported by bench/load.py after locust has patched the standard library for gevent.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import gevent
import requests

REPO = Path(__file__).resolve().parent.parent
PYTHON = str(REPO / ".venv" / "bin" / "python")
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379").rstrip("/")
REDIS_MARK = "courseweb-load-bench"  # the key that claims an empty Redis database for one run
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}  # what deploy/nginx adds in front of gunicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url(name: str) -> str:
    parts = urlsplit(POSTGRES_URL)
    return parts._replace(path=f"/{name}").geturl()


@dataclass
class Run:
    """What one run made (so that `cleanup` removes exactly that) and how its processes are started."""

    folder: Path
    database: str = ""
    redis_db: int | None = None
    port: int = 0
    processes: list[subprocess.Popen] = field(default_factory=list)
    logs: list = field(default_factory=list)
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(40))

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "GUNICORN_", "CELERY_"))}
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "courseweb.settings.prod",
                "DJANGO_SECRET_KEY": self.secret,
                "DATABASE_URL": _database_url(self.database),
                "CELERY_BROKER_URL": f"{REDIS_URL}/{self.redis_db}",
                "COURSEWEB_VAR_DIR": str(self.folder / "var"),
                "STATIC_ROOT": str(self.folder / "static"),
                "LOG_LEVEL": "WARNING",
                "GUNICORN_BIND": f"127.0.0.1:{self.port}",
                "GUNICORN_WORKERS": "2",
                "GUNICORN_THREADS": "4",
                "HUB_SERVICE_TOKEN": "",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(extra)
        return env

    def database_create(self) -> None:
        import psycopg

        name = f"loadbench_{secrets.token_hex(4)}"
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.database = name

    def redis_claim(self, wanted: int | None = None) -> None:
        """Redis database `number`, else the highest-numbered empty one, claimed with a marker key (another run
        skips it); it must be empty, since the cleanup empties it."""
        import redis

        for number in [wanted] if wanted is not None else range(15, 0, -1):
            client = redis.Redis.from_url(f"{REDIS_URL}/{number}")
            if client.dbsize() == 0 and client.set(REDIS_MARK, os.getpid(), nx=True) and client.dbsize() == 1:
                self.redis_db = number
                return
        sys.exit(
            f"no empty Redis database on {REDIS_URL} ({wanted if wanted is not None else '1-15'}) for the broker"
        )

    def run(self, args: list[str], *, log: str, **extra: str) -> None:
        with open(self.folder / log, "w") as out:
            done = subprocess.run(args, cwd=REPO, env=self.env(**extra), stdout=out, stderr=subprocess.STDOUT)
        if done.returncode:
            sys.exit(f"{' '.join(args[1:3])} failed; its output: {self.folder / log}\n{self.tail(log)}")

    def start(self, args: list[str], *, log: str) -> subprocess.Popen:
        out = open(self.folder / log, "w")  # noqa: SIM115 - closed in cleanup
        self.logs.append(out)
        proc = subprocess.Popen(
            args, cwd=REPO, env=self.env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes.append(proc)
        return proc

    def tail(self, log: str, lines: int = 30) -> str:
        path = self.folder / log
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def wait_http(self, path: str, *, ok: tuple[int, ...], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.base + path, headers=PROXY_HEADERS, timeout=5).status_code in ok:
                    return
            if any(p.poll() is not None for p in self.processes):
                break
            gevent.sleep(0.5)
        sys.exit(f"{what} did not come up; its log:\n{self.tail('gunicorn.log')}\n{self.tail('worker.log')}")

    def cleanup(self, *, keep: bool) -> None:
        for proc in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.processes:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        for out in self.logs:
            out.close()
        if keep:
            print(f"kept: folder {self.folder}, database {self.database}, Redis database {self.redis_db}")
            return
        if self.redis_db is not None:
            import redis

            redis.Redis.from_url(f"{REDIS_URL}/{self.redis_db}").flushdb()
        if self.database:
            import psycopg

            with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        shutil.rmtree(self.folder, ignore_errors=True)
