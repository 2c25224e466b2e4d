"""Roster import creates accounts and enrollments and e-mails a working set-password link."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from courseweb.accounts.models import User
from courseweb.accounts.services import ERROR_ROSTER_NO_EMAIL_COLUMN, roster_import
from courseweb.courses.models import Enrollment
from tests.courseweb.notifications.eager import eager_celery  # noqa: F401
from tests.factories import OfferingFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _eager(eager_celery):  # noqa: F811
    """The invitation e-mail is sent by a Celery task after commit; run it in-process to read the outbox."""
    yield


ROSTER = """email,name,student_number,major,department,role
amy@link.example.edu,Amy Chan,1155000001,Marketing,MKT,student
bo@link.example.edu,Bo Li,1155000002,Operations,DOTE,student
ta@link.example.edu,Tina Tam,,,,ta
bad-address,Nobody,,,,student
"""


def test_roster_import_creates_accounts_enrollments_and_reports_errors(django_capture_on_commit_callbacks):
    offering = OfferingFactory()
    with django_capture_on_commit_callbacks(execute=True):
        report = roster_import(offering=offering, csv_text=ROSTER)
    assert report.created == ["amy@link.example.edu", "bo@link.example.edu", "ta@link.example.edu"]
    assert report.errors == ["line 5: bad-address is not an e-mail address"]
    amy = User.objects.get(email="amy@link.example.edu")
    assert (amy.display_name, amy.major, amy.student_number) == ("Amy Chan", "Marketing", "1155000001")
    assert not amy.has_usable_password()
    assert Enrollment.objects.get(user__email="ta@link.example.edu").role == "ta"
    assert len(mail.outbox) == 3
    # re-import updates, never duplicates, and sends no new invitation
    with django_capture_on_commit_callbacks(execute=True):
        again = roster_import(offering=offering, csv_text=ROSTER.replace("Marketing", "Finance"))
    assert again.created == [] and len(again.updated) == 3
    assert User.objects.get(email="amy@link.example.edu").major == "Finance"
    assert len(mail.outbox) == 3


def test_invitation_link_lets_the_student_set_a_password_and_log_in(
    client, django_capture_on_commit_callbacks
):
    offering = OfferingFactory()
    with django_capture_on_commit_callbacks(execute=True):
        roster_import(offering=offering, csv_text=ROSTER)
    body = next(m.body for m in mail.outbox if "amy@link.example.edu" in m.to)
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", body).group(1)
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url, {"new_password1": "a-long-new-pass-42", "new_password2": "a-long-new-pass-42"}
    )
    assert response.status_code == 302
    assert client.login(username="amy", password="a-long-new-pass-42")


def test_roster_without_email_column_is_rejected():
    report = roster_import(offering=OfferingFactory(), csv_text="name,major\nAmy,Marketing\n")
    assert report.errors == [ERROR_ROSTER_NO_EMAIL_COLUMN]


def test_staff_roster_page_imports_an_upload(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(StaffUserFactory())
    upload = SimpleUploadedFile("roster.csv", ROSTER.encode(), content_type="text/csv")
    response = client.post("/accounts/roster/", {"roster": upload, "send_invitations": ""})
    assert response.status_code == 200  # shows the error line for bad-address
    assert "bad-address is not an e-mail address" in response.content.decode()
    assert User.objects.filter(email="bo@link.example.edu").exists()
