"""Web, two grading workers and the database/broker on separate hosts; one worker host is cut off mid-burst.

The hosts are network namespaces joined by veth links that the test makes itself (tests/deploy/netns.py); the db
host runs its own PostgreSQL and Redis, the web host the site under gunicorn, each worker host a real Celery
worker on the `grading` queue with a 5 s lease (tests/deploy/cluster.py). Students upload a burst through the
site's forms over HTTP from a client host. While the jobs run in the sandbox, the link of one worker host goes
down: its leases expire, the other worker's reaper requeues them and grades them; the messages it had prefetched
are sent again. Then the link comes back, and the cut-off worker, which finished its run in the meantime, finds
its lease gone and records nothing. Runs as root; skips (fails under CI=true) where namespaces are not allowed.
"""

from __future__ import annotations

import datetime
import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail
from tests.courseweb.homework.notebooks import ANSWERS_RIGHT, student_notebook, to_bytes
from tests.deploy.cluster import Cluster, cluster_up, missing_tools
from tests.deploy.netns import NetnsUnavailable
from tests.workers import wait_for

pytestmark = [pytest.mark.workers, pytest.mark.xdist_group("multihost")]

STUDENTS = 6
SLEEP_S = 3  # in one answer cell: jobs stay in flight long enough to cut a host off mid-job
CUT_AFTER = datetime.timedelta(seconds=1.2)  # into a notebook's run: the cells before the sleep take ~0.2 s
FINAL = ("graded", "failed")


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    missing = missing_tools()
    if missing:
        skip_or_fail(
            f"the multi-host test needs {', '.join(missing)} (Debian: postgresql, redis-server, bubblewrap)"
        )
    try:
        with cluster_up(workers=("w1", "w2"), students=STUDENTS) as built:
            yield built
    except NetnsUnavailable as exc:
        skip_or_fail(f"{exc}: the multi-host test runs as root on a kernel with veth")


def _phases(job: dict) -> list[str]:
    return [event["phase"] for event in job["events"]]


def _last(job: dict, phase: str) -> dict:
    return [event for event in job["events"] if event["phase"] == phase][-1]


def test_worker_host_cut_off_mid_burst_loses_nothing_and_records_one_result_each(cluster, tmp_path):
    c = cluster
    victim, rescuer = c.worker_name("w1"), c.worker_name("w2")
    wait_for(
        lambda: {victim, rescuer} <= c.observer.workers_ready(), timeout=120, what="both workers to start"
    )

    released = json.loads(Path(c.course["release"]).read_text())
    slow = student_notebook(
        released, ANSWERS_RIGHT, extra=f"import time\ntime.sleep({SLEEP_S})", extra_at="scale"
    )
    notebook = tmp_path / "tiny.ipynb"
    notebook.write_bytes(to_bytes(slow))
    uploads = c.upload(notebook)
    assert [(u["step"], u["status"]) for u in uploads] == [("upload", 302)] * STUDENTS, uploads
    submissions = {u["submission"] for u in uploads}
    assert None not in submissions and len(submissions) == STUDENTS

    def victim_inside_the_sleep() -> bool:
        """A job of the victim's has run its notebook for CUT_AFTER: it sleeps and writes nothing to the database
        (a cut inside one of its transactions would leave a row lock behind; see deploy/README.md)."""
        now = datetime.datetime.now(datetime.UTC)
        return any(
            j["state"] == "running"
            and j["worker"] == victim
            and (j["progress"] or {}).get("phase") == "running"
            and now - datetime.datetime.fromisoformat(_last(j, "running")["at"]) > CUT_AFTER
            for j in c.observer.jobs().values()
        )

    wait_for(victim_inside_the_sleep, timeout=120, interval=0.1, what="the victim worker to run a notebook")
    c.net.cut(c.hosts["db"], c.links["w1"])  # its only link, at the db host's end
    time.sleep(1)  # whatever the victim had in flight on the wire has landed or is lost
    leased = {
        j["id"] for j in c.observer.jobs().values() if j["state"] == "running" and j["worker"] == victim
    }
    assert leased, "the victim held no job when it was cut off"

    def all_final() -> dict | None:
        jobs = c.observer.jobs()
        return jobs if len(jobs) >= STUDENTS and all(j["state"] in FINAL for j in jobs.values()) else None

    jobs = wait_for(
        all_final, timeout=180, what="every submission to get a result while the victim is cut off"
    )
    # nothing lost: one job per submission, graded, with exactly one recorded result
    assert Counter(j["submission_id"] for j in jobs.values()) == Counter(submissions)
    for job in jobs.values():
        assert (job["state"], job["score"], job["max_score"]) == ("graded", 3.0, 5.0), job
        assert _phases(job).count("finished") == 1, job["events"]
    for job_id in leased:  # the victim's leased jobs ran again on the other worker host
        job = jobs[job_id]
        assert job["worker"] == rescuer and job["attempts"] >= 2, job
        requeued_from = [e.get("worker") for e in job["events"] if e["phase"] == "requeued"]
        assert victim in requeued_from, job["events"]

    c.net.mend(c.hosts["db"], c.links["w1"])
    outcomes = wait_for(
        lambda: (seen := c.observer.task_outcomes(worker=victim)) and leased <= seen.keys() and seen,
        timeout=150,
        what="the victim to finish its interrupted runs once its link is back",
    )
    for job_id in leased:  # it finished grading, found its lease gone and threw its result away
        assert ("SUCCESS", "lost") in outcomes[job_id], outcomes[job_id]
    assert c.observer.jobs() == jobs  # no second result, nothing else changed either
