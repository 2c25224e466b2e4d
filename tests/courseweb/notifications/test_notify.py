"""One notification service: every kind reaches the right people on the site and, per their preference, by
e-mail, only after the transaction commits."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from courseweb.groups.services import group_invite
from courseweb.homework.services import grading
from courseweb.homework.services.manual import extension_grant, item_grade_set, manual_cell_grade_set
from courseweb.homework.services.submissions import submission_create
from courseweb.notes.scribing import note_for_session, note_publish, note_request_changes, note_version_create
from courseweb.notifications.models import Delivery, Kind, Notification, Preference
from courseweb.notifications.services import notify
from courseweb.signups import services as ss
from courseweb.signups import staff as st
from tests.courseweb.homework.notebooks import to_bytes
from tests.courseweb.notes.factories import scribing_setup
from tests.courseweb.signups.factories import DURING, group_with, sheet
from tests.factories import CourseworkItemFactory, UserFactory

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


def _site_only(user, kind):
    Preference.objects.create(user=user, kind=kind, delivery=Delivery.SITE)


def _of(kind, user):
    return list(Notification.objects.filter(kind=kind, user=user))


def _mailed_to(user):
    return [m for m in mail.outbox if user.email in m.to]


def test_email_goes_out_only_after_commit_and_never_for_a_rollback(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        notify(users=[user], kind=Kind.EXTENSION, title="Extension granted for HW1", url="/homework/")
    assert mail.outbox == [] and len(callbacks) == 1  # queued for the commit, not sent inside the transaction
    callbacks[0]()
    assert [m.to for m in mail.outbox] == [[user.email]]
    body = mail.outbox[0].body
    assert "Extension granted for HW1" in body and "http://" in body and "/homework/" in body
    assert reverse("notifications:preferences") in body  # how to change what arrives by e-mail

    mail.outbox.clear()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notify(users=[user], kind=Kind.EXTENSION, title="Rolled back")
        raise RuntimeError
    assert callbacks == [] and mail.outbox == []
    assert not Notification.objects.filter(title="Rolled back").exists()


def test_site_only_preference_keeps_the_notice_on_the_site(django_capture_on_commit_callbacks):
    a, b = UserFactory(), UserFactory()
    _site_only(a, Kind.EXTENSION)
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[a, b, b], kind=Kind.EXTENSION, title="Extension granted")
    assert len(_of(Kind.EXTENSION, a)) == 1 and len(_of(Kind.EXTENSION, b)) == 1
    assert _mailed_to(a) == [] and len(_mailed_to(b)) == 1


def test_a_repeated_email_task_sends_nothing_twice(django_capture_on_commit_callbacks):
    from courseweb.notifications.tasks import notifications_email

    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        [n] = notify(users=[user], kind=Kind.EXTENSION, title="Once")
    assert notifications_email([n.pk]) == 0
    assert len(mail.outbox) == 1


def test_graded_work_tells_each_group_member_the_score_with_a_link(
    tiny, released, pair, django_capture_on_commit_callbacks
):
    a, b, _group = pair
    _site_only(b, Kind.GRADED)
    job = submission_create(user=a, assignment=tiny, filename="tiny.ipynb", data=to_bytes(released)).job
    claim = grading.job_claim(job_id=job.pk, worker="w1")
    outcome = {"score": 3.0, "max_score": 5.0, "needs_manual": False, "cells": {"tiny": {}}, "flags": []}
    with django_capture_on_commit_callbacks(execute=True):
        assert grading.job_complete(job_id=job.pk, token=claim.token, outcome=outcome)
    url = reverse("homework:submission", args=[job.submission_id])
    for user in (a, b):
        [n] = _of(Kind.GRADED, user)
        assert "3 of 5 points" in n.title and n.url == url
    [message] = _mailed_to(a)
    assert "3 of 5 points" in message.body and url in message.body
    assert _mailed_to(b) == []


def test_manual_points_and_item_grades_reach_the_owners(
    offering, tiny, released, pair, solo, ta, django_capture_on_commit_callbacks
):
    a, b, _group = pair
    job = submission_create(user=a, assignment=tiny, filename="tiny.ipynb", data=to_bytes(released)).job
    manual = tiny.notebooks["tiny"]["manual"][0]
    with django_capture_on_commit_callbacks(execute=True):
        manual_cell_grade_set(
            grader=ta, submission=job.submission, grade_id=manual, points=1, comment="Say why it is biased."
        )
    for user in (a, b):
        [n] = _of(Kind.MANUAL_GRADE, user)
        assert "Say why it is biased." in n.body and n.url == reverse(
            "homework:submission", args=[job.submission_id]
        )
    assert _of(Kind.MANUAL_GRADE, solo) == []
    proposal = CourseworkItemFactory(offering=offering, kind="project", slug="proposal", title="Proposal")
    with django_capture_on_commit_callbacks(execute=True):
        item_grade_set(grader=ta, item=proposal, group_id=None, user_id=solo.pk, criteria={0: 4}, comment="")
    [n] = _of(Kind.MANUAL_GRADE, solo)
    assert "Proposal" in n.title and n.url == reverse("homework:item", args=["proposal"])
    assert len(_mailed_to(solo)) == 1 and len(_mailed_to(a)) == 1


def test_an_extension_tells_the_group_its_new_due_time(
    tiny, pair, solo, ta, django_capture_on_commit_callbacks
):
    a, b, group = pair
    due = timezone.now() + 3 * DAY
    with django_capture_on_commit_callbacks(execute=True):
        extension_grant(by=ta, item=tiny.item, due_at=due, group_id=group.pk, reason="illness")
    local = timezone.localtime(due)
    for user in (a, b):
        [n] = _of(Kind.EXTENSION, user)
        assert f"{local:%H:%M}" in n.body and "Hong Kong time" in n.body
        assert n.url == reverse("homework:assignment", args=["tiny"])
        assert len(_mailed_to(user)) == 1
    assert _of(Kind.EXTENSION, solo) == []


def test_an_invitation_reaches_the_invitee_only(offering, solo, django_capture_on_commit_callbacks):
    from courseweb.groups.services import group_create

    offering.group_registration_deadline = timezone.now() + 5 * DAY
    offering.save()
    other = UserFactory()
    from tests.factories import EnrollmentFactory

    EnrollmentFactory(user=other, offering=offering)
    group = group_create(user=other, offering=offering, name="Bandits")
    with django_capture_on_commit_callbacks(execute=True):
        group_invite(group=group, inviter=other, invitee=solo)
    [n] = _of(Kind.INVITATION, solo)
    assert "invited you" in n.title and n.url == reverse("groups:index")
    [message] = mail.outbox
    assert message.to == [solo.email] and "Bandits" in message.body and "Hong Kong time" in message.body


def test_staff_changes_and_waitlist_promotion_tell_the_groups(django_capture_on_commit_callbacks):
    s = sheet(kind="scribing", count=3)
    one, two, three = list(s.slots.order_by("session__number", "position"))
    (g1, u1), (g2, u2), (g3, u3) = group_with(), group_with(), group_with()
    staff_user = UserFactory()
    mine = ss.signup_create(slot=one, group=g1, user=u1[0], now=DURING)
    waiting = ss.signup_create(slot=one, group=g2, user=u2[0], now=DURING)
    with django_capture_on_commit_callbacks(execute=True):
        st.signup_move(staff=staff_user, signup=mine, to_slot=three)
    for user in u1:
        [n] = _of(Kind.SIGNUP_CHANGED, user)
        assert "moved your group" in n.body and n.url == reverse("signups:sheet", args=[s.pk])
    for user in u2:  # moved up into the freed place
        assert len(_of(Kind.WAITLIST, user)) == 1 and _of(Kind.SIGNUP_CHANGED, user) == []
    assert waiting.pk
    with django_capture_on_commit_callbacks(execute=True):
        st.signup_assign(staff=staff_user, slot=two, group=g3)
    assert all(len(_of(Kind.SIGNUP_CHANGED, u)) == 1 for u in u3)
    mail.outbox.clear()
    from courseweb.signups.models import Signup

    with django_capture_on_commit_callbacks(execute=True):
        st.signup_swap(
            staff=staff_user, first=Signup.objects.get(pk=mine.pk), second=Signup.objects.get(group=g3)
        )
    assert all(len(_of(Kind.SIGNUP_CHANGED, u)) == 2 for u in u1 + u3)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in u1 + u3)


def test_a_reviewed_and_a_published_note_tell_the_scribes(django_capture_on_commit_callbacks):
    setup = scribing_setup()
    note = note_for_session(session=setup["session"])
    note.group = setup["group"]
    note.save()
    note_version_create(note=note, author=setup["members"][0], markdown="# Policy gradients\n\nText.")
    with django_capture_on_commit_callbacks(execute=True):
        note_request_changes(note=note, author=setup["ta"], body="Define the baseline.")
    for user in setup["members"]:
        [n] = _of(Kind.NOTE_REVIEWED, user)
        assert "changes" in n.title and "Define the baseline." in n.body
        assert n.url == reverse("notes:note_detail", args=[note.pk])
    note_version_create(note=note, author=setup["members"][0], markdown="# Policy gradients\n\nBetter text.")
    with django_capture_on_commit_callbacks(execute=True):
        note_publish(note=note, author=setup["ta"])
    for user in setup["members"]:
        assert any("published" in n.title for n in _of(Kind.NOTE_REVIEWED, user))
    assert _of(Kind.NOTE_REVIEWED, setup["outsider"]) == []
    assert len(mail.outbox) == 4


def test_the_roster_email_keeps_a_working_set_password_link_that_is_never_stored(
    client, django_capture_on_commit_callbacks
):
    from courseweb.accounts.services import roster_import
    from tests.factories import OfferingFactory

    with django_capture_on_commit_callbacks(execute=True):
        roster_import(offering=OfferingFactory(), csv_text="email,name\nkim@link.example.edu,Kim Ho\n")
    [message] = mail.outbox
    link = next(line for line in message.body.splitlines() if "/reset/" in line).strip()
    [n] = Notification.objects.filter(kind=Kind.ACCOUNT)
    assert "/reset/" not in n.url + n.body
    response = client.get(urlsplit(link).path, follow=True)
    assert response.status_code == 200 and "new_password1" in response.content.decode()
