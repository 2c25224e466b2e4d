"""A burst of 30 submissions graded while the database and the broker restart and a worker is killed with -9.

The same hosts as the multi-host test (tests/deploy/cluster.py): the db host runs the test's own PostgreSQL and
Redis (never the machine's shared ones), the web host the site under gunicorn, two worker hosts one Celery worker
each (5 s lease). Thirty students upload their own notebook of the tiny assignment through the site's forms
(right and wrong answers mixed, so scores differ; each sleeps half a second in one cell, so jobs are in flight,
the first student's 10 s). While the burst is graded, each time while a job runs in a sandbox and others wait in
the queue: PostgreSQL is restarted (fast shutdown, as `pg_ctl restart`) 1 s into the slow notebook's run, then
Redis, then one worker's whole process group gets SIGKILL while the other keeps working. Then every submission
has exactly one job with exactly one recorded result, every grade cell's score and status equal those of an
undisturbed run of the same 30 notebooks, both workers took jobs after each restart, the slow job kept its
lease across the database restart (graded on its first attempt) and the killed worker's job ran again on the
other worker.

The undisturbed run is the engine's batch command line (`python -m graders autograde-batch`) started beside the
burst: it shares nothing with the cluster (no database, broker or worker), and its notebooks' sleeps overlap the
burst's instead of adding a second burst's 30 s to the test.
"""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import skip_or_fail
from tests.courseweb.homework.notebooks import ANSWERS_RIGHT, TINY, student_notebook, to_bytes
from tests.deploy.cluster import REPO, Cluster, cluster_up, missing_tools
from tests.deploy.netns import NetnsUnavailable
from tests.workers import wait_for

pytestmark = [pytest.mark.workers, pytest.mark.xdist_group("multihost")]

STUDENTS = 30
SLEEP_S = 0.5  # in one answer cell of every notebook: a disturbance finds a job inside the sandbox
SLOW_S = 10  # the first student's notebook: in flight across the database restart for longer than a lease
SLOW_RUN = datetime.timedelta(seconds=1)  # into the slow notebook's run when the database restarts
FINAL = ("graded", "failed")
BATCH = [sys.executable, "-m", "graders", "autograde-batch"]  # the engine alone: the undisturbed run
MEANS_WRONG = "def column_means(x):\n    return np.asarray(x, dtype=float).sum(axis=0)"
SCALE_WRONG = "def scale(x, k):\n    return np.asarray(x, dtype=float) + k"
VARIANTS = [  # automatic points 3, 2, 1 and 0 of 3
    ANSWERS_RIGHT,
    {**ANSWERS_RIGHT, "scale": SCALE_WRONG},
    {**ANSWERS_RIGHT, "means": MEANS_WRONG},
    {**ANSWERS_RIGHT, "means": MEANS_WRONG, "scale": SCALE_WRONG},
]


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    missing = missing_tools()
    if missing:
        skip_or_fail(
            f"the restart test needs {', '.join(missing)} (Debian: postgresql, redis-server, bubblewrap)"
        )
    try:
        with cluster_up(workers=("w1", "w2"), students=STUDENTS, name="restarts") as built:
            yield built
    except NetnsUnavailable as exc:
        skip_or_fail(f"{exc}: the restart test runs as root on a kernel with veth")


Cells = dict[str, dict[str, tuple[float, float, str]]]


def _job_cells(job: dict[str, Any]) -> Cells:
    """Per notebook and grade cell of a job row: (score, max score, status)."""
    return {
        stem: {gid: (c["score"], c["max_score"], c["status"]) for gid, c in cells.items()}
        for stem, cells in job["cells"].items()
    }


def _engine_cells(result: dict[str, Any]) -> Cells:
    """The same from one line of `autograde-batch --json`."""
    return {
        stem: {gid: (c["score"], c["max_score"], c["status"]) for gid, c in nb["cells"].items()}
        for stem, nb in result["notebooks"].items()
    }


def _started(job: dict[str, Any]) -> list[tuple[datetime.datetime, str]]:
    return [
        (datetime.datetime.fromisoformat(e["at"]), e["worker"])
        for e in job["events"]
        if e["phase"] == "started"
    ]


def test_restarts_and_a_killed_worker_mid_burst_lose_nothing_and_change_no_result(cluster, tmp_path):
    c = cluster
    victim, survivor = c.worker_name("w1"), c.worker_name("w2")
    released = json.loads(Path(c.course["release"]).read_text())
    uploads_dir, batch_root = tmp_path / "uploads", tmp_path / "submitted"
    uploads_dir.mkdir()
    slow_student, *others = c.course["usernames"]
    for i, username in enumerate(c.course["usernames"]):
        pause = SLOW_S if username == slow_student else SLEEP_S
        sleepy = f"# {username}\nimport time\ntime.sleep({pause})"  # each notebook its own bytes
        data = to_bytes(
            student_notebook(released, VARIANTS[i % len(VARIANTS)], extra=sleepy, extra_at="scale")
        )
        (uploads_dir / f"{username}.ipynb").write_bytes(data)
        (batch_root / username).mkdir(parents=True)
        (batch_root / username / "tiny.ipynb").write_bytes(data)
    with open(tmp_path / "baseline.jsonl", "wb") as out, open(tmp_path / "baseline.log", "wb") as log:
        baseline_run = subprocess.Popen(
            [*BATCH, str(TINY / "source"), str(batch_root), "--workers", "1", "--json"],
            stdout=out,
            stderr=log,
            cwd=REPO,
        )
    try:
        # the slow notebook first, so that it is in flight when the database restarts
        uploads = c.upload(uploads_dir, usernames=[slow_student]) + c.upload(uploads_dir, usernames=others)
        assert [(u["step"], u["status"]) for u in uploads] == [("upload", 302)] * STUDENTS, uploads
        submission_of = {u["username"]: u["submission"] for u in uploads}
        assert None not in submission_of.values() and len(set(submission_of.values())) == STUDENTS
        wait_for(  # they started while the students uploaded
            lambda: {victim, survivor} <= c.observer.workers_ready(),
            timeout=120,
            what="both workers to start",
        )

        def mid_burst(*, graded: int, worker: str | None = None) -> dict[str, set[int]] | None:
            """Once `graded` jobs are graded: the jobs that run a notebook in a sandbox (on `worker`) and those
            that wait in the queue, if there are both."""
            jobs = c.observer.jobs().values()
            done = sum(j["state"] == "graded" for j in jobs)
            running = {
                j["id"]
                for j in jobs
                if j["state"] == "running"
                and (j["progress"] or {}).get("phase") == "running"
                and worker in (None, j["worker"])
            }
            queued = {j["id"] for j in jobs if j["state"] == "queued"}
            return {"running": running, "queued": queued} if done >= graded and running and queued else None

        def slow_job_sleeping() -> dict[str, Any] | None:
            """The slow notebook's job, once it has run in its sandbox for SLOW_RUN (its sleep has 9 s to go)."""
            slow_id = submission_of[slow_student]
            job = next(j for j in c.observer.jobs().values() if j["submission_id"] == slow_id)
            began = [
                datetime.datetime.fromisoformat(e["at"]) for e in job["events"] if e["phase"] == "running"
            ]
            now = datetime.datetime.now(datetime.UTC)
            return job if job["state"] == "running" and began and now - began[-1] > SLOW_RUN else None

        at: dict[str, datetime.datetime] = {}
        caught: dict[str, dict[str, set[int]]] = {}
        slow = wait_for(slow_job_sleeping, timeout=120, interval=0.1, what="the slow notebook to run")
        caught["postgres"] = wait_for(
            lambda: mid_burst(graded=0), timeout=30, interval=0.1, what="jobs in flight and queued"
        )
        at["postgres"] = datetime.datetime.now(datetime.UTC)
        c.restart("postgres")
        caught["redis"] = wait_for(
            lambda: mid_burst(graded=6),
            timeout=120,
            interval=0.1,
            what="a job in a sandbox and one in the queue after 6 graded, to restart Redis",
        )
        at["redis"] = datetime.datetime.now(datetime.UTC)
        c.restart("redis")
        # The victim must take work again after both restarts (a worker that never reconnects to the broker or
        # the database never gets here); it is killed inside a job's notebook.
        caught["kill"] = wait_for(
            lambda: mid_burst(graded=22, worker=victim),
            timeout=120,
            interval=0.1,
            what="the victim worker to run a notebook after the restarts",
        )
        c.kill_worker("w1")
        leased = {
            j["id"] for j in c.observer.jobs().values() if j["state"] == "running" and j["worker"] == victim
        }
        assert leased, "the victim held no job when it was killed"

        def all_final() -> dict | None:
            jobs = c.observer.jobs()
            return jobs if len(jobs) >= STUDENTS and all(j["state"] in FINAL for j in jobs.values()) else None

        jobs = wait_for(all_final, timeout=180, what="every submission to get a result")
        baseline_run.wait(timeout=180)
    finally:
        if baseline_run.poll() is None:
            baseline_run.kill()
            baseline_run.wait()
    assert baseline_run.returncode == 0, (tmp_path / "baseline.log").read_text(errors="replace")[-3000:]
    lines = (tmp_path / "baseline.jsonl").read_text().splitlines()
    baseline = {result["student"]: _engine_cells(result) for result in map(json.loads, lines)}

    # nothing lost: one job per submission, graded, with exactly one recorded result
    assert Counter(j["submission_id"] for j in jobs.values()) == Counter(submission_of.values())
    for job in jobs.values():
        assert job["state"] == "graded", job
        assert [e["phase"] for e in job["events"]].count("finished") == 1, job["events"]
    # the same result per submission as the undisturbed run, and the scores differ between notebooks
    by_submission = {j["submission_id"]: j for j in jobs.values()}
    assert set(baseline) == set(submission_of)
    got = {name: _job_cells(by_submission[sub]) for name, sub in submission_of.items()}
    assert got == baseline
    assert {j["score"] for j in jobs.values()} == {0.0, 1.0, 2.0, 3.0}
    # each disturbance hit the burst in the middle
    for what, seen in caught.items():
        assert seen["running"] and seen["queued"], (what, seen)
    # both workers took jobs after each restart
    claims = [claim for job in jobs.values() for claim in _started(job)]
    for what in ("postgres", "redis"):
        assert {victim, survivor} <= {worker for when, worker in claims if when > at[what]}, what
    # the slow job slept through the database restart and kept its lease: its worker's heartbeat reconnected
    slow_done = jobs[slow["id"]]
    assert (slow_done["worker"], slow_done["attempts"]) == (slow["worker"], 1), slow_done["events"]
    # the victim's leased jobs were taken by the survivor once their lease expired
    for job_id in leased:
        job = jobs[job_id]
        assert job["worker"] == survivor and job["attempts"] >= 2, job
        requeued_from = [e.get("worker") for e in job["events"] if e["phase"] == "requeued"]
        assert victim in requeued_from, job["events"]
