"""Roles on the real hub: a course's TA reaches (lists, opens, stops) the servers of that offering's students and no
one else's, and has the admin page but not whole-hub admin; a student reaches only their own server and not the
admin page.  Students' groups come from the site ("Open in JupyterHub" puts them there, as their log-in would).
"""

from __future__ import annotations

import pytest
import requests

from courseweb.accounts.oidc import course_groups
from courseweb.courses.models import Role
from courseweb.hub import client as hub_client
from tests.course_hub.hubstack import hub_token, site_login
from tests.factories import EnrollmentFactory, OfferingFactory, UserFactory

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]


def _get(url: str, token: str) -> int:
    return requests.get(url, headers={"Authorization": f"token {token}"}, timeout=60).status_code


def test_staff_reach_their_students_servers_and_no_one_elses(site_for_hub, hub_stack):
    s26, f99 = OfferingFactory(), OfferingFactory(slug="f99", is_current=False)
    ta, mine, theirs = UserFactory(), UserFactory(), UserFactory()
    EnrollmentFactory(user=ta, offering=s26, role=Role.TA)
    EnrollmentFactory(user=mine, offering=s26, role=Role.STUDENT)
    EnrollmentFactory(user=theirs, offering=f99, role=Role.STUDENT)
    for student in (mine, theirs):
        hub_client.user_ensure(name=f"u{student.pk}", groups=course_groups(student))
        hub_stack.start_server(f"u{student.pk}")
    staff_browser = site_login(site_for_hub, ta.username)
    student_browser = site_login(site_for_hub, mine.username)
    staff_token = hub_token(hub_stack, staff_browser, f"u{ta.pk}")
    student_token = hub_token(hub_stack, student_browser, f"u{mine.pk}")

    assert _get(f"{hub_stack.url}/user/u{mine.pk}/api/contents", staff_token) == 200
    assert _get(f"{hub_stack.url}/user/u{theirs.pk}/api/contents", staff_token) in (403, 404)
    listed = requests.get(
        f"{hub_stack.api_url}/users", headers={"Authorization": f"token {staff_token}"}, timeout=60
    ).json()
    names = {u["name"] for u in listed}
    assert f"u{mine.pk}" in names and f"u{theirs.pk}" not in names
    admin = f"{hub_stack.url}/hub/admin"  # a page: the hub's log-in cookie, not a token
    assert staff_browser.get(admin, allow_redirects=False, timeout=300).status_code == 200
    _, model = hub_stack.api("GET", f"/users/u{ta.pk}")
    assert model["admin"] is False and "course-staff-s26" not in model["roles"]  # through the group only
    stop = requests.delete(
        f"{hub_stack.api_url}/users/u{theirs.pk}/server",
        headers={"Authorization": f"token {staff_token}"},
        timeout=60,
    )
    assert stop.status_code in (403, 404)

    assert _get(f"{hub_stack.url}/user/u{mine.pk}/api/contents", student_token) == 200
    assert _get(f"{hub_stack.url}/user/u{theirs.pk}/api/contents", student_token) in (403, 404)
    assert student_browser.get(admin, allow_redirects=False, timeout=300).status_code == 403
