"""Deadline burst: 60 distinct notebooks uploaded over HTTP through the site's API, graded by real workers.

Sets up a throwaway site in a fresh folder (SQLite and the filesystem broker: `make run`'s embedded defaults),
starts the web server and one worker exactly as `make run` starts it (`celery -A courseweb worker -Q
default,grading,gpu -c 2`), creates N students with personal API tokens, warms the worker up with two
submissions, then uploads N distinct notebooks at once (from parallel HTTP clients) and waits until every
one is graded. The notebooks are correct solutions (the source notebook's solution cells with the released
test cells), each made distinct by a comment, so every one must score full automatic marks.

    .venv/bin/python bench/deadline_burst.py [--count 60] [--assignment DIR] [--concurrency 2]

Prints the time to upload and to grade them all, the p50 and p95 of each submission's latency from upload to
result (from the API's accepted upload, its 201 answer, to the first poll that sees the graded result; and the
same from the stored timestamps, the submission's `submitted_at` to its job's `finished_at`); the last line is
`submissions_per_minute: X`. `--assignment` takes the tiny test fixture (default) or a course assignment folder
(`assignments/hw1-supervised`: the notebooks in `source/`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _submissions import perfect_notebook

REPO = Path(__file__).resolve().parent.parent
DEFAULT_ASSIGNMENT = REPO / "tests" / "courseweb" / "homework" / "fixtures" / "tiny"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup_site(*, assignment: Path, count: int) -> tuple[list[str], str]:
    """Migrate, create the course, sync the assignment and N students with tokens (in this process)."""
    import datetime as dt

    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from courseweb.accounts.models import User
    from courseweb.courses.models import Enrollment, Offering, Role
    from courseweb.homework.services.assignments import assignments_sync
    from courseweb.homework.services.tokens import api_token_create
    from courseweb.lectures.models import Session

    call_command("migrate", verbosity=0)
    offering = Offering.objects.create(slug="bench", title="Bench", season="Bench", is_current=True)
    start = timezone.now() - dt.timedelta(days=1)
    Session.objects.create(
        offering=offering, number=1, starts_at=start, ends_at=start + dt.timedelta(hours=2), room="-", topic="-",
        block="rl",
    )  # fmt: skip
    root = Path(os.environ["COURSEWEB_VAR_DIR"]) / "assignments"
    root.mkdir()
    (root / assignment.name).symlink_to(assignment.resolve())
    report = assignments_sync(offering=offering, root=root)
    if report.errors or not report.created:
        sys.exit(f"could not sync {assignment}: {report.errors}")
    tokens = []
    for n in range(count + 2):
        user = User.objects.create_user(username=f"bench{n}", email=f"bench{n}@example.edu", password="x")
        Enrollment.objects.create(user=user, offering=offering, role=Role.STUDENT)
        tokens.append(api_token_create(user=user, name="bench").secret)
    return tokens, report.created[0]


def request(url: str, *, token: str, body: bytes | None = None) -> dict:
    req = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET")
    req.add_header("Authorization", f"Bearer {token}")
    if body is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=120) as response:
        return json.loads(response.read())


def wait_graded(base: str, items: list[tuple[str, int]], *, timeout: float) -> dict[int, tuple[dict, float]]:
    """Poll each submission until it is graded or failed: id -> (its last answer, perf_counter when first seen)."""
    deadline = time.monotonic() + timeout
    pending = dict(items)
    done: dict[int, tuple[dict, float]] = {}
    while pending and time.monotonic() < deadline:
        for token, sub_id in list(pending.items()):
            data = request(f"{base}/homework/api/submissions/{sub_id}/", token=token)
            if data["state"] in ("graded", "failed"):
                done[sub_id] = (data, time.perf_counter())
                del pending[token]
        time.sleep(0.25)
    if pending:
        sys.exit(f"{len(pending)} submissions were not graded within {timeout:.0f} s")
    return done


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile (q in 0..100): a value that was measured, the maximum for p95 of 20 or fewer."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def server_latencies(ids: list[int]) -> list[float]:
    """Seconds from each submission's stored upload (submitted_at) to its job's finished_at, from the database."""
    from courseweb.homework.models import GradingJob

    latest: dict[int, float] = {}
    for job in GradingJob.objects.filter(submission_id__in=ids).select_related("submission"):
        if job.finished_at is not None:
            seconds = (job.finished_at - job.submission.submitted_at).total_seconds()
            latest[job.submission_id] = max(seconds, latest.get(job.submission_id, 0.0))
    return list(latest.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument(
        "--assignment", type=Path, default=DEFAULT_ASSIGNMENT, help="an assignment folder (with source/)"
    )
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes (make run uses 2)")
    parser.add_argument("--clients", type=int, default=8, help="parallel HTTP uploaders")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--keep", action="store_true", help="keep the throwaway site folder (database, logs)")
    args = parser.parse_args()

    var = Path(tempfile.mkdtemp(prefix="deadline-burst-"))
    os.environ.update(
        {
            "COURSEWEB_VAR_DIR": str(var),
            "DJANGO_SETTINGS_MODULE": "courseweb.settings.dev",
            "DJANGO_DEBUG": "false",
        }
    )
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("CELERY_BROKER_URL", None)
    sys.path.insert(0, str(REPO))
    tokens, key = setup_site(assignment=args.assignment, count=args.count)

    from courseweb.homework.models import Assignment

    assignment = Assignment.objects.get(key=key)
    stem = next(iter(assignment.notebooks))
    source_nb = json.loads((Path(assignment.source_dir) / f"{stem}.ipynb").read_text())
    released_nb = json.loads((Path(assignment.release_dir) / f"{stem}.ipynb").read_text())
    notebooks = [
        json.dumps(perfect_notebook(source_nb, released_nb, tag=f"submission {n}")).encode()
        for n in range(args.count + 2)
    ]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    python = str(REPO / ".venv" / "bin" / "python")
    logs = open(var / "processes.log", "w")  # noqa: SIM115
    procs = [
        subprocess.Popen(
            [python, "-m", "celery", "-A", "courseweb", "worker", "-Q", "default,grading,gpu",
             "-c", str(args.concurrency), "-l", "WARNING"],
            cwd=REPO, stdout=logs, stderr=subprocess.STDOUT, start_new_session=True,
        ),
        subprocess.Popen(
            [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=REPO, stdout=logs, stderr=subprocess.STDOUT, start_new_session=True,
        ),
    ]  # fmt: skip
    submit_url = f"{base}/homework/api/assignments/{key}/submissions/"
    try:
        for _ in range(120):
            try:
                request(f"{base}/homework/api/assignments/", token=tokens[0])
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        warm_start = time.perf_counter()
        warm = [(tokens[i], request(submit_url, token=tokens[i], body=notebooks[i])["id"]) for i in range(2)]
        wait_graded(base, warm, timeout=args.timeout)
        print(
            f"sandbox: warm-up (2 submissions, first start of the engine) took {time.perf_counter() - warm_start:.1f} s"
        )

        def upload(n: int) -> tuple[str, int, float]:
            token = tokens[n + 2]
            sub_id = request(submit_url, token=token, body=notebooks[n + 2])["id"]
            return token, sub_id, time.perf_counter()  # the API answered 201: the upload is accepted

        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.clients) as pool:
            uploads = list(pool.map(upload, range(args.count)))
        uploaded = time.perf_counter() - start
        graded = wait_graded(base, [(token, sub_id) for token, sub_id, _ in uploads], timeout=args.timeout)
        elapsed = time.perf_counter() - start
        results = [data for data, _ in graded.values()]
        latencies = [graded[sub_id][1] - accepted for _, sub_id, accepted in uploads]
        stored = server_latencies([sub_id for _, sub_id, _ in uploads])
    finally:
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        logs.close()
        if args.keep:
            print(f"site folder kept: {var}")
        else:
            shutil.rmtree(var, ignore_errors=True)
    auto_max = sum(
        points for gid, points in assignment.notebooks[stem]["points"].items()
        if gid in assignment.notebooks[stem]["tests"]
    )  # fmt: skip
    full = sum(1 for r in results if r["state"] == "graded" and abs((r["score"] or 0) - auto_max) < 1e-6)
    print(f"assignment: {key} ({args.assignment}); worker: -Q default,grading,gpu -c {args.concurrency}")
    print(f"uploaded {args.count} distinct notebooks over HTTP in {uploaded:.1f} s ({args.clients} clients)")
    print(f"graded all {len(results)} in {elapsed:.1f} s; {full} with full automatic marks ({auto_max:g})")
    print(f"seconds_per_submission: {elapsed / args.count:.2f}")
    print(
        f"upload to result, per submission (from the API's 201 to the first poll that saw it graded, polled every "
        f"0.25 s): p50 {statistics.median(latencies):.1f} s, p95 {percentile(latencies, 95):.1f} s, "
        f"min {min(latencies):.1f} s, max {max(latencies):.1f} s"
    )
    if stored:
        print(
            f"upload to result, per submission (stored: submitted_at to the job's finished_at): "
            f"p50 {statistics.median(stored):.1f} s, p95 {percentile(stored, 95):.1f} s"
        )
    if full != args.count:
        sys.exit("some submissions did not get full marks: the benchmark's notebooks are correct solutions")
    print(f"submissions_per_minute: {args.count / elapsed * 60:.1f}")


if __name__ == "__main__":
    main()
