"""Roles on the real hub: a course's TA reaches (lists, opens, stops) the servers of that offering's students and no
one else's, and has the admin page but not whole-hub admin; a student reaches only their own server and not the
admin page.  Students' groups come from the site ("Open in JupyterHub" puts them there, as their log-in would).
A role changed on the site changes the user's hub groups, and so their access, at once.
"""

from __future__ import annotations

import pytest
import requests

from courseweb.accounts.oidc import course_groups
from courseweb.courses.models import Role
from courseweb.hub import client as hub_client
from tests.course_hub.hubstack import hub_token, site_login
from tests.factories import EnrollmentFactory, OfferingFactory, UserFactory
from tests.workers import wait_for

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


def test_role_changes_on_the_site_reach_the_hub_at_once(site_for_hub, hub_stack, monkeypatch):
    from courseweb.accounts.services import role_set
    from courseweb.hub import tasks

    queued: list[int] = []
    monkeypatch.setattr(tasks.groups_push, "delay", queued.append)
    s26 = OfferingFactory()
    bob, mine, stranger = UserFactory(), UserFactory(), UserFactory()
    role_set(user=bob, offering=s26, role=Role.STUDENT, actor=None, via="test")
    role_set(user=mine, offering=s26, role=Role.STUDENT, actor=None, via="test")
    hub_client.user_ensure(name=f"u{mine.pk}", groups=course_groups(mine))
    hub_stack.start_server(f"u{mine.pk}")
    bob_browser = site_login(site_for_hub, bob.username)
    bob_token = hub_token(hub_stack, bob_browser, f"u{bob.pk}")  # bob has logged in to the hub as a student
    contents = f"{hub_stack.url}/user/u{mine.pk}/api/contents"
    queued.clear()

    def push() -> None:
        for user_id in queued:
            tasks.groups_push(user_id)
        queued.clear()

    role_set(user=bob, offering=s26, role=Role.TA, actor=None, via="test")  # promoted
    assert queued == [bob.pk]  # queued on commit
    push()
    assert hub_stack.api("GET", f"/users/u{bob.pk}")[1]["groups"] == ["course:s26:ta"]
    assert _get(contents, bob_token) == 200  # the staff role, through the group, at once

    role_set(user=bob, offering=s26, role=Role.STUDENT, actor=None, via="test")  # demoted
    push()
    assert hub_stack.api("GET", f"/users/u{bob.pk}")[1]["groups"] == ["course:s26:student"]
    listed = requests.get(
        f"{hub_stack.api_url}/users", headers={"Authorization": f"token {bob_token}"}, timeout=60
    )
    assert listed.status_code == 403 or f"u{mine.pk}" not in {u["name"] for u in listed.json()}
    # the server re-checks the token with the hub once its cached answer is older than 10 s
    wait_for(lambda: _get(contents, bob_token) in (403, 404), timeout=120, interval=2, what="access removed")

    role_set(user=stranger, offering=s26, role=Role.TA, actor=None, via="test")
    assert tasks.groups_push(stranger.pk) == "not on the hub"  # their first log-in brings their groups
    assert hub_stack.api("GET", f"/users/u{stranger.pk}")[0] == 404
