"""Logging in to the real hub through the site (OpenID Connect, PKCE, auto-login), and the hub in /healthz.

A student logged in on the site reaches the hub without a second log-in; the hub knows them as `u<site user id>`
with their course-role groups; someone not enrolled in the hub's offerings is refused.
"""

from __future__ import annotations

import re

import pytest

from courseweb.courses.models import Role
from tests.course_hub.hubstack import site_login
from tests.factories import EnrollmentFactory, OfferingFactory, StaffUserFactory, UserFactory

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]


def test_a_student_logged_in_on_the_site_reaches_the_hub_without_logging_in_again(site_for_hub, hub_stack):
    user = UserFactory(username="root@link.example.edu", email="root@link.example.edu")
    EnrollmentFactory(user=user, offering=OfferingFactory(), role=Role.STUDENT)
    browser = site_login(site_for_hub, user.username)

    landed = browser.get(f"{hub_stack.url}/hub/home", timeout=300)

    assert landed.status_code == 200 and landed.url == f"{hub_stack.url}/hub/home"
    steps = [r.url for r in landed.history]
    assert any(url.startswith(f"{site_for_hub}/o/authorize/") for url in steps), steps
    assert not any("/accounts/login/" in url for url in steps), "asked to log in a second time"
    status, model = hub_stack.api("GET", f"/users/u{user.pk}")
    assert status == 200 and model["groups"] == ["course:s26:student"]
    assert model["admin"] is False
    status, names = hub_stack.api("GET", "/users")
    assert not [u for u in names if u["name"].startswith("root")]


def test_someone_not_enrolled_in_the_hubs_offerings_is_refused(site_for_hub, hub_stack):
    outsider = UserFactory()
    EnrollmentFactory(
        user=outsider, offering=OfferingFactory(slug="f99", is_current=False), role=Role.STUDENT
    )
    browser = site_login(site_for_hub, outsider.username)

    refused = browser.get(f"{hub_stack.url}/hub/home", timeout=300)

    assert refused.status_code == 403
    assert hub_stack.api("GET", f"/users/u{outsider.pk}")[0] == 404


def test_healthz_and_the_status_page_report_the_hub(site_for_hub, hub_stack, client, settings):
    body = client.get("/healthz").json()
    assert body["hub"] == "ok"
    staff = StaffUserFactory()
    client.force_login(staff)
    page = client.get("/staff/status/").content.decode()
    assert re.search(r"<th scope=\"row\">Hub</th>\s*<td><span class=\"status-ok\">up", page), page

    settings.HUB_SERVICE_TOKEN = "not-the-token"
    assert client.get("/healthz").json()["hub"].startswith("error: HubError")
    settings.HUB_URL = "http://127.0.0.1:9"
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["hub"].startswith("error")
