"""Homework fixtures: an offering whose first sessions have started, the tiny assignments synced, students."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.utils import timezone

import graders
from courseweb.courses.models import Role
from courseweb.homework import engine
from courseweb.homework.models import Assignment
from courseweb.homework.services.assignments import assignments_sync
from graders.sandbox import BWRAP
from tests.courseweb.homework.notebooks import FIXTURES
from tests.factories import EnrollmentFactory, MembershipFactory, OfferingFactory, SessionFactory, UserFactory


@pytest.fixture(autouse=True)
def _lease_outlasts_grading_inside_a_test_transaction(request, settings) -> None:
    """A test that runs `grading_run` inside its own transaction (`django_db` without `transaction=True`) grades
    a job row that only the test's connection can see: on PostgreSQL the runner's heartbeat thread, on a
    connection of its own, finds no such row at its first beat (a third of the lease in) and reports the lease
    lost, so a grading slower than that was discarded ("lost"). Such tests get a lease no grading outlasts; tests
    with real transactions and worker processes keep the configured one."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or bool(
        marker and marker.kwargs.get("transaction")
    )
    if not transactional:
        settings.HOMEWORK_LEASE_SECONDS = 3600


@pytest.fixture
def hw_media(settings, tmp_path) -> Path:
    """Homework storage in a fresh folder (workers get the same folder through MEDIA_ROOT)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def offering(db):
    return OfferingFactory()


@pytest.fixture
def sessions(offering):
    start = timezone.now() - dt.timedelta(days=1)
    return [
        SessionFactory(
            offering=offering,
            number=n,
            starts_at=start + dt.timedelta(weeks=n - 1),
            ends_at=start + dt.timedelta(weeks=n - 1, hours=2),
        )
        for n in (1, 2, 3)
    ]


@pytest.fixture
def synced(offering, sessions, hw_media) -> dict[str, Assignment]:
    report = assignments_sync(offering=offering, root=FIXTURES)
    assert report.errors == [], report.errors
    return {a.key: a for a in Assignment.objects.select_related("item")}


@pytest.fixture
def tiny(synced) -> Assignment:
    return synced["tiny"]


@pytest.fixture
def released(tiny) -> dict:
    return json.loads((Path(tiny.release_dir) / "tiny.ipynb").read_text())


@pytest.fixture
def pair(offering):
    """Two students in one group."""
    a, b = UserFactory(), UserFactory()
    for user in (a, b):
        EnrollmentFactory(user=user, offering=offering, role=Role.STUDENT)
    m = MembershipFactory(user=a, group__offering=offering)
    MembershipFactory(user=b, group=m.group)
    return a, b, m.group


@pytest.fixture
def solo(offering):
    user = UserFactory()
    EnrollmentFactory(user=user, offering=offering, role=Role.STUDENT)
    return user


@pytest.fixture
def ta(offering):
    user = UserFactory(username="ta-hw")
    EnrollmentFactory(user=user, offering=offering, role=Role.TA)
    return user


@pytest.fixture
def light_engine(monkeypatch):
    """This process's engine slot, preloading only numpy and IPython (quicker to start)."""
    if not Path(BWRAP).exists():
        pytest.skip("bubblewrap is not installed: the engine refuses to grade without a sandbox")
    pool = graders.Pool(size=1, preload=("numpy", "IPython"))
    monkeypatch.setattr(engine, "_pool", pool)
    yield pool
    pool.close()
