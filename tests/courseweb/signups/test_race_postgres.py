"""Concurrent clicks on PostgreSQL: 50 separate processes POST at the same moment to the real site (gunicorn,
several worker processes and threads, each request on its own database connection).

- one place left, no waitlist: exactly one request gets it, the other 49 get HTTP 409 and the "full" message;
- one place left, with a waitlist: one place, 49 waitlist places numbered 1..49, nobody twice;
- one paper, fifty different slots: the slot locks do not serialize these, so only the database's
  one-group-per-paper constraint can stop a double claim; exactly one group gets the paper;
- one student registering fifty groups at once: one group, one membership.

Run locally with DATABASE_URL=postgres://postgres@127.0.0.1:5432/courseweb_groups (CI sets DATABASE_URL).
"""

from __future__ import annotations

import http.client
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from courseweb.signups.models import Signup, SignupStatus
from courseweb.signups.services import ERROR_FULL, ERROR_PAPER_TAKEN
from tests.courseweb.signups.clicker import click
from tests.courseweb.signups.factories import eligible_paper, group_with, sheet
from tests.factories import OfferingFactory
from tests.workers import worker_env

pytestmark = [pytest.mark.needs_postgres, pytest.mark.django_db(transaction=True)]

REPO = Path(__file__).resolve().parents[3]
CLICKS = 50


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def site(django_db_setup):
    """The site under gunicorn (2 processes x 25 threads) on the test database, shared by this module's tests
    (each test's own rows are committed by `transactional_db` and flushed after it); stopped at the end."""
    port = _free_port()
    log = open(Path(settings.VAR_DIR) / f"race-gunicorn-{port}.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "courseweb.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "25",
            "--worker-class",
            "gthread",
            "--backlog",
            "256",
            "--timeout",
            "120",
        ],
        cwd=REPO,
        env=worker_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"gunicorn exited with {proc.returncode}; see {log.name}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("gunicorn did not start within 90 s")
                time.sleep(0.3)
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def _session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def _fire(port: int, requests: list[tuple[str, str, str]]) -> list[tuple[int, str]]:
    ctx = multiprocessing.get_context("spawn")  # never fork: see clicker.py
    barrier = ctx.Barrier(len(requests), timeout=120)
    results = ctx.Queue()
    procs = [ctx.Process(target=click, args=(port, p, c, b, barrier, results)) for p, c, b in requests]
    for p in procs:
        p.start()
    out = [results.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    return out


def _groups(n: int, offering) -> list[tuple]:
    return [group_with(offering=offering, members=1, name=f"Racer {i:02d}") for i in range(n)]


def test_fifty_clicks_for_the_last_place_one_wins_the_rest_are_told_full(site):
    offering = OfferingFactory()
    s = sheet(kind="scribing", offering=offering, count=1, waitlist_enabled=False, closes_at=_far_future())
    slot = s.slots.get()
    racers = _groups(CLICKS, offering)
    path = f"/signups/slot/{slot.pk}/signup/"
    results = _fire(site, [(path, _session_cookie(users[0]), "") for _, users in racers])

    statuses = sorted(status for status, _ in results)
    assert statuses.count(302) == 1, statuses
    assert statuses.count(409) == CLICKS - 1, statuses
    assert all(ERROR_FULL.split(":")[0] in body for status, body in results if status == 409)
    assert Signup.objects.filter(slot=slot).count() == 1
    assert Signup.objects.get(slot=slot).status == SignupStatus.CONFIRMED


def test_fifty_clicks_with_a_waitlist_one_place_and_49_waitlist_places(site):
    offering = OfferingFactory()
    s = sheet(kind="scribing", offering=offering, count=1, waitlist_enabled=True, closes_at=_far_future())
    slot = s.slots.get()
    racers = _groups(CLICKS, offering)
    path = f"/signups/slot/{slot.pk}/signup/"
    results = _fire(site, [(path, _session_cookie(users[0]), "") for _, users in racers])

    assert [status for status, _ in results] == [302] * CLICKS
    signups = Signup.objects.filter(slot=slot)
    assert signups.filter(status=SignupStatus.CONFIRMED).count() == 1
    assert signups.filter(status=SignupStatus.WAITLISTED).count() == CLICKS - 1
    assert signups.values("group").distinct().count() == CLICKS
    assert list(signups.filter(status=SignupStatus.CONFIRMED).values_list("place", flat=True)) == [1]


def test_fifty_groups_claim_one_paper_on_different_slots_only_one_gets_it(site):
    offering = OfferingFactory()
    s = sheet(kind="paper", offering=offering, count=10, slots_per_session=5, closes_at=_far_future())
    slots = list(s.slots.order_by("session__number", "position"))
    assert len(slots) == CLICKS
    paper = eligible_paper("Deep Learning Based Causal Inference", offering)
    racers = _groups(CLICKS, offering)
    requests = [
        (f"/signups/slot/{slot.pk}/signup/", _session_cookie(users[0]), f"paper={paper.pk}")
        for slot, (_, users) in zip(slots, racers, strict=True)
    ]
    results = _fire(site, requests)

    statuses = [status for status, _ in results]
    assert statuses.count(302) == 1, statuses
    assert statuses.count(400) == CLICKS - 1, statuses
    assert all("already chosen that paper" in body for status, body in results if status == 400)
    assert ERROR_PAPER_TAKEN.startswith("Another group has already chosen that paper")
    assert Signup.objects.filter(paper=paper).count() == 1


def _far_future():
    import datetime as dt

    from django.utils import timezone

    return timezone.now() + dt.timedelta(days=30)


def test_fifty_simultaneous_group_registrations_by_one_student_make_one_group(site):
    """Double clicks (and worse) on "Register group": the one-group-per-student constraint keeps one."""
    import datetime as dt

    from django.utils import timezone

    from courseweb.groups.models import Group, Membership
    from tests.courseweb.groups.factories import enrolled_student

    offering = OfferingFactory()
    offering.group_registration_deadline = timezone.now() + dt.timedelta(days=7)
    offering.save()
    amy = enrolled_student(offering)
    cookie = _session_cookie(amy)
    results = _fire(site, [("/groups/create/", cookie, f"name=Clicker+{i:02d}") for i in range(CLICKS)])

    assert [status for status, _ in results] == [
        302
    ] * CLICKS  # each answered, with a message on the next page
    assert Membership.objects.filter(user=amy).count() == 1
    assert Group.objects.filter(offering=offering).count() == 1
