"""The home to-do, extended: a student's own deadlines plus what was graded since they last looked and pending
invitations; for staff, ungraded manual work, the grading engine's flags and students without a group."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from courseweb.groups.models import Invitation
from courseweb.homework.models import Extension, GradingJob
from courseweb.homework.services import grading
from courseweb.homework.services.manual import deliverable_link_create
from courseweb.homework.services.submissions import submission_create
from tests.courseweb.homework.notebooks import to_bytes
from tests.factories import CourseworkItemFactory, GroupFactory, UserFactory

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


def _grade(job, flags=()):
    claim = grading.job_claim(job_id=job.pk, worker="w1")
    outcome = {
        "score": 4.0,
        "max_score": 5.0,
        "needs_manual": True,
        "cells": {"tiny": {}},
        "flags": list(flags),
    }
    grading.job_complete(job_id=job.pk, token=claim.token, outcome=outcome)
    return GradingJob.objects.get(pk=job.pk)


def test_a_student_with_an_extension_and_a_group_sees_their_deadline_grades_and_invitations(
    client, offering, tiny, released, pair, solo, django_capture_on_commit_callbacks
):
    a, b, group = pair
    tiny.item.due_at = timezone.now() + DAY
    tiny.item.save()
    ext = Extension.objects.create(item=tiny.item, group=group, due_at=timezone.now() + 4 * DAY)
    job = submission_create(user=b, assignment=tiny, filename="tiny.ipynb", data=to_bytes(released)).job
    with django_capture_on_commit_callbacks(execute=True):
        _grade(job)
    other_group = GroupFactory(offering=offering, name="Night owls")
    Invitation.objects.create(group=other_group, offering=offering, invitee=a, invited_by=solo)

    client.force_login(a)
    page = client.get(reverse("home")).content.decode()
    assert f'datetime="{timezone.localtime(ext.due_at).isoformat()}"' in page
    assert f"extension for group {group.name}" in page
    assert "Graded since you last looked" in page and "Tiny homework graded: 4 of 5 points" in page
    assert "Group invitations waiting for your answer" in page and "Night owls" in page
    # Opening the graded notice marks it read: it leaves the to-do.
    from courseweb.notifications.models import Notification

    notice = Notification.objects.get(user=a, kind="graded")
    assert client.get(reverse("notifications:open", args=[notice.pk]))["Location"] == reverse(
        "homework:submission", args=[job.submission_id]
    )
    page = client.get(reverse("home")).content.decode()
    assert "Graded since you last looked" not in page

    client.force_login(solo)
    page = client.get(reverse("home")).content.decode()
    assert "Graded since you last looked" not in page and "Night owls" not in page
    assert f'datetime="{timezone.localtime(tiny.item.due_at).isoformat()}"' in page


def test_staff_see_ungraded_work_engine_flags_and_students_without_a_group(
    client, offering, tiny, released, pair, solo, ta
):
    offering.group_registration_deadline = timezone.now() - DAY
    offering.save()
    a = pair[0]
    flagged = _grade(
        submission_create(user=a, assignment=tiny, filename="tiny.ipynb", data=to_bytes(released)).job,
        flags=["the notebook changed a test helper"],
    )
    item = CourseworkItemFactory(offering=offering, kind="project", slug="proposal", title="Proposal")
    deliverable_link_create(user=solo, item=item, label="report", url="https://example.org/r")

    client.force_login(ta)
    page = client.get(reverse("home")).content.decode()
    assert "Staff to-do" in page
    assert "Waiting for manual grading (2)" in page
    assert f'href="{reverse("homework:submission", args=[flagged.submission_id])}"' in page
    assert f'href="{reverse("homework:item_grading", args=["proposal"])}"' in page
    assert (
        "Flagged or failed by the grading engine (1)" in page and "the notebook changed a test helper" in page
    )
    assert "Students without a group after the registration deadline (1)" in page and solo.name in page
    assert pair[1].name not in page.split("Students without a group")[1]

    offering.group_registration_deadline = timezone.now() + DAY
    offering.save()
    page = client.get(reverse("home")).content.decode()
    assert "Students without a group" not in page


def test_visitors_and_outsiders_get_no_todo(client, offering):
    assert "Staff to-do" not in client.get(reverse("home")).content.decode()
    client.force_login(UserFactory())
    page = client.get(reverse("home")).content.decode()
    assert "Staff to-do" not in page and "Graded since you last looked" not in page
