"""/healthz reports database, broker and worker; a stopped worker turns `worker` into an error.

A killed worker's heartbeat goes stale after WORKER_HEARTBEAT_MAX_AGE; the tests wait for that outcome with a
generous bound and never assert how long it took (a loaded machine is slower: issue 10, defect 16).
"""

from __future__ import annotations

import json
import signal

import pytest

from tests.workers import celery_worker, stop_worker, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _health(client) -> tuple[int, dict]:
    response = client.get("/healthz")
    return response.status_code, json.loads(response.content)


def test_healthz_without_worker_reports_worker_error(client):
    status, body = _health(client)
    assert set(body) == {"database", "broker", "worker"}
    assert body["database"] == "ok" and body["broker"] == "ok"
    assert body["worker"].startswith("error: no worker heartbeat")
    assert status == 503


@pytest.mark.parametrize("how", ["graceful", "killed"])
def test_worker_up_then_stopped_turns_worker_into_error(client, staff_client, settings, how):
    settings.WORKER_HEARTBEAT_MAX_AGE = (
        10  # a killed worker's last heartbeat goes stale sooner (default 30 s)
    )
    with celery_worker(name=f"health-{how}") as proc:
        wait_for(lambda: _health(client)[1]["worker"] == "ok", timeout=90, what="worker heartbeat")
        status, body = _health(client)
        assert status == 200 and body == {"database": "ok", "broker": "ok", "worker": "ok"}
        page = staff_client.get("/staff/status/").content.decode()
        assert page.count('class="status-ok">up<') == 3
        stop_worker(proc, sig=signal.SIGTERM if how == "graceful" else signal.SIGKILL)
        wait_for(lambda: _health(client)[1]["worker"].startswith("error"), timeout=180, what="worker error")
    assert 'class="status-error">down<' in staff_client.get("/staff/status/").content.decode()


@pytest.fixture
def staff_client(client):
    from django.test import Client

    from tests.factories import StaffUserFactory

    c = Client()
    c.force_login(StaffUserFactory())
    return c
