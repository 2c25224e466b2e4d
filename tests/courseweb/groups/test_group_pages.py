"""Group pages over HTTP: register, invite by search or e-mail, accept, the staff overview with the audit log,
the auto-match preview that writes nothing until confirmed, and who may see what."""

from __future__ import annotations

from unittest import mock

import pytest

from courseweb.groups import services as gs
from courseweb.groups.models import Group, Invitation, Membership
from tests.courseweb.groups.factories import AFTER_DEADLINE, BEFORE_DEADLINE, enrolled_student, staff_member
from tests.factories import OfferingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def offering():
    return OfferingFactory()


@pytest.fixture
def before_deadline():
    with mock.patch("django.utils.timezone.now", return_value=BEFORE_DEADLINE):
        yield


@pytest.fixture
def after_deadline():
    with mock.patch("django.utils.timezone.now", return_value=AFTER_DEADLINE):
        yield


def test_student_registers_invites_and_classmate_accepts(client, offering, before_deadline):
    amy = enrolled_student(offering, display_name="Amy Chan")
    ben = enrolled_student(offering, display_name="Ben Lee", major="Finance")
    client.force_login(amy)
    page = client.get("/groups/").content.decode()
    assert "Register a group" in page and "7 Jan 2026, 23:59 HKT" in page
    client.post("/groups/create/", {"name": "Policy Gradients"})
    # Search shows names; the invitation goes to the chosen account.
    page = client.get("/groups/", {"q": "Ben"}).content.decode()
    assert "Ben Lee" in page and f'name="invitee" value="{ben.pk}"' in page
    response = client.post("/groups/invite/", {"invitee": ben.pk}, follow=True)
    assert "Invitation sent to Ben Lee" in response.content.decode()
    assert Membership.objects.filter(user=ben).count() == 0  # consent first

    client.force_login(ben)
    page = client.get("/groups/").content.decode()
    assert "Policy Gradients" in page and "Amy Chan" in page
    inv = Invitation.objects.get(invitee=ben)
    response = client.post(f"/groups/invitations/{inv.pk}/accept/", follow=True)
    page = response.content.decode()
    assert "You joined" in page and "My group: Policy Gradients" in page and "Amy Chan" in page


def test_invite_by_typed_email_and_errors_are_shown(client, offering, before_deadline):
    amy, ben = enrolled_student(offering), enrolled_student(offering)
    client.force_login(amy)
    client.post("/groups/create/", {"name": "Typed"})
    response = client.post("/groups/invite/", {"identifier": "nobody@example.org"}, follow=True)
    assert gs.ERROR_NO_SUCH_CLASSMATE in response.content.decode()
    client.post("/groups/invite/", {"identifier": ben.email})
    assert Invitation.objects.filter(invitee=ben, status="pending").exists()


def test_others_cannot_answer_someone_elses_invitation(client, offering, before_deadline):
    amy, ben, cat = (enrolled_student(offering) for _ in range(3))
    group = gs.group_create(user=amy, offering=offering, name="Private")
    inv = gs.group_invite(group=group, inviter=amy, invitee=ben)
    client.force_login(cat)
    assert client.post(f"/groups/invitations/{inv.pk}/accept/").status_code == 404
    assert not Membership.objects.filter(user=cat).exists()


def test_after_the_deadline_students_see_no_register_form(client, offering, after_deadline):
    amy = enrolled_student(offering)
    client.force_login(amy)
    page = client.get("/groups/").content.decode()
    assert "Register a group" not in page and "ask the course staff" in page
    response = client.post("/groups/create/", {"name": "Late"}, follow=True)
    assert gs.ERROR_DEADLINE_PASSED in response.content.decode()
    assert not Group.objects.exists()


def test_staff_pages_are_for_staff(client, offering):
    student = enrolled_student(offering)
    client.force_login(student)
    for path in ("/groups/staff/", "/groups/staff/automatch/"):
        assert client.get(path).status_code == 403
    assert client.post("/groups/staff/move/", {}).status_code == 403
    client.logout()
    assert client.get("/groups/staff/").status_code == 302


def test_staff_overview_lists_groups_unmatched_students_and_the_audit_log(client, offering, before_deadline):
    ta = staff_member(offering)
    amy = enrolled_student(offering, display_name="Amy Chan")
    enrolled_student(offering, display_name="Lone Wolf")
    gs.group_create(user=amy, offering=offering, name="Registered")
    client.force_login(ta)
    page = client.get("/groups/staff/").content.decode()
    assert "Registered" in page and "Amy Chan" in page
    unmatched = page.split('id="unmatched"')[1].split("</ul>")[0]
    assert "Lone Wolf" in unmatched and "Amy Chan" not in unmatched
    log = page.split('id="audit-log"')[1]
    assert "Amy Chan created group “Registered”" in log


def test_staff_move_places_a_student_after_the_deadline(client, offering, after_deadline):
    ta = staff_member(offering)
    amy, ben = enrolled_student(offering), enrolled_student(offering)
    group = Group.objects.create(offering=offering, name="Existing")
    Membership.objects.create(group=group, user=amy, offering=offering)
    client.force_login(ta)
    client.post("/groups/staff/move/", {"student": ben.pk, "group": group.pk})
    assert Membership.objects.get(user=ben).group == group


def test_automatch_page_previews_then_applies_the_edited_rows(client, offering, after_deadline):
    ta = staff_member(offering)
    s = [
        enrolled_student(offering, student_number=str(n), major=major, display_name=f"S{n}")
        for n, major in ((101, "Finance"), (102, "Marketing"), (103, "Finance"), (104, "Marketing"))
    ]
    client.force_login(ta)
    page = client.get("/groups/staff/automatch/").content.decode()
    assert "Auto-match 1" in page and "Auto-match 2" in page and "same major" in page
    assert not Group.objects.exists()  # the preview wrote nothing
    # Staff edit: swap the pairs across majors and rename one group.
    data = {
        "form-TOTAL_FORMS": "3",
        "form-INITIAL_FORMS": "2",
        "form-0-name": "Mixed One",
        "form-0-member_0": s[0].pk,
        "form-0-member_1": s[1].pk,
        "form-1-name": "Auto-match 2",
        "form-1-member_0": s[2].pk,
        "form-1-member_1": s[3].pk,
        "form-2-name": "",
    }
    response = client.post("/groups/staff/automatch/", data, follow=True)
    assert "Auto-match created 2 group(s)" in response.content.decode()
    made = {g.name: sorted(m.user.student_number for m in g.memberships.all()) for g in Group.objects.all()}
    assert made == {"Mixed One": ["101", "102"], "Auto-match 2": ["103", "104"]}


def test_staff_overview_query_count_does_not_grow_with_groups(client, offering, before_deadline):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ta = staff_member(offering)
    client.force_login(ta)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/groups/staff/").status_code == 200
        return len(ctx.captured_queries)

    for i in range(2):
        gs.group_create(user=enrolled_student(offering), offering=offering, name=f"Few {i}")
    few = count()
    for i in range(10):
        gs.group_create(user=enrolled_student(offering), offering=offering, name=f"Many {i}")
    assert count() == few
