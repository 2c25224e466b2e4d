"""Group registration: create, invite, accept or decline (consent), size limit, deadline, one group per student,
staff moves after the deadline, and the audit log."""

from __future__ import annotations

import datetime as dt

import pytest

from courseweb.groups import services as gs
from courseweb.groups.models import AuditAction, AuditEntry, Group, Invitation, InvitationStatus, Membership
from courseweb.groups.services import GroupError
from tests.courseweb.groups.factories import AFTER_DEADLINE, BEFORE_DEADLINE, enrolled_student, staff_member
from tests.courseweb.notifications.eager import eager_celery  # noqa: F401
from tests.factories import OfferingFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def offering():
    return OfferingFactory()


def members(group):
    return sorted(m.user.username for m in Membership.objects.filter(group=group))


def test_create_makes_a_group_of_one_and_logs_it(offering):
    amy = enrolled_student(offering, username="amy")
    group = gs.group_create(user=amy, offering=offering, name="  Bellman   Boys ", now=BEFORE_DEADLINE)
    assert group.name == "Bellman Boys"
    assert members(group) == ["amy"]
    entry = AuditEntry.objects.get(action=AuditAction.GROUP_CREATED)
    assert entry.actor == amy and entry.group == group and "Bellman Boys" in entry.message


def test_group_names_are_unique_in_the_offering_ignoring_case(offering):
    gs.group_create(
        user=enrolled_student(offering), offering=offering, name="Q-Learners", now=BEFORE_DEADLINE
    )
    with pytest.raises(GroupError, match=gs.ERROR_NAME_TAKEN):
        gs.group_create(
            user=enrolled_student(offering), offering=offering, name="q-learners", now=BEFORE_DEADLINE
        )


def test_invite_by_email_and_accept_joins_the_group(offering):
    amy, ben = enrolled_student(offering), enrolled_student(offering)
    group = gs.group_create(user=amy, offering=offering, name="Pair", now=BEFORE_DEADLINE)
    invitee = gs.classmate_resolve(offering=offering, identifier=ben.email.upper())
    inv = gs.group_invite(group=group, inviter=amy, invitee=invitee, now=BEFORE_DEADLINE)
    # Consent: nothing changes until the invitee accepts.
    assert members(group) == [amy.username]
    gs.group_invite_accept(invitation=inv, user=ben, now=BEFORE_DEADLINE)
    assert members(group) == sorted([amy.username, ben.username])
    inv.refresh_from_db()
    assert inv.status == InvitationStatus.ACCEPTED and inv.decided_at is not None
    assert AuditEntry.objects.filter(action=AuditAction.INVITE_ACCEPTED, subject=ben).exists()


def test_invite_by_student_number_resolves_one_account(offering):
    ben = enrolled_student(offering, student_number="1155999001")
    assert gs.classmate_resolve(offering=offering, identifier=" 1155999001 ") == ben
    with pytest.raises(GroupError, match=gs.ERROR_NO_SUCH_CLASSMATE):
        gs.classmate_resolve(offering=offering, identifier="1155000000")
    # A user who exists but is not a student of this offering cannot be invited.
    outsider = UserFactory()
    with pytest.raises(GroupError, match=gs.ERROR_NO_SUCH_CLASSMATE):
        gs.classmate_resolve(offering=offering, identifier=outsider.email)


def test_decline_leaves_both_where_they_were(offering):
    amy, ben = enrolled_student(offering), enrolled_student(offering)
    group = gs.group_create(user=amy, offering=offering, name="Solo", now=BEFORE_DEADLINE)
    inv = gs.group_invite(group=group, inviter=amy, invitee=ben, now=BEFORE_DEADLINE)
    gs.group_invite_decline(invitation=inv, user=ben, now=BEFORE_DEADLINE)
    assert members(group) == [amy.username]
    assert not Membership.objects.filter(user=ben).exists()
    with pytest.raises(GroupError, match=gs.ERROR_INVITATION_CLOSED):
        gs.group_invite_accept(invitation=inv, user=ben, now=BEFORE_DEADLINE)


def test_only_the_invitee_can_accept(offering):
    amy, ben, cat = (enrolled_student(offering) for _ in range(3))
    group = gs.group_create(user=amy, offering=offering, name="Consent", now=BEFORE_DEADLINE)
    inv = gs.group_invite(group=group, inviter=amy, invitee=ben, now=BEFORE_DEADLINE)
    with pytest.raises(GroupError, match=gs.ERROR_NOT_INVITEE):
        gs.group_invite_accept(invitation=inv, user=cat, now=BEFORE_DEADLINE)
    with pytest.raises(GroupError, match=gs.ERROR_NOT_INVITEE):
        gs.group_invite_decline(invitation=inv, user=amy, now=BEFORE_DEADLINE)
    assert members(group) == [amy.username]


def test_size_limit_comes_from_the_offering(offering):
    amy, ben, cat = (enrolled_student(offering) for _ in range(3))
    group = gs.group_create(user=amy, offering=offering, name="Two max", now=BEFORE_DEADLINE)
    gs.group_invite(group=group, inviter=amy, invitee=ben, now=BEFORE_DEADLINE)
    # One member plus one pending invitation fill a group of two.
    with pytest.raises(GroupError, match="at most 2 members"):
        gs.group_invite(group=group, inviter=amy, invitee=cat, now=BEFORE_DEADLINE)
    offering.group_size_max = 3
    offering.save()
    group.refresh_from_db()
    inv = gs.group_invite(group=group, inviter=amy, invitee=cat, now=BEFORE_DEADLINE)
    gs.group_invite_accept(invitation=inv, user=cat, now=BEFORE_DEADLINE)
    assert len(members(group)) == 2


def test_accepting_into_a_group_that_filled_up_fails(offering):
    offering.group_size_max = 3
    offering.save()
    amy, ben, cat = (enrolled_student(offering) for _ in range(3))
    group = gs.group_create(user=amy, offering=offering, name="Crowded", now=BEFORE_DEADLINE)
    inv_ben = gs.group_invite(group=group, inviter=amy, invitee=ben, now=BEFORE_DEADLINE)
    inv_cat = gs.group_invite(group=group, inviter=amy, invitee=cat, now=BEFORE_DEADLINE)
    offering.group_size_max = 2  # staff tightened the rule meanwhile
    offering.save()
    gs.group_invite_accept(invitation=Invitation.objects.get(pk=inv_ben.pk), user=ben, now=BEFORE_DEADLINE)
    with pytest.raises(GroupError):
        gs.group_invite_accept(
            invitation=Invitation.objects.get(pk=inv_cat.pk), user=cat, now=BEFORE_DEADLINE
        )
    assert len(members(group)) == 2


def test_one_group_per_student(offering):
    amy, ben = enrolled_student(offering), enrolled_student(offering)
    gs.group_create(user=amy, offering=offering, name="A", now=BEFORE_DEADLINE)
    with pytest.raises(GroupError, match=gs.ERROR_ALREADY_IN_GROUP):
        gs.group_create(user=amy, offering=offering, name="B", now=BEFORE_DEADLINE)
    group_b = gs.group_create(user=ben, offering=offering, name="B", now=BEFORE_DEADLINE)
    with pytest.raises(GroupError, match=gs.ERROR_INVITEE_IN_GROUP):
        gs.group_invite(group=group_b, inviter=ben, invitee=amy, now=BEFORE_DEADLINE)


def test_accepting_one_invitation_cancels_the_others(offering):
    amy, ben, cat = (enrolled_student(offering) for _ in range(3))
    g1 = gs.group_create(user=amy, offering=offering, name="One", now=BEFORE_DEADLINE)
    g2 = gs.group_create(user=ben, offering=offering, name="Two", now=BEFORE_DEADLINE)
    inv1 = gs.group_invite(group=g1, inviter=amy, invitee=cat, now=BEFORE_DEADLINE)
    inv2 = gs.group_invite(group=g2, inviter=ben, invitee=cat, now=BEFORE_DEADLINE)
    gs.group_invite_accept(invitation=inv1, user=cat, now=BEFORE_DEADLINE)
    inv2.refresh_from_db()
    assert inv2.status == InvitationStatus.CANCELLED
    with pytest.raises(GroupError, match=gs.ERROR_INVITATION_CLOSED):
        gs.group_invite_accept(invitation=inv2, user=cat, now=BEFORE_DEADLINE)


def test_deadline_closes_student_changes_but_not_staff_moves(offering):
    amy, ben = enrolled_student(offering), enrolled_student(offering)
    ta = staff_member(offering)
    group = gs.group_create(user=amy, offering=offering, name="Late", now=BEFORE_DEADLINE)
    inv = gs.group_invite(group=group, inviter=amy, invitee=ben, now=BEFORE_DEADLINE)
    with pytest.raises(GroupError, match=gs.ERROR_DEADLINE_PASSED):
        gs.group_invite_accept(invitation=inv, user=ben, now=AFTER_DEADLINE)
    with pytest.raises(GroupError, match=gs.ERROR_DEADLINE_PASSED):
        gs.group_create(user=ben, offering=offering, name="Too late", now=AFTER_DEADLINE)
    with pytest.raises(GroupError, match=gs.ERROR_DEADLINE_PASSED):
        gs.group_leave(user=amy, offering=offering, now=AFTER_DEADLINE)
    gs.group_staff_move(staff=ta, offering=offering, student=ben, to_group=group)
    assert members(group) == sorted([amy.username, ben.username])
    assert AuditEntry.objects.filter(action=AuditAction.STAFF_MOVED, subject=ben, actor=ta).exists()


def test_deadline_is_the_offerings_in_hong_kong_time(offering):
    amy = enrolled_student(offering)
    offering.group_registration_deadline = dt.datetime(2026, 2, 1, 12, 0, tzinfo=dt.UTC)
    offering.save()
    assert gs.registration_open(offering=offering, now=dt.datetime(2026, 2, 1, 12, 0, tzinfo=dt.UTC))
    assert not gs.registration_open(offering=offering, now=dt.datetime(2026, 2, 1, 12, 1, tzinfo=dt.UTC))
    gs.group_create(
        user=amy, offering=offering, name="Uses the offering", now=dt.datetime(2026, 1, 20, tzinfo=dt.UTC)
    )


def test_deadline_uses_timezone_now_when_no_time_is_given(offering, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: AFTER_DEADLINE)
    with pytest.raises(GroupError, match=gs.ERROR_DEADLINE_PASSED):
        gs.group_create(user=enrolled_student(offering), offering=offering, name="Frozen")


def test_a_group_of_one_is_kept(offering):
    amy, ben = enrolled_student(offering), enrolled_student(offering)
    group = gs.group_create(user=amy, offering=offering, name="Lonely", now=BEFORE_DEADLINE)
    inv = gs.group_invite(group=group, inviter=amy, invitee=ben, now=BEFORE_DEADLINE)
    gs.group_invite_decline(invitation=inv, user=ben, now=BEFORE_DEADLINE)
    assert Group.objects.filter(pk=group.pk).exists() and members(group) == [amy.username]


def test_leaving_removes_the_member_and_an_empty_group(offering):
    amy, ben = enrolled_student(offering), enrolled_student(offering)
    group = gs.group_create(user=amy, offering=offering, name="Brief", now=BEFORE_DEADLINE)
    inv = gs.group_invite(group=group, inviter=amy, invitee=ben, now=BEFORE_DEADLINE)
    gs.group_invite_accept(invitation=inv, user=ben, now=BEFORE_DEADLINE)
    gs.group_leave(user=amy, offering=offering, now=BEFORE_DEADLINE)
    assert members(group) == [ben.username]
    gs.group_leave(user=ben, offering=offering, now=BEFORE_DEADLINE)
    assert not Group.objects.filter(pk=group.pk).exists()
    assert AuditEntry.objects.filter(action=AuditAction.GROUP_DELETED).exists()


def test_staff_cannot_overfill_a_group_and_can_create_one(offering):
    amy, ben, cat = (enrolled_student(offering) for _ in range(3))
    ta = staff_member(offering)
    group = gs.group_staff_create(staff=ta, offering=offering, name="Staff made", members=[amy, ben])
    assert len(members(group)) == 2
    with pytest.raises(GroupError, match="at most 2"):
        gs.group_staff_move(staff=ta, offering=offering, student=cat, to_group=group)
    gs.group_staff_move(staff=ta, offering=offering, student=ben, to_group=None)
    assert members(group) == [amy.username]


def test_non_students_cannot_register(offering):
    ta = staff_member(offering)
    with pytest.raises(GroupError, match=gs.ERROR_NOT_STUDENT):
        gs.group_create(user=ta, offering=offering, name="Staff", now=BEFORE_DEADLINE)


@pytest.mark.usefixtures("eager_celery")
def test_the_invitee_is_emailed_after_commit(offering, mailoutbox, django_capture_on_commit_callbacks):
    amy = enrolled_student(offering, display_name="Amy Chan")
    ben = enrolled_student(offering, display_name="Ben Lee")
    group = gs.group_create(user=amy, offering=offering, name="Mailers", now=BEFORE_DEADLINE)
    with django_capture_on_commit_callbacks(execute=True):
        gs.group_invite(group=group, inviter=amy, invitee=ben, now=BEFORE_DEADLINE)
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [ben.email] and "Amy Chan invited you" in mail.subject
    assert "“Mailers”" in mail.body and "/groups/" in mail.body and "Wed 07 Jan 2026, 23:59" in mail.body


def test_the_last_member_cannot_leave_a_group_that_holds_signups(offering):
    from courseweb.signups.services import signup_create
    from tests.courseweb.signups.factories import DURING, sheet

    amy = enrolled_student(offering)
    group = gs.group_create(user=amy, offering=offering, name="Holder", now=BEFORE_DEADLINE)
    s = sheet(kind="scribing", offering=offering)
    signup_create(slot=s.slots.first(), group=group, user=amy, now=DURING)
    with pytest.raises(GroupError, match="drop them"):
        gs.group_leave(user=amy, offering=offering, now=BEFORE_DEADLINE)
    assert members(group) == [amy.username]


def test_withdrawn_invitation_cannot_be_accepted(offering):
    amy, ben = enrolled_student(offering), enrolled_student(offering)
    group = gs.group_create(user=amy, offering=offering, name="Withdrawn", now=BEFORE_DEADLINE)
    inv = gs.group_invite(group=group, inviter=amy, invitee=ben, now=BEFORE_DEADLINE)
    with pytest.raises(GroupError, match=gs.ERROR_NOT_MEMBER):
        gs.group_invite_cancel(invitation=inv, user=ben, now=BEFORE_DEADLINE)
    gs.group_invite_cancel(invitation=inv, user=amy, now=BEFORE_DEADLINE)
    with pytest.raises(GroupError, match=gs.ERROR_INVITATION_CLOSED):
        gs.group_invite_accept(invitation=inv, user=ben, now=BEFORE_DEADLINE)
