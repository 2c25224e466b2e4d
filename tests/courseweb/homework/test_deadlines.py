"""One deadline per user and item: the group rule with members' earlier extensions, single and bulk agree."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courseweb.courses.models import Role
from courseweb.groups.models import Invitation, Membership
from courseweb.groups.services import group_create, group_invite, group_invite_accept
from courseweb.homework.deadlines import EffectiveDeadline, deadline_for_user, deadlines_for
from courseweb.homework.models import Extension, Submission
from courseweb.homework.services.submissions import submission_create
from tests.courseweb.homework.notebooks import to_bytes
from tests.factories import (
    CourseworkItemFactory,
    EnrollmentFactory,
    GroupFactory,
    MembershipFactory,
    UserFactory,
)

DAY = dt.timedelta(days=1)


def _student(offering, name: str):
    user = UserFactory(display_name=name)
    EnrollmentFactory(user=user, offering=offering, role=Role.STUDENT)
    return user


@pytest.fixture
def open_registration(offering):
    offering.group_registration_deadline = None
    offering.save()
    return offering


def test_carol_keeps_her_own_extension_after_dan_joins_her_group(tiny, released, open_registration, hw_media):
    """Defect 2: Carol's personal extension, granted before she formed a group, still applies to the group."""
    offering = open_registration
    carol, dan = _student(offering, "Carol"), _student(offering, "Dan")
    ext = Extension.objects.create(item=tiny.item, user=carol, due_at=tiny.item.due_at + 20 * DAY)
    group = group_create(user=carol, offering=offering, name="Carol and Dan")
    invitation = group_invite(group=group, inviter=carol, invitee=dan)
    group_invite_accept(invitation=Invitation.objects.get(pk=invitation.pk), user=dan)

    at = tiny.item.due_at + 10 * DAY  # past the course's cut-off (7 days), before Carol's extension
    out = submission_create(
        user=carol, assignment=tiny, filename="tiny.ipynb", data=to_bytes(released), now=at
    )
    assert not out.submission.is_late
    assert "Carol's own extension (granted before joining Carol and Dan)" in out.submission.deadline_note

    for user in (carol, dan):
        deadline = deadline_for_user(item=tiny.item, user=user)
        assert deadline.due_at == ext.due_at and deadline.extension == ext
        assert deadline.source == "Carol's own extension (granted before joining Carol and Dan)"


def test_own_extension_granted_after_joining_does_not_move_the_group(offering, tiny):
    carol, dan = _student(offering, "Carol"), _student(offering, "Dan")
    group = GroupFactory(offering=offering, name="G")
    for user in (carol, dan):
        MembershipFactory(group=group, user=user)
    Extension.objects.create(item=tiny.item, user=dan, due_at=tiny.item.due_at + 5 * DAY)
    Membership.objects.filter(user=dan).update(joined_at=timezone.now() - DAY)
    deadline = deadline_for_user(item=tiny.item, user=carol)
    assert deadline.due_at == tiny.item.due_at and deadline.extension is None
    assert deadline.source == "course deadline"


def test_latest_of_course_group_and_member_extensions_wins(offering, tiny):
    carol, dan = _student(offering, "Carol"), _student(offering, "Dan")
    Extension.objects.create(item=tiny.item, user=dan, due_at=tiny.item.due_at + 2 * DAY)
    group = GroupFactory(offering=offering, name="G")
    for user in (carol, dan):
        MembershipFactory(group=group, user=user)
    group_ext = Extension.objects.create(item=tiny.item, group=group, due_at=tiny.item.due_at + 4 * DAY)
    assert deadline_for_user(item=tiny.item, user=carol).extension == group_ext
    assert deadline_for_user(item=tiny.item, user=carol).source == "extension for group G"
    group_ext.due_at = tiny.item.due_at + DAY
    group_ext.save()
    deadline = deadline_for_user(item=tiny.item, user=carol)
    assert deadline.source == "Dan's own extension (granted before joining G)"
    assert deadline.due_at == tiny.item.due_at + 2 * DAY
    # An "extension" earlier than the course's due time never shortens it.
    Extension.objects.filter(user=dan).update(due_at=tiny.item.due_at - DAY)
    group_ext.delete()
    assert deadline_for_user(item=tiny.item, user=dan).due_at == tiny.item.due_at


def test_project_items_use_the_same_function_without_a_cutoff(offering):
    solo = _student(offering, "Sol")
    project = CourseworkItemFactory(offering=offering, kind="project", slug="proposal", due_at=None)
    deadline = deadline_for_user(item=project, user=solo)
    assert deadline.due_at is None and deadline.cutoff_at is None
    ext = Extension.objects.create(item=project, user=solo, due_at=timezone.now() + DAY)
    deadline = deadline_for_user(item=project, user=solo)
    assert deadline.due_at == ext.due_at and deadline.cutoff_at is None
    assert deadline.source == "Sol's own extension"


@pytest.fixture
def mixed(offering, synced):
    """Solo students with and without extensions, groups with group and pre-join member extensions, a project."""
    items = [a.item for a in synced.values()] + [
        CourseworkItemFactory(
            offering=offering, kind="project", slug="proj", due_at=timezone.now() + 9 * DAY
        ),
        CourseworkItemFactory(offering=offering, kind="replication", slug="rep", due_at=None),
    ]
    users = [_student(offering, f"S{i}") for i in range(8)]
    for i, item in enumerate(items):
        base = item.due_at or timezone.now()
        Extension.objects.create(item=item, user=users[0], due_at=base + (i + 1) * DAY)
        Extension.objects.create(item=item, user=users[2], due_at=base + (i + 3) * DAY)
        Extension.objects.create(item=item, user=users[5], due_at=base + 2 * DAY)
    groups = [GroupFactory(offering=offering, name=f"G{i}") for i in range(3)]
    MembershipFactory(group=groups[0], user=users[2])
    MembershipFactory(group=groups[0], user=users[3])
    MembershipFactory(group=groups[1], user=users[4])
    MembershipFactory(group=groups[1], user=users[5])
    Membership.objects.filter(user=users[5]).update(joined_at=timezone.now() - DAY)  # before her extensions
    MembershipFactory(group=groups[2], user=users[6])
    for item in items[:2]:
        Extension.objects.create(item=item, group=groups[1], due_at=(item.due_at or timezone.now()) + 5 * DAY)
    return items, users


def test_bulk_and_single_agree_on_a_mixed_fixture(offering, mixed):
    items, users = mixed
    with CaptureQueriesContext(connection) as bulk_queries:
        bulk = deadlines_for(offering=offering)
    assert len(bulk_queries) <= 5
    assert set(bulk) == {(i.pk, u.pk) for i in items for u in users}
    sources = set()
    for item in items:
        for user in users:
            single = deadline_for_user(item=item, user=user)
            assert isinstance(single, EffectiveDeadline)
            assert bulk[(item.pk, user.pk)] == single, (item.slug, user.display_name)
            sources.add(single.source.split(" ")[0] if "group" not in single.source else "group")
    assert {"course", "group", "S0's", "S2's"} <= sources


def test_bulk_query_count_does_not_grow_with_users_or_items(offering, mixed):
    items, users = mixed
    with CaptureQueriesContext(connection) as given:
        deadlines_for(offering=offering, items=items[:1], users=users[:1])
    with CaptureQueriesContext(connection) as before:
        deadlines_for(offering=offering)
    for i in range(10):
        _student(offering, f"More{i}")
    CourseworkItemFactory(offering=offering, kind="project", slug="proj-2")
    with CaptureQueriesContext(connection) as after:
        result = deadlines_for(offering=offering)
    assert len(result) == (len(items) + 1) * (len(users) + 10)
    assert len(given) == 3 and len(before) == len(after) == 5


def test_the_upload_records_which_deadline_applied(tiny, released, pair):
    a, _, group = pair
    Extension.objects.create(item=tiny.item, group=group, due_at=tiny.item.due_at + 3 * DAY)
    submission_create(user=a, assignment=tiny, filename="tiny.ipynb", data=to_bytes(released))
    note = Submission.objects.get().deadline_note
    due = timezone.localtime(tiny.item.due_at + 3 * DAY).strftime("%Y-%m-%d %H:%M")
    assert note == f"due {due} (Hong Kong time), extension for group {group.name}"
