"""Deadline reminders 48 h and 6 h before each owner's own deadline, to owners who have not handed in, at most
once (a unique row per user, item, deadline and kind), and the staff's daily digest of ungraded manual work."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from courseweb.homework.models import Extension
from courseweb.homework.services.manual import deliverable_link_create, item_grade_set
from courseweb.homework.services.submissions import submission_create
from courseweb.notifications.models import Delivery, Kind, Notification, Preference, Reminder
from courseweb.notifications.reminders import digest_send, reminders_send
from tests.courseweb.homework.notebooks import to_bytes
from tests.factories import CourseworkItemFactory

pytestmark = pytest.mark.django_db
HOUR = dt.timedelta(hours=1)


def _reminded(user):
    return list(Notification.objects.filter(user=user, kind=Kind.REMINDER).order_by("pk"))


def _due_in(tiny, hours: float):
    now = timezone.now().replace(microsecond=0)
    tiny.item.due_at = now + hours * HOUR
    tiny.item.save()
    return now


def test_48_and_6_hour_reminders_go_once_to_owners_who_have_not_submitted(
    tiny, released, pair, solo, ta, django_capture_on_commit_callbacks
):
    a, b, _group = pair
    now = _due_in(tiny, 40)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send(now=now) == 3  # the pair and the solo student; never the TA
        assert reminders_send(now=now + HOUR) == 0  # beat ran again: nothing twice
    for user in (a, b, solo):
        [n] = _reminded(user)
        assert "less than 48 hours" in n.title and n.url == reverse("homework:assignment", args=["tiny"])
        assert "Hong Kong time" in n.body
    assert _reminded(ta) == []
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in (a, b, solo))

    submission_create(user=a, assignment=tiny, filename="tiny.ipynb", data=to_bytes(released))
    Preference.objects.create(user=solo, kind=Kind.REMINDER, delivery=Delivery.SITE)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            reminders_send(now=now + 35 * HOUR) == 1
        )  # 5 hours left: only solo, whose group has not submitted
    assert "less than 6 hours" in _reminded(solo)[-1].title
    assert len(_reminded(a)) == len(_reminded(b)) == 1
    assert mail.outbox == []  # solo chose the site only for reminders


def test_reminders_follow_each_owners_own_deadline(tiny, pair, solo, django_capture_on_commit_callbacks):
    a, b, group = pair
    now = _due_in(tiny, 5)
    Extension.objects.create(item=tiny.item, group=group, due_at=now + 30 * HOUR)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send(now=now) == 3
    assert "6 hours" in _reminded(solo)[0].title
    assert "48 hours" in _reminded(a)[0].title and "48 hours" in _reminded(b)[0].title
    rows = set(Reminder.objects.values_list("user_id", "due_at", "kind"))
    assert (a.pk, now + 30 * HOUR, "48h") in rows and (solo.pk, now + 5 * HOUR, "6h") in rows
    # The extension moves again: a new deadline earns its own reminder.
    Extension.objects.filter(group=group).update(due_at=now + 40 * HOUR)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send(now=now) == 2


def test_hand_ins_are_reminded_until_the_group_hands_in(
    offering, pair, solo, django_capture_on_commit_callbacks
):
    a, b, _group = pair
    now = timezone.now().replace(microsecond=0)
    item = CourseworkItemFactory(
        offering=offering, kind="project", slug="proposal", title="Proposal", due_at=now + 3 * HOUR
    )
    deliverable_link_create(user=b, item=item, label="report", url="https://example.org/report")
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send(now=now) == 1
    [n] = _reminded(solo)
    assert n.url == reverse("homework:item", args=["proposal"]) and _reminded(a) == []


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_senders_send_each_reminder_once(tiny, pair, solo):
    """Two beat processes by mistake: two threads, each with its own database connection, send at once."""
    now = _due_in(tiny, 20)
    barrier = threading.Barrier(2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def sender():
        try:
            barrier.wait(timeout=30)
            counts.append(reminders_send(now=now))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == [] and sum(counts) == 3
    for user in (*pair[:2], solo):
        assert len(_reminded(user)) == 1
    assert Reminder.objects.count() == 3
    assert len({m.to[0] for m in mail.outbox}) == len(mail.outbox) == 3


def test_the_daily_digest_tells_staff_what_waits_for_manual_grading_once_a_day(
    offering, tiny, released, pair, solo, ta, django_capture_on_commit_callbacks
):
    a, _b, _group = pair
    now = timezone.localtime(timezone.now()).replace(hour=9, minute=0)  # 09:00 Hong Kong time
    with django_capture_on_commit_callbacks(execute=True):
        assert digest_send(now=now) == 0  # nothing to grade: no message
    submission_create(user=a, assignment=tiny, filename="tiny.ipynb", data=to_bytes(released))
    item = CourseworkItemFactory(offering=offering, kind="project", slug="proposal", title="Proposal")
    deliverable_link_create(user=solo, item=item, label="report", url="https://example.org/r")
    with django_capture_on_commit_callbacks(execute=True):
        assert digest_send(now=now) == 1
        assert digest_send(now=now + HOUR) == 0  # the same Hong Kong day: once
    [n] = Notification.objects.filter(user=ta, kind=Kind.DIGEST)
    assert "2 hand-ins" in n.title and "Proposal" in n.body and solo.name in n.body
    assert [m.to for m in mail.outbox] == [[ta.email]]
    assert not Notification.objects.filter(kind=Kind.DIGEST).exclude(user=ta).exists()
    item_grade_set(grader=ta, item=item, group_id=None, user_id=solo.pk, criteria={0: 3}, comment="")
    with django_capture_on_commit_callbacks(execute=True):
        assert digest_send(now=now + dt.timedelta(days=1)) == 1  # the next day: a new digest
    latest = Notification.objects.filter(user=ta, kind=Kind.DIGEST).order_by("-pk").first()
    assert "1 hand-in " in latest.title and "Proposal" not in latest.body
