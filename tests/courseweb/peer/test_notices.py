"""The open notice and the reminder go through the notification service (site and e-mail per preference)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from courseweb.notifications.models import Kind, Notification
from courseweb.peer.services import evaluations_open, reminders_send, response_save

pytestmark = pytest.mark.django_db


def test_open_notice_goes_to_each_member_once(offering, item, pair):
    a, b, _ = pair
    evaluations_open(offering=offering, now=timezone.now())
    evaluations_open(offering=offering, now=timezone.now())
    notices = Notification.objects.filter(title__contains=item.title, kind=Kind.REMINDER)
    assert sorted(notices.values_list("user_id", flat=True)) == sorted([a.pk, b.pk])
    assert all("(Hong Kong time)" in n.body for n in notices)


def test_reminder_notifies_only_those_who_owe(offering, item, pair):
    a, b, _ = pair
    (evaluation,) = evaluations_open(offering=offering, now=timezone.now())
    response_save(evaluation=evaluation, rater=a, points={a.pk: 100, b.pk: 100}, now=timezone.now())
    reminders_send(offering=offering, now=evaluation.closes_at - dt.timedelta(hours=2))
    reminders = Notification.objects.filter(title__startswith="Reminder: rate")
    assert list(reminders.values_list("user_id", flat=True)) == [b.pk]
