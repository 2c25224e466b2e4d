"""The course platform spread over hosts of a `Network`, as a department deploys it (deploy/README.md).

- `db`: its own PostgreSQL (initdb into a fresh folder, run as the `postgres` user) and its own Redis (append-only
  file on, as in deploy/compose.yaml), listening on the db host's addresses only; either can be restarted
  (`Cluster.restart`);
- `web`: the site under gunicorn with deploy/gunicorn.conf.py;
- one host per grading worker: a real `celery worker` on the `grading` queue (its lease reaper included), which
  `Cluster.kill_worker` kills with SIGKILL, its whole process group;
- `client`: a student's laptop, which reaches only the web host, over HTTP.

The db host has one link to each of the others and the client one link to the web host, so every connection
crosses a veth link and no host forwards packets. Storage is one shared folder (`MEDIA_ROOT`), as in the default
shared-volume deployment: namespaces isolate the network only. The test watches the database through PostgreSQL's
Unix socket (`Observer`), never through the network it cuts.

Used by the multi-host test (a worker host cut off) and the restart test (broker, database and a worker
restarted or killed during a burst).
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.deploy.netns import Host, Link, Network, stop_all

REPO = Path(__file__).resolve().parents[2]
DB_NAME = "courseweb"
PG_PORT = 5432
REDIS_PORT = 6379
WEB_PORT = 8000
WEB_PROCESSES = {"GUNICORN_WORKERS": "1", "GUNICORN_THREADS": "4"}  # one process's start-up CPU, not four
SITE = [sys.executable, "-m", "gunicorn", "--config", "deploy/gunicorn.conf.py", "courseweb.wsgi:application"]
WORKER = [sys.executable, "-m", "celery", "-A", "courseweb", "worker", "-Q", "grading"]
WORKER_ARGS = ["-c", "1", "--without-gossip", "--without-mingle", "-l", "INFO"]  # one sandbox slot per host
# The environment the test's own processes get that must not reach the hosts' processes (its database, broker,
# xdist worker id, storage), and the settings every host shares: a 5 s lease, a reaper round every second, and
# a queued job's message sent again after 10 s (a worker cut off with messages it had prefetched never acks them).
_NOT_INHERITED = ("PYTEST_", "DJANGO_", "CELERY_", "COURSEWEB_", "HOMEWORK_", "GUNICORN_", "DATABASE_")
CLUSTER_SETTINGS = {
    "DJANGO_SETTINGS_MODULE": "courseweb.settings.test",
    "HOMEWORK_LEASE_SECONDS": "5",
    "HOMEWORK_REAPER_INTERVAL_S": "1",
    "HOMEWORK_REQUEUE_QUEUED_AFTER_S": "10",
    "PYTHONUNBUFFERED": "1",
}


def postgres_bin(name: str) -> str | None:
    """`name` from the newest PostgreSQL under /usr/lib/postgresql/*/bin (Debian's layout)."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(Path(p).parts[4]))
    return found[-1] if found else None


def missing_tools() -> list[str]:
    """What this test needs from the machine and does not find."""
    missing = [name for name in ("initdb", "postgres") if postgres_bin(name) is None]
    return missing + [name for name in ("redis-server", "bwrap") if shutil.which(name) is None]


def _wait(predicate, *, timeout: float, what: str, proc: subprocess.Popen | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what}: the process ended with status {proc.returncode}")
        with contextlib.suppress(Exception):
            value = predicate()
            if value:
                return value
        time.sleep(0.1)
    raise RuntimeError(f"timed out after {timeout} s waiting for {what}")


@dataclass
class Server:
    """A server process on a host that can be stopped and started again on the same data (a restart)."""

    host: Host
    argv: list[str]
    log: Path
    ready: Callable[[], Any]  # true once it accepts connections
    what: str
    user: str | None = None
    cwd: Path | None = None
    stop_signal: int = signal.SIGTERM
    proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = self.host.popen(
            self.argv, log=self.log, user=self.user, cwd=self.cwd, stop_signal=self.stop_signal
        )
        _wait(self.ready, timeout=60, what=self.what, proc=self.proc)

    def stop(self) -> None:
        """Stop it as its service manager would (its stop signal, then wait), all of its process group."""
        if self.proc is None:
            return
        stop_all([(self.proc, self.stop_signal)])
        self.host.processes.remove((self.proc, self.stop_signal))
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


def start_postgres(host: Host, *, addresses: list[str], root: Path) -> tuple[Server, Path]:
    """A fresh PostgreSQL cluster on `host` (as `postgres`), with an empty database; returns it and its socket
    folder."""
    import psycopg

    root.mkdir()
    sockets = root / "sockets"
    sockets.mkdir()
    shutil.chown(root, "postgres", "postgres")
    shutil.chown(sockets, "postgres", "postgres")
    data = root / "data"
    initdb = [postgres_bin("initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8"]
    subprocess.run(
        [
            "setpriv",
            "--reuid=postgres",
            "--regid=postgres",
            "--clear-groups",
            "--",
            *initdb,
            "--no-locale",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
        timeout=120,
        cwd=root,
    )
    # the hosts' /24 only (nothing else can reach these addresses); the test itself uses the Unix socket
    with open(data / "pg_hba.conf", "a") as hba:
        hba.write(f"host all all {addresses[0].rsplit('.', 1)[0]}.0/24 trust\n")
    settings = {
        "listen_addresses": ",".join(addresses),
        "port": str(PG_PORT),
        "unix_socket_directories": str(sockets),
        "fsync": "off",  # a throw-away cluster: durability is not what this test measures
        "synchronous_commit": "off",
        "full_page_writes": "off",
    }

    def accepts() -> bool:
        with psycopg.connect(host=str(sockets), port=PG_PORT, user="postgres", dbname="postgres") as conn:
            conn.execute("SELECT 1")
        return True

    server = Server(
        host=host,
        argv=[postgres_bin("postgres"), "-D", str(data)] + [f"-c{k}={v}" for k, v in settings.items()],
        log=root.parent / "postgres.log",
        ready=accepts,
        what="PostgreSQL to accept connections",
        user="postgres",
        cwd=root,
        stop_signal=signal.SIGINT,  # fast shutdown, as `pg_ctl stop` (a cut-off client must not hold it up)
    )
    server.start()
    with psycopg.connect(host=str(sockets), port=PG_PORT, user="postgres", dbname="postgres") as conn:
        conn.autocommit = True
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    return server, sockets


def start_redis(host: Host, *, addresses: list[str], root: Path) -> Server:
    """A Redis server on `host` that keeps its data in an append-only file across restarts, as deploy/compose.yaml
    runs it (a shutdown writes the file out); its Unix socket serves the test's own checks."""
    import redis

    root.mkdir()
    sock = root / "redis.sock"
    argv = ["redis-server", "--bind", *addresses, "--port", str(REDIS_PORT), "--protected-mode", "no"]
    argv += ["--save", "", "--appendonly", "yes", "--dir", str(root), "--unixsocket", str(sock)]
    server = Server(
        host=host,
        argv=argv,
        log=root.parent / "redis.log",
        ready=lambda: redis.Redis(unix_socket_path=str(sock)).ping(),
        what="Redis",
    )
    server.start()
    return server


def site_env(*, db_address: str, media: Path, var_dir: Path, web_address: str) -> dict[str, str]:
    """The environment of a site process on a host that reaches the db host at `db_address`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_NOT_INHERITED) and k != "MEDIA_ROOT"}
    env.update(CLUSTER_SETTINGS)
    env.update(
        {
            "DATABASE_URL": f"postgres://postgres@{db_address}:{PG_PORT}/{DB_NAME}",
            "CELERY_BROKER_URL": f"redis://{db_address}:{REDIS_PORT}/0",
            "MEDIA_ROOT": str(media),
            "COURSEWEB_VAR_DIR": str(var_dir),
            "DJANGO_ALLOWED_HOSTS": web_address,
        }
    )
    return env


class Observer:
    """Reads the db host's database through its Unix socket: jobs, worker heartbeats, Celery task results.

    After a restart of the server it connects again (waiting for it to accept connections)."""

    def __init__(self, *, sockets: Path) -> None:
        from django_celery_results.models import TaskResult

        from courseweb.core.models import WorkerHeartbeat
        from courseweb.homework.models import GradingJob

        self.sockets = sockets
        self.conn = self._connect()
        self.tables = {
            "job": GradingJob._meta.db_table,
            "heartbeat": WorkerHeartbeat._meta.db_table,
            "result": TaskResult._meta.db_table,
        }

    def _connect(self) -> Any:
        import psycopg

        return psycopg.connect(
            host=str(self.sockets), port=PG_PORT, user="postgres", dbname=DB_NAME, autocommit=True
        )

    def _rows(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        import psycopg

        deadline = time.monotonic() + 60
        while True:
            try:
                if self.conn.closed:
                    self.conn = self._connect()
                return self.conn.execute(sql, params).fetchall()
            except psycopg.OperationalError:  # the server is restarting: connect again
                self.conn.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def jobs(self) -> dict[int, dict[str, Any]]:
        """Every grading job by id: submission, state, worker, attempts, events, progress, score, cells' results."""
        columns = (
            "id",
            "submission_id",
            "state",
            "worker",
            "attempts",
            "events",
            "progress",
            "score",
            "max_score",
            "cells",
        )
        rows = self._rows(f"SELECT {', '.join(columns)} FROM {self.tables['job']}")
        return {row[0]: dict(zip(columns, row, strict=True)) for row in rows}

    def workers_ready(self) -> set[str]:
        """The workers that reported `worker_ready` (courseweb.core.health's heartbeat rows)."""
        return {row[0] for row in self._rows(f"SELECT hostname FROM {self.tables['heartbeat']}")}

    def task_outcomes(self, *, worker: str) -> dict[int, list[tuple[str, Any]]]:
        """For each job id, the (status, result) of every `grade_job` task that `worker` finished."""
        rows = self._rows(
            f"SELECT task_args, status, result FROM {self.tables['result']} WHERE task_name = %s AND worker = %s",
            ["homework.grade_job", worker],
        )
        outcomes: dict[int, list[tuple[str, Any]]] = {}
        for args, status, result in rows:
            ids = re.findall(r"\d+", args or "")
            if ids:
                outcomes.setdefault(int(ids[0]), []).append((status, json.loads(result) if result else None))
        return outcomes

    def close(self) -> None:
        self.conn.close()


@dataclass
class Cluster:
    net: Network
    hosts: dict[str, Host]
    links: dict[str, Link]  # each host's link (the client's is to the web host, the others' to the db host)
    observer: Observer
    course: dict[str, Any]  # what `cluster_site seed` made: assignment key, release notebook, students
    web_url: str
    run_dir: Path
    name: str = "multihost"
    servers: dict[str, Server] = field(default_factory=dict)  # "postgres" and "redis", on the db host
    workers: dict[str, subprocess.Popen] = field(default_factory=dict)  # by host

    def worker_name(self, host: str) -> str:
        return f"{host}@{self.name}"

    def upload(self, notebook: Path, *, usernames: list[str] | None = None) -> list[dict[str, Any]]:
        """Every student (or those named) logs in through the form and uploads, from the client host, all at
        once: `notebook`, or, where it is a folder, the student's own `<username>.ipynb` in it."""
        out = run_in(
            self.hosts["client"],
            [
                *(sys.executable, "-m", "tests.deploy.cluster_site", "upload", "--base", self.web_url),
                *("--key", self.course["assignment"], "--notebook", str(notebook)),
                *("--password", self.course["password"], *(usernames or self.course["usernames"])),
            ],
            timeout=180,
        )
        return json.loads(out.strip().splitlines()[-1])

    def restart(self, server: str) -> None:
        """Stop the db host's `postgres` or `redis` and start it again on its data; returns once it accepts
        connections."""
        self.servers[server].restart()

    def kill_worker(self, host: str) -> None:
        """SIGKILL the worker's whole process group (the Celery parent, its pool process, the sandbox's
        bubblewrap), as the kernel's OOM killer or a lost node would: no shutdown handler runs."""
        proc = self.workers[host]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def _print_log_tails(run_dir: Path, lines: int = 60) -> None:
    """The end of every server's log, printed on the way out (pytest shows it when the test failed)."""
    for log in sorted(run_dir.glob("*.log")):
        text = log.read_text(errors="replace").splitlines()[-lines:]
        print(f"--- {log.name} ---\n" + "\n".join(text))


def run_in(host: Host, argv: list[str], *, env: dict[str, str] | None = None, timeout: float) -> str:
    """Run a command on `host` and return its stdout; its stderr goes into the error when it fails."""
    try:
        return host.run(argv, env=env, cwd=REPO, timeout=timeout).stdout
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"{' '.join(argv)} on {host.name} failed:\n{exc.stderr[-4000:]}") from exc


@contextlib.contextmanager
def cluster_up(*, workers: tuple[str, ...], students: int, name: str = "multihost") -> Iterator[Cluster]:
    """Build the hosts, start every server, make the tables and the course; stop and remove it all on exit."""
    run_dir = Path(tempfile.mkdtemp(prefix=f"{name}-{os.getpid()}-"))
    run_dir.chmod(0o711)  # the postgres user reaches its own folder inside
    media, var_dir = run_dir / "media", run_dir / "var"
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, run_dir, ignore_errors=True)
        stack.callback(_print_log_tails, run_dir)
        net = stack.enter_context(Network())
        hosts = {name: net.host(name) for name in ("db", "web", *workers, "client")}
        links = {name: net.link(hosts["db"], hosts[name]) for name in ("web", *workers)}
        links["client"] = net.link(hosts["web"], hosts["client"])
        db_addresses = [links[name].address(hosts["db"]) for name in ("web", *workers)]
        web_address = links["client"].address(hosts["web"])
        postgres, sockets = start_postgres(hosts["db"], addresses=db_addresses, root=run_dir / "pg")
        redis = start_redis(hosts["db"], addresses=db_addresses, root=run_dir / "redis")

        def env(host: str) -> dict[str, str]:
            db = links[host].address(hosts["db"])
            return site_env(db_address=db, media=media, var_dir=var_dir, web_address=web_address)

        seeded = run_in(
            hosts["web"],
            [sys.executable, "-m", "tests.deploy.cluster_site", "seed", "--students", str(students)],
            env=env("web"),
            timeout=300,
        )
        course = json.loads(seeded.strip().splitlines()[-1])
        gunicorn = {"GUNICORN_BIND": f"{web_address}:{WEB_PORT}", **WEB_PROCESSES}
        hosts["web"].popen(
            SITE,
            log=run_dir / "web.log",
            env={**env("web"), **gunicorn},
            cwd=REPO,
        )
        cluster = Cluster(
            net=net,
            hosts=hosts,
            links=links,
            observer=Observer(sockets=sockets),
            course=course,
            web_url=f"http://{web_address}:{WEB_PORT}",
            run_dir=run_dir,
            name=name,
            servers={"postgres": postgres, "redis": redis},
        )
        stack.callback(cluster.observer.close)
        for host in workers:
            cluster.workers[host] = hosts[host].popen(
                [*WORKER, "-n", cluster.worker_name(host), *WORKER_ARGS],
                log=run_dir / f"{host}.log",
                env={**env(host), "CELERY_WORKER_NAME": cluster.worker_name(host)},
                cwd=REPO,
            )
        yield cluster
