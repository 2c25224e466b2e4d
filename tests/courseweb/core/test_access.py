"""Private pages send anonymous visitors to log in; staff pages answer 403 to students."""

from __future__ import annotations

import pytest
from django.urls import reverse

from courseweb.courses.models import Role
from tests.factories import EnrollmentFactory, SessionFactory, StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db

STAFF_URLS = [reverse("status"), reverse("roster")]


@pytest.fixture
def student():
    user = UserFactory()
    EnrollmentFactory(user=user, role=Role.STUDENT)
    return user


@pytest.mark.parametrize("url", STAFF_URLS)
def test_student_gets_403_on_staff_pages(client, student, url):
    client.force_login(student)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", STAFF_URLS)
def test_staff_can_open_staff_pages(client, url):
    client.force_login(StaffUserFactory())
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", [*STAFF_URLS, "/schedule/1/", "/accounts/profile/"])
def test_anonymous_visitor_is_sent_to_login(client, url):
    SessionFactory(number=1)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


def test_public_pages_are_open(client):
    SessionFactory(number=1)
    assert client.get("/").status_code == 200
    assert client.get("/schedule/").status_code == 200
    assert client.get("/schedule.ics").status_code == 200
