"""A role set in Django's admin goes through the one place roles change (`accounts.services.role_set`'s log and
hub push): the change is logged with who made it, and the user's hub groups are pushed once it is committed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from courseweb.accounts.models import RoleChange
from courseweb.courses.models import Enrollment, Role
from tests.factories import EnrollmentFactory, OfferingFactory, UserFactory

pytestmark = pytest.mark.django_db


def _admin(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    return admin


def test_a_role_changed_in_the_admin_is_logged_and_pushed_to_the_hub(
    client, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from courseweb.hub import tasks

    settings.HUB_SERVICE_TOKEN = "configured"
    pushed: list[int] = []
    monkeypatch.setattr(tasks.groups_push, "delay", pushed.append)
    admin = _admin(client)
    enrollment = EnrollmentFactory(offering=OfferingFactory(), role=Role.TA)
    url = reverse("admin:courses_enrollment_change", args=[enrollment.pk])
    form = {"user": enrollment.user.pk, "offering": enrollment.offering.pk, "role": Role.STUDENT}

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, form)

    assert response.status_code == 302
    assert Enrollment.objects.get(pk=enrollment.pk).role == Role.STUDENT
    change = RoleChange.objects.get(user=enrollment.user)
    assert (change.old_role, change.new_role, change.changed_by, change.via) == (
        "ta",
        "student",
        admin,
        "admin",
    )
    assert pushed == [enrollment.user.pk]


def test_an_enrollment_added_in_the_admin_is_logged_and_an_unchanged_role_is_not(
    client, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from courseweb.hub import tasks

    settings.HUB_SERVICE_TOKEN = "configured"
    pushed: list[int] = []
    monkeypatch.setattr(tasks.groups_push, "delay", pushed.append)
    _admin(client)
    user, offering = UserFactory(), OfferingFactory()
    form = {"user": user.pk, "offering": offering.pk, "role": Role.TA}

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("admin:courses_enrollment_add"), form).status_code == 302
    enrollment = Enrollment.objects.get(user=user, offering=offering)
    assert list(RoleChange.objects.filter(user=user).values_list("old_role", "new_role")) == [("", "ta")]
    with django_capture_on_commit_callbacks(execute=True):
        url = reverse("admin:courses_enrollment_change", args=[enrollment.pk])
        assert client.post(url, form).status_code == 302
    assert RoleChange.objects.filter(user=user).count() == 1
    assert pushed == [user.pk]
