"""The home page's to-do list (homework fixtures, hence here): the user's open work with their own deadlines, each linked to its page."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from courseweb.courses.models import Role
from courseweb.homework.models import Extension
from courseweb.homework.services.submissions import submission_create
from tests.courseweb.homework.notebooks import to_bytes
from tests.factories import CourseworkItemFactory, EnrollmentFactory, UserFactory

DAY = dt.timedelta(days=1)


def _open_tiny(tiny):
    """Tiny homework due yesterday: past its course due time but within the 7-day cut-off, so still open."""
    tiny.item.due_at = timezone.now() - DAY
    tiny.item.save()
    return tiny


def test_home_lists_open_homework_instead_of_nothing_due(client, tiny, pair):
    """Defect 8: the home page said "Nothing is due soon" while homework was open."""
    _open_tiny(tiny)
    client.force_login(pair[0])
    page = client.get(reverse("home")).content.decode()
    assert "Nothing is due soon" not in page
    assert f'href="{reverse("homework:assignment", args=["tiny"])}"' in page
    assert "Tiny homework" in page and "late" in page


def test_home_todo_uses_the_users_own_deadline_and_hand_ins(client, offering, tiny, pair, solo):
    tiny = _open_tiny(tiny)
    ext = Extension.objects.create(item=tiny.item, group=pair[2], due_at=timezone.now() + 4 * DAY)
    proposal = CourseworkItemFactory(
        offering=offering, kind="project", slug="project-proposal", title="Project proposal",
        category="project", due_at=timezone.now() + 6 * DAY,
    )  # fmt: skip
    replication = CourseworkItemFactory(
        offering=offering, kind="replication", slug="replication", title="Paper replication",
        category="replication", due_at=None,
    )  # fmt: skip
    client.force_login(pair[0])
    page = client.get(reverse("home")).content.decode()
    due = timezone.localtime(ext.due_at)
    assert f'datetime="{due.isoformat()}"' in page and f"extension for group {pair[2].name}" in page
    for item in (proposal, replication):
        assert f'href="{reverse("homework:item", args=[item.slug])}"' in page
    assert "No due date yet" in page
    client.force_login(solo)
    page = client.get(reverse("home")).content.decode()
    course_due = timezone.localtime(tiny.item.due_at)
    assert f'datetime="{course_due.isoformat()}"' in page


def test_submitted_homework_is_marked_and_closed_homework_leaves_the_list(client, tiny, released, pair):
    tiny = _open_tiny(tiny)
    submission_create(user=pair[1], assignment=tiny, filename="tiny.ipynb", data=to_bytes(released))
    client.force_login(pair[0])
    page = client.get(reverse("home")).content.decode()
    assert "Tiny homework" in page and "submitted" in page
    tiny.item.due_at = timezone.now() - 8 * DAY  # past the cut-off
    tiny.item.save()
    page = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("homework:assignment", args=["tiny"])}"' not in page


def test_staff_and_visitors_see_course_deadlines_without_a_todo(client, offering, tiny):
    staff = UserFactory()
    EnrollmentFactory(user=staff, offering=offering, role=Role.TA)
    _open_tiny(tiny)
    assert client.get(reverse("home")).status_code == 200
    client.force_login(staff)
    page = client.get(reverse("home")).content.decode()
    assert "Your to-do" not in page
