"""The bell with its unread count, the notifications page with mark-read, opening a notification, and the
preferences form on the account page."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from courseweb.notifications.models import Delivery, Kind, Notification, Preference
from courseweb.notifications.services import notify
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_bell_counts_unread_notices_and_the_page_marks_them_read(client):
    user, other = UserFactory(), UserFactory()
    first, second = (
        notify(users=[user], kind=Kind.EXTENSION, title=t, url="/homework/")[0] for t in ("One", "Two")
    )
    notify(users=[other], kind=Kind.EXTENSION, title="Not yours")
    client.force_login(user)
    home = client.get(reverse("home")).content.decode()
    assert 'aria-label="Notifications: 2 unread"' in home
    page = client.get(reverse("notifications:index")).content.decode()
    assert "One" in page and "Two" in page and "Not yours" not in page
    assert client.post(reverse("notifications:read", args=[first.pk])).status_code == 302
    assert Notification.objects.get(pk=first.pk).read_at is not None
    assert 'aria-label="Notifications: 1 unread"' in client.get(reverse("home")).content.decode()
    response = client.get(reverse("notifications:open", args=[second.pk]))
    assert response.status_code == 302 and response["Location"] == "/homework/"
    assert Notification.objects.get(pk=second.pk).read_at is not None
    assert 'aria-label="Notifications: 0 unread"' in client.get(reverse("home")).content.decode()


def test_a_user_cannot_open_or_mark_anothers_notification(client):
    owner, intruder = UserFactory(), UserFactory()
    [n] = notify(users=[owner], kind=Kind.EXTENSION, title="Private")
    client.force_login(intruder)
    assert client.get(reverse("notifications:open", args=[n.pk])).status_code == 404
    assert client.post(reverse("notifications:read", args=[n.pk])).status_code == 404
    assert Notification.objects.get(pk=n.pk).read_at is None


def test_mark_all_read(client):
    user = UserFactory()
    notify(users=[user], kind=Kind.EXTENSION, title="A")
    notify(users=[user], kind=Kind.GRADED, title="B")
    client.force_login(user)
    client.post(reverse("notifications:read_all"))
    assert not Notification.objects.filter(user=user, read_at__isnull=True).exists()


def test_pages_need_a_login(client):
    for name in ("notifications:index", "notifications:preferences"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_account_page_sets_each_kinds_delivery_with_labelled_choices(client):
    user = UserFactory()
    client.force_login(user)
    profile = client.get(reverse("profile")).content.decode()
    assert "<legend>Homework graded</legend>" in profile
    assert f'action="{reverse("notifications:preferences")}"' in profile
    assert (
        'id="id_graded_1"' in profile
        and '<label for="id_graded_1">On the site only (no e-mail)</label>' in profile
    )
    assert "Account created" not in profile  # the set-password e-mail cannot be turned off
    data = {k: Delivery.EMAIL for k in Kind.values if k != Kind.ACCOUNT}
    data[Kind.GRADED] = Delivery.SITE
    response = client.post(reverse("notifications:preferences"), data)
    assert response.status_code == 302
    assert Preference.objects.get(user=user, kind=Kind.GRADED).delivery == Delivery.SITE
    page = client.get(reverse("notifications:preferences")).content.decode()
    assert re.search(r'<input[^>]*value="site"[^>]*id="id_graded_1"[^>]*checked', page)
    data[Kind.GRADED] = "nonsense"
    page = client.post(reverse("notifications:preferences"), data).content.decode()
    assert 'role="alert"' in page and "Homework graded" in page
    assert Preference.objects.get(user=user, kind=Kind.GRADED).delivery == Delivery.SITE
