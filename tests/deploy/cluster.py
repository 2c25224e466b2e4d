"""The course platform spread over hosts of a `Network`, as a department deploys it (deploy/README.md).

- `db`: its own PostgreSQL (initdb into a fresh folder, run as the `postgres` user) and its own Redis, listening
  on the db host's addresses only;
- `web`: the site under gunicorn with deploy/gunicorn.conf.py;
- one host per grading worker: a real `celery worker` on the `grading` queue (its lease reaper included);
- `client`: a student's laptop, which reaches only the web host, over HTTP.

The db host has one link to each of the others and the client one link to the web host, so every connection
crosses a veth link and no host forwards packets. Storage is one shared folder (`MEDIA_ROOT`), as in the default
shared-volume deployment: namespaces isolate the network only. The test watches the database through PostgreSQL's
Unix socket (`Observer`), never through the network it cuts.
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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.deploy.netns import Host, Link, Network

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


def start_postgres(host: Host, *, addresses: list[str], root: Path) -> Path:
    """A fresh PostgreSQL cluster on `host` (as `postgres`), with an empty database; returns its socket folder."""
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
    proc = host.popen(
        [postgres_bin("postgres"), "-D", str(data)] + [f"-c{k}={v}" for k, v in settings.items()],
        log=root.parent / "postgres.log",
        user="postgres",
        cwd=root,
        stop_signal=signal.SIGINT,  # fast shutdown: a cut-off client's connections must not hold it up
    )

    def create() -> bool:
        with psycopg.connect(host=str(sockets), port=PG_PORT, user="postgres", dbname="postgres") as conn:
            conn.autocommit = True
            conn.execute(f"CREATE DATABASE {DB_NAME}")
        return True

    _wait(create, timeout=60, what="PostgreSQL to accept connections", proc=proc)
    return sockets


def start_redis(host: Host, *, addresses: list[str], root: Path) -> Path:
    """A Redis server on `host` without persistence; returns its Unix socket (for the test's own checks)."""
    import redis

    root.mkdir()
    sock = root / "redis.sock"
    argv = ["redis-server", "--bind", *addresses, "--port", str(REDIS_PORT), "--protected-mode", "no"]
    argv += ["--save", "", "--appendonly", "no", "--dir", str(root), "--unixsocket", str(sock)]
    proc = host.popen(argv, log=root.parent / "redis.log")
    _wait(lambda: redis.Redis(unix_socket_path=str(sock)).ping(), timeout=30, what="Redis", proc=proc)
    return sock


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
    """Reads the db host's database through its Unix socket: jobs, worker heartbeats, Celery task results."""

    def __init__(self, *, sockets: Path) -> None:
        import psycopg
        from django_celery_results.models import TaskResult

        from courseweb.core.models import WorkerHeartbeat
        from courseweb.homework.models import GradingJob

        self.conn = psycopg.connect(
            host=str(sockets), port=PG_PORT, user="postgres", dbname=DB_NAME, autocommit=True
        )
        self.tables = {
            "job": GradingJob._meta.db_table,
            "heartbeat": WorkerHeartbeat._meta.db_table,
            "result": TaskResult._meta.db_table,
        }

    def jobs(self) -> dict[int, dict[str, Any]]:
        """Every grading job by id, with its submission, state, worker, attempts, events, progress and score."""
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
        )
        rows = self.conn.execute(f"SELECT {', '.join(columns)} FROM {self.tables['job']}").fetchall()
        return {row[0]: dict(zip(columns, row, strict=True)) for row in rows}

    def workers_ready(self) -> set[str]:
        """The workers that reported `worker_ready` (courseweb.core.health's heartbeat rows)."""
        return {row[0] for row in self.conn.execute(f"SELECT hostname FROM {self.tables['heartbeat']}")}

    def task_outcomes(self, *, worker: str) -> dict[int, list[tuple[str, Any]]]:
        """For each job id, the (status, result) of every `grade_job` task that `worker` finished."""
        rows = self.conn.execute(
            f"SELECT task_args, status, result FROM {self.tables['result']} WHERE task_name = %s AND worker = %s",
            ["homework.grade_job", worker],
        ).fetchall()
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

    def worker_name(self, host: str) -> str:
        return f"{host}@multihost"

    def upload(self, notebook: Path) -> list[dict[str, Any]]:
        """Every student logs in through the form and uploads `notebook`, from the client host, all at once."""
        out = run_in(
            self.hosts["client"],
            [
                *(sys.executable, "-m", "tests.deploy.cluster_site", "upload", "--base", self.web_url),
                *("--key", self.course["assignment"], "--notebook", str(notebook)),
                *("--password", self.course["password"], *self.course["usernames"]),
            ],
            timeout=180,
        )
        return json.loads(out.strip().splitlines()[-1])


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
def cluster_up(*, workers: tuple[str, ...], students: int) -> Iterator[Cluster]:
    """Build the hosts, start every server, make the tables and the course; stop and remove it all on exit."""
    run_dir = Path(tempfile.mkdtemp(prefix=f"multihost-{os.getpid()}-"))
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
        sockets = start_postgres(hosts["db"], addresses=db_addresses, root=run_dir / "pg")
        start_redis(hosts["db"], addresses=db_addresses, root=run_dir / "redis")

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
        )
        stack.callback(cluster.observer.close)
        for name in workers:
            hosts[name].popen(
                [*WORKER, "-n", cluster.worker_name(name), *WORKER_ARGS],
                log=run_dir / f"{name}.log",
                env={**env(name), "CELERY_WORKER_NAME": cluster.worker_name(name)},
                cwd=REPO,
            )
        yield cluster
