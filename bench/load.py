"""Load benchmark: simulated students browse the site under gunicorn on PostgreSQL and Redis, then a grading burst.

    .venv/bin/python bench/load.py                  # 5 minutes of browsing, then the burst
    .venv/bin/python bench/load.py --duration 30    # a short run

Needs locust (the `bench` extra: `.venv/bin/pip install -c requirements.lock -e ".[bench]"`) and the PostgreSQL and
Redis servers of production on this machine (`BENCH_POSTGRES_URL`, default postgres://postgres@127.0.0.1:5432/postgres;
`BENCH_REDIS_URL`, default redis://127.0.0.1:6379). Everything else it makes and removes itself:

1. a database of its own (`CREATE DATABASE loadbench_…`, dropped at the end), an empty Redis database that it
   claims with a marker key (flushed at the end) and a folder for files, static files and logs (removed);
2. the course at scale in that database (`bench/_load_course.py`: the demo course, every homework of the course,
   200 students in 100 groups, a graded submission per group for every homework);
3. gunicorn with deploy/gunicorn.conf.py (2 workers, 4 threads) and the production settings on a free port,
   reached as nginx reaches it (plain HTTP with `X-Forwarded-Proto: https`);
4. phase 1, pages only: 20 students (locust's `FastHttpUser`, each logged in as a different student, 1–3 s between
   pages) and one TA browse for `--duration` seconds after a warm-up that is not counted: the home page, the
   schedule, the homework list, an assignment page, the grades page with a histogram, lecture pages and the notes
   book; the TA the staff gradebook, an assignment's submissions and the home page;
5. phase 2, a grading burst: real Celery workers (as deploy/compose.yaml runs them), one warm-up upload, then
   `--burst` students of different groups upload the open homework's solution through the site's upload form at
   once; the lag from each accepted upload to its result on the submission page is measured.

It prints p50/p95/p99 per page, the errors, the grading lag p50/p95, and ends with the line
`worst_p95_ms: X, errors: N` (the highest page p95 of phase 1; page errors and burst failures together).
"""

from __future__ import annotations

try:  # first of all: locust patches the standard library for gevent as it is imported
    import locust  # noqa: F401
except ImportError:  # the bench extra is not installed
    raise SystemExit(
        'locust is not installed: .venv/bin/pip install -c requirements.lock -e ".[bench]" (bench/README.md)'
    ) from None

import argparse
import http.cookiejar
import json
import os
import random
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import gevent
import requests
from _load_servers import PROXY_HEADERS, PYTHON, REPO, Run, free_port
from gevent.pool import Pool
from locust import FastHttpUser, between, task
from locust.env import Environment
from locust.exception import StopUser

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SUBMISSION_URL = re.compile(r"/homework/submissions/(\d+)/$")
STATE = re.compile(r'id="grading-status"[^>]*data-state="([a-z]+)"')


class BehindProxyCookiePolicy(http.cookiejar.DefaultCookiePolicy):
    """A browser behind nginx's HTTPS: the production settings mark the session and CSRF cookies Secure, and the
    benchmark talks plain HTTP to gunicorn as nginx does, so its browsers send those cookies as over HTTPS."""

    def return_ok_secure(self, cookie: http.cookiejar.Cookie, request: object) -> bool:
        return True


class ProxiedSession(requests.Session):
    """The grading burst's browser: sends every cookie it holds (see `BehindProxyCookiePolicy`; requests builds
    its own cookie jar for each request, so the header is written here). Redirects are not followed: requests
    would drop the Secure cookies on the way."""

    def __init__(self) -> None:
        super().__init__()
        self.headers.update(PROXY_HEADERS)

    def request(self, method: str, url: str, **kwargs):  # type: ignore[override]
        headers = dict(kwargs.pop("headers", None) or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{c.name}={c.value}" for c in self.cookies)
        kwargs["allow_redirects"] = False
        return super().request(method, url, headers=headers, **kwargs)


# --- phase 1: pages --------------------------------------------------------------------------------------


class Browser(FastHttpUser):
    """A logged-in person browsing; `accounts` and `plan` are set before the run."""

    abstract = True
    wait_time = between(1, 3)
    default_headers = PROXY_HEADERS
    accounts: list[str] = []
    plan: dict = {}
    failed_logins: list[str] = []

    def on_start(self) -> None:
        self.client.cookiejar.set_policy(BehindProxyCookiePolicy())
        username = self.accounts.pop(0)
        with self.client.get("/accounts/login/", name="log in", catch_response=True) as page:
            token = CSRF_FIELD.search(page.text or "")
            if token is None:
                page.failure("no CSRF token on the log-in page")
                return
        data = {
            "csrfmiddlewaretoken": token.group(1),
            "username": username,
            "password": self.plan["password"],
        }
        with self.client.post(
            "/accounts/login/",
            data=data,
            headers={"Referer": f"https://{self.host.split('://', 1)[1]}/accounts/login/"},
            name="log in",
            catch_response=True,
        ) as answer:
            if "Log out" not in (answer.text or ""):
                answer.failure(f"{username} could not log in")
                self.failed_logins.append(username)
                raise StopUser

    def page(self, url: str, name: str, *, png: bool = False) -> None:
        """GET a page; anything but the logged-in page (or a PNG) counts as an error, a redirect to log in too."""
        with self.client.get(url, name=name, catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"HTTP {answer.status_code}")
            elif png and not (answer.content or b"").startswith(b"\x89PNG"):
                answer.failure("not a PNG")
            elif not png and "Log out" not in (answer.text or ""):
                answer.failure("not logged in")


class Student(Browser):
    abstract = True

    @task(3)
    def home(self) -> None:
        self.page("/", "home")

    @task(2)
    def schedule(self) -> None:
        self.page("/schedule/", "schedule")

    @task(3)
    def homework(self) -> None:
        self.page("/homework/", "homework index")

    @task(3)
    def assignment(self) -> None:
        self.page(f"/homework/{random.choice(self.plan['assignments'])}/", "assignment page")

    @task(2)
    def grades(self) -> None:
        self.page("/gradebook/", "grades page")
        item = random.choice(self.plan["items"])
        self.page(f"/gradebook/items/{item}/histogram.png", "grade histogram", png=True)

    @task(2)
    def lecture(self) -> None:
        self.page(f"/schedule/{random.choice(self.plan['sessions'])}/", "lecture page")

    @task(2)
    def notes(self) -> None:
        if self.plan["notes"]:
            self.page(random.choice(self.plan["notes"]), "notes page")


class Staff(Browser):
    abstract = True

    @task(3)
    def gradebook(self) -> None:
        self.page("/gradebook/", "staff gradebook")

    @task(1)
    def submissions(self) -> None:
        self.page(
            f"/homework/{random.choice(self.plan['assignments'])}/staff/", "assignment submissions (staff)"
        )

    @task(1)
    def home(self) -> None:
        self.page("/", "home (staff)")


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


@dataclass
class PageStats:
    name: str
    requests: int
    errors: int
    p50: float
    p95: float
    p99: float


def pages_phase(*, run: Run, plan: dict, users: int, staff: int, duration: float, warmup: float) -> tuple:
    """Browse for `warmup` seconds (not counted), then `duration` seconds; returns the per-page stats."""
    accounts = {
        "Student": list(plan["students"][:users]),
        "Staff": [name for name in plan["staff"] if name == "ta"][:staff],
    }
    classes = []
    for base, count in ((Student, users), (Staff, len(accounts["Staff"]))):
        if count:
            cls = type(base.__name__ + "Load", (base,), {"abstract": False, "fixed_count": count})
            cls.accounts, cls.plan = accounts[base.__name__], plan
            classes.append(cls)
    # Every histogram drawn once before the warm-up, as on a site in use (they are kept on disk, drawn again
    # only when the scores change): a first drawing costs 150-250 ms of matplotlib.
    session = _session(run, plan["students"][0], plan["password"])
    for item in plan["items"]:
        session.get(f"{run.base}/gradebook/items/{item}/histogram.png", timeout=120)
    env = Environment(user_classes=classes, host=run.base)
    runner = env.create_local_runner()
    total = users + len(accounts["Staff"])
    runner.start(total, spawn_rate=max(1, total / 5))
    gevent.sleep(warmup)
    env.stats.reset_all()
    started = time.monotonic()
    gevent.sleep(duration)
    elapsed = time.monotonic() - started
    runner.quit()
    rows = []
    for entry in sorted(env.stats.entries.values(), key=lambda e: e.name):
        if entry.name == "log in" or not entry.num_requests:
            continue
        rows.append(
            PageStats(
                name=entry.name,
                requests=entry.num_requests,
                errors=entry.num_failures,
                p50=entry.get_response_time_percentile(0.50),
                p95=entry.get_response_time_percentile(0.95),
                p99=entry.get_response_time_percentile(0.99),
            )
        )
    errors = [f"{e.method} {e.name}: {e.error} ({e.occurrences}x)" for e in env.stats.errors.values()]
    errors += [f"{name} could not log in" for name in Browser.failed_logins]
    return rows, errors, env.stats.total.num_requests / elapsed if elapsed else 0.0


# --- phase 2: grading burst ------------------------------------------------------------------------------


def _session(run: Run, username: str, password: str) -> ProxiedSession:
    session = ProxiedSession()
    page = session.get(run.base + "/accounts/login/", timeout=60)
    token = CSRF_FIELD.search(page.text)
    answer = session.post(
        run.base + "/accounts/login/",
        data={
            "csrfmiddlewaretoken": token.group(1) if token else "",
            "username": username,
            "password": password,
        },
        headers={"Referer": f"https://127.0.0.1:{run.port}/accounts/login/"},
        timeout=60,
    )
    if answer.status_code != 302:
        raise RuntimeError(f"{username} could not log in (the log-in page answered {answer.status_code})")
    return session


@dataclass
class Upload:
    username: str
    accepted_s: float = 0.0  # the upload's answer time
    lag_s: float | None = None  # accepted upload to result on the submission page
    state: str = ""
    error: str = ""


def upload_and_wait(
    *, run: Run, session: ProxiedSession, upload: Upload, key: str, data: bytes, timeout: float
):
    page = session.get(f"{run.base}/homework/{key}/", timeout=60)
    token = CSRF_FIELD.search(page.text)
    if token is None:
        upload.error = f"assignment page answered {page.status_code}"
        return
    start = time.monotonic()
    answer = session.post(
        f"{run.base}/homework/{key}/submit/",
        data={"csrfmiddlewaretoken": token.group(1)},
        files={"notebook": (f"{key}.ipynb", data, "application/x-ipynb+json")},
        headers={"Referer": f"https://127.0.0.1:{run.port}/homework/{key}/"},
        timeout=120,
    )
    accepted = time.monotonic()
    upload.accepted_s = accepted - start
    found = SUBMISSION_URL.search(answer.headers.get("Location", ""))
    if answer.status_code != 302 or found is None:
        upload.error = f"upload answered {answer.status_code}"
        return
    status_url = f"{run.base}/homework/submissions/{found.group(1)}/status/"
    while time.monotonic() - accepted < timeout:
        state = STATE.search(session.get(status_url, timeout=60).text)
        upload.state = state.group(1) if state else "?"
        if upload.state in ("graded", "failed"):
            upload.lag_s = time.monotonic() - accepted
            if upload.state == "failed":
                upload.error = "grading failed"
            return
        gevent.sleep(0.25)
    upload.error = f"no result within {timeout:.0f} s (state {upload.state})"


def burst_phase(*, run: Run, plan: dict, count: int, timeout: float) -> tuple[Upload, list[Upload]]:
    """Start the workers, grade one warm-up upload, then `count` uploads at once; returns them."""
    run.start(
        [PYTHON, "-m", "celery", "-A", "courseweb", "worker", "-Q", "default,grading",
         "-n", "grading@load-bench", "-c", "2", "-l", "WARNING"],
        log="worker.log",
    )  # fmt: skip
    run.wait_http("/healthz", ok=(200,), timeout=120, what="the grading worker")
    key = plan["burst"]["assignment"]
    notebook = json.loads(Path(plan["burst"]["notebook"]).read_text(encoding="utf-8"))
    uploads = [Upload(username=name) for name in plan["uploaders"][: count + 1]]

    def log_in(upload: Upload) -> ProxiedSession | None:
        try:
            return _session(run, upload.username, plan["password"])
        except (requests.RequestException, RuntimeError) as exc:
            upload.error = str(exc)
            return None

    def submit(session: ProxiedSession | None, upload: Upload, n: int) -> None:
        if session is None:
            return
        notebook["metadata"]["load_bench_burst"] = n  # each upload its own file
        data = json.dumps(notebook).encode()
        try:
            upload_and_wait(run=run, session=session, upload=upload, key=key, data=data, timeout=timeout)
        except requests.RequestException as exc:
            upload.error = f"{type(exc).__name__}: {exc}"

    sessions = Pool(10).map(log_in, uploads)  # logged in first: the burst itself is uploads only
    submit(sessions[0], uploads[0], 0)  # the warm-up: the worker's first sandbox
    pairs = list(enumerate(zip(sessions, uploads, strict=True)))[1:]
    gevent.joinall([gevent.spawn(submit, s, u, n) for n, (s, u) in pairs])
    return uploads[0], uploads[1:]


# --- the run ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=300, help="seconds of phase 1 (default 300)")
    parser.add_argument("--warmup", type=float, default=20, help="seconds of browsing before phase 1 counts")
    parser.add_argument("--users", type=int, default=20, help="simulated students browsing at once")
    parser.add_argument("--staff", type=int, default=1, choices=(0, 1), help="a TA browsing too (0: none)")
    parser.add_argument("--students", type=int, default=200, help="students in the course")
    parser.add_argument("--groups", type=int, default=100, help="groups in the course")
    parser.add_argument(
        "--burst", type=int, default=20, help="uploads graded at once in phase 2 (0: no burst)"
    )
    parser.add_argument(
        "--grading-timeout", type=float, default=900, help="seconds an upload may take to grade"
    )
    parser.add_argument(
        "--redis-db", type=int, help="an empty Redis database for the broker (default: the highest)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database, Redis database and folder")
    args = parser.parse_args()
    if args.users > args.students or args.burst >= args.groups:
        sys.exit("--users must be at most --students, and --burst less than --groups")

    run = Run(folder=Path(tempfile.mkdtemp(prefix="load-bench-")))
    (run.folder / "var").mkdir()
    load_before = os.getloadavg()
    try:
        run.database_create()
        run.redis_claim(args.redis_db)
        run.port = free_port()
        started = time.monotonic()
        # The course is built with an in-process broker: the setup's grading tasks and e-mails go nowhere.
        run.run(
            [PYTHON, "bench/_load_course.py", str(run.folder / "plan.json"),
             "--students", str(args.students), "--groups", str(args.groups)],
            log="setup.log", CELERY_BROKER_URL="memory://",
        )  # fmt: skip
        run.run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], log="collectstatic.log")
        plan = json.loads((run.folder / "plan.json").read_text())
        counts = plan["counts"]
        print(
            f"course: {counts['students']} students in {counts['groups']} groups, {counts['homework']} homework, "
            f"{counts['submissions']} graded submissions (built in {time.monotonic() - started:.0f} s); "
            f"PostgreSQL {run.database}, Redis database {run.redis_db}"
        )
        run.start(
            [str(REPO / ".venv" / "bin" / "gunicorn"), "--config", "deploy/gunicorn.conf.py",
             "courseweb.wsgi:application"],
            log="gunicorn.log",
        )  # fmt: skip
        run.wait_http("/healthz", ok=(200, 503), timeout=120, what="gunicorn")
        print(
            f"gunicorn: deploy/gunicorn.conf.py, 2 workers x 4 threads, courseweb.settings.prod, {run.base}\n"
            f"phase 1: {args.users} students{' and a TA' if args.staff else ''} browsing for {args.duration:g} s "
            f"(1-3 s between pages) after a {args.warmup:g} s warm-up"
        )
        rows, errors, rate = pages_phase(
            run=run, plan=plan, users=args.users, staff=args.staff, duration=args.duration, warmup=args.warmup
        )
        load_pages = os.getloadavg()
        print(f"{'page':34} {'requests':>8} {'errors':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
        for r in rows:
            print(f"{r.name:34} {r.requests:8d} {r.errors:6d} {r.p50:7.0f} {r.p95:7.0f} {r.p99:7.0f}")
        print(
            f"{rate:.1f} requests/s; load average after phase 1: {' '.join(f'{x:.2f}' for x in load_pages)}"
        )
        for line in errors:
            print(f"error: {line}")
        failures = sum(r.errors for r in rows) + len(Browser.failed_logins)
        if args.burst:
            warm, uploads = burst_phase(run=run, plan=plan, count=args.burst, timeout=args.grading_timeout)
            lags = [u.lag_s for u in uploads if u.lag_s is not None and not u.error]
            accepted = [u.accepted_s * 1000 for u in uploads if not u.error or u.lag_s is not None]
            print(
                f"phase 2: {len(uploads)} students of different groups upload {plan['burst']['assignment']} "
                f"at once through the upload form; worker -Q default,grading -c 2 "
                f"(warm-up upload: {warm.lag_s or 0:.1f} s to its result{', ' + warm.error if warm.error else ''})"
            )
            print(
                f"upload answered: p50 {percentile(accepted, 0.5):.0f} ms, p95 {percentile(accepted, 0.95):.0f} ms; "
                f"graded {len(lags)} of {len(uploads)}; upload to result: p50 {percentile(lags, 0.5):.1f} s, "
                f"p95 {percentile(lags, 0.95):.1f} s"
            )
            for u in uploads:
                if u.error:
                    print(f"error: {u.username}: {u.error}")
            failures += sum(1 for u in uploads if u.error) + (1 if warm.error else 0)
    finally:
        run.cleanup(keep=args.keep)
    print(
        "load average: before "
        + " ".join(f"{x:.2f}" for x in load_before)
        + ", after "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    worst = max((r.p95 for r in rows), default=0.0)
    print(f"worst_p95_ms: {worst:.0f}, errors: {failures}")


if __name__ == "__main__":
    main()
