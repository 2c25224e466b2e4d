"""Logging in: username or full e-mail address, and django-axes throttling by (username, IP address).

Defect 13 of issue 10: a full e-mail address was rejected although the label invited it, and wrong passwords were
never slowed down. The lock is per (username, address) for 15 minutes after 5 failures; the lock's expiry is
checked by moving axes' clock, not by sleeping.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

HOME = "198.51.100.7"
CAMPUS = "203.0.113.40"


def _login(client, username: str, password: str, *, address: str = HOME):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def amy():
    return UserFactory(username="amy", email="amy.chan@link.example.edu")


def test_full_email_address_logs_in_case_insensitively(client, amy):
    response = _login(client, "Amy.Chan@Link.Example.EDU", PASSWORD)
    assert response.status_code == 302, response.content.decode()[:400]
    assert _logged_in(client)
    assert int(client.session["_auth_user_id"]) == amy.pk


def test_username_still_logs_in_in_any_case(client, amy):
    assert _login(client, "AMY", PASSWORD).status_code == 302
    assert int(client.session["_auth_user_id"]) == amy.pk


def test_login_page_names_the_email_address_and_states_the_lockout_rule(client):
    html = client.get(reverse("login")).content.decode()
    assert "Username or e-mail address" in html
    assert "e-mail name" not in html
    assert "5 wrong passwords" in html and "15 minutes" in html


def test_five_wrong_passwords_then_the_right_one_is_refused_for_that_user_and_address(client, amy):
    for n in range(4):
        response = _login(client, "amy", f"wrong-{n}")
        assert response.status_code == 200
        assert "do not match" in response.content.decode()
    fifth = _login(client, "amy", "wrong-4")
    assert fifth.status_code == 429
    right = _login(client, "amy", PASSWORD)
    assert right.status_code == 429
    assert not _logged_in(client)
    html = right.content.decode()
    assert 'role="alert"' in html
    assert "Too many failed log-in attempts" in html
    assert "15 minutes" in html and "(Hong Kong time)" in html


def test_email_and_username_spellings_share_one_counter(client, amy):
    for n in range(3):
        _login(client, "amy", f"wrong-{n}")
    for n in range(2):
        _login(client, "AMY.CHAN@link.example.edu", f"again-{n}")
    assert _login(client, "amy.chan@link.example.edu", PASSWORD).status_code == 429
    assert not _logged_in(client)


def test_the_same_user_from_another_address_can_still_log_in(client, amy):
    for n in range(6):
        _login(client, "amy", f"wrong-{n}", address=HOME)
    assert _login(client, "amy", PASSWORD, address=HOME).status_code == 429
    response = _login(client, "amy", PASSWORD, address=CAMPUS)
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == amy.pk


def test_another_user_from_the_locked_address_is_not_locked(client, amy):
    bo = UserFactory(username="bo")
    for n in range(5):
        _login(client, "amy", f"wrong-{n}")
    assert _login(client, "bo", PASSWORD).status_code == 302
    assert int(client.session["_auth_user_id"]) == bo.pk


def test_the_lock_expires_after_fifteen_minutes(client, amy, monkeypatch):
    import axes.handlers.proxy  # axes' clock: the time it stamps on each attempt and measures the lock from

    start = timezone.now()
    monkeypatch.setattr(axes.handlers.proxy, "now", lambda: start)
    for n in range(5):
        _login(client, "amy", f"wrong-{n}")
    monkeypatch.setattr(axes.handlers.proxy, "now", lambda: start + dt.timedelta(minutes=14))
    assert _login(client, "amy", PASSWORD).status_code == 429
    monkeypatch.setattr(axes.handlers.proxy, "now", lambda: start + dt.timedelta(minutes=15, seconds=1))
    response = _login(client, "amy", PASSWORD)
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == amy.pk


def test_a_successful_login_resets_the_count(client, amy):
    for n in range(4):
        _login(client, "amy", f"wrong-{n}")
    assert _login(client, "amy", PASSWORD).status_code == 302
    client.logout()
    for n in range(4):
        assert _login(client, "amy", f"later-{n}").status_code == 200
    assert _login(client, "amy", PASSWORD).status_code == 302


def test_test_client_login_and_force_login_still_work(client, amy):
    assert client.login(username="amy", password=PASSWORD)
    client.logout()
    assert client.login(username="amy.chan@link.example.edu", password=PASSWORD)
    client.logout()
    client.force_login(amy)
    assert client.get(reverse("profile")).status_code == 200
