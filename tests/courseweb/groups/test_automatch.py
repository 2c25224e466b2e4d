"""Auto-match pairs unmatched students by major, then department, then anyone, in student-number order; the
preview writes nothing, staff can edit it, and applying creates exactly the confirmed groups."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from courseweb.groups import services as gs
from courseweb.groups.automatch import ProposedGroup, automatch_apply, automatch_preview, automatch_propose
from courseweb.groups.models import AuditAction, AuditEntry, Group, Membership
from courseweb.groups.services import GroupError
from tests.courseweb.groups.factories import AFTER_DEADLINE, BEFORE_DEADLINE, enrolled_student, staff_member
from tests.factories import OfferingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def offering():
    return OfferingFactory()


def _student(offering, number, major, department="DOTE"):
    return enrolled_student(
        offering, username=f"s{number}", student_number=str(number), major=major, department=department
    )


def numbers(preview):
    return [[m.student_number for m in g.members] for g in preview.groups]


def test_pairs_by_major_then_department_then_anyone(offering):
    _student(offering, 1001, "Finance", "Finance")
    _student(offering, 1002, "Marketing", "Marketing")
    _student(offering, 1003, "Operations", "DOTE")
    _student(offering, 1004, "Finance", "Finance")
    _student(offering, 1005, "Information Systems", "DOTE")
    _student(offering, 1006, "Accounting", "Accounting")
    _student(offering, 1007, "Operations", "DOTE")
    preview = automatch_preview(offering=offering)
    assert numbers(preview) == [["1001", "1004"], ["1002", "1005"], ["1003", "1007"]]
    reasons = {tuple(m.student_number for m in g.members): g.reason for g in preview.groups}
    assert reasons[("1001", "1004")] == "same major"
    assert reasons[("1003", "1007")] == "same major"
    # Marketing and IS share neither major nor department: paired as "mixed"; 1006 is the odd one out.
    assert reasons[("1002", "1005")] == "mixed"
    assert [m.student_number for m in preview.leftover] == ["1006"]


def test_same_department_comes_before_anyone(offering):
    _student(offering, 2001, "Operations", "DOTE")
    _student(offering, 2002, "Marketing", "Marketing")
    _student(offering, 2003, "Information Systems", "DOTE")
    preview = automatch_preview(offering=offering)
    assert numbers(preview) == [["2001", "2003"]]
    assert preview.groups[0].reason == "same department"
    assert [m.student_number for m in preview.leftover] == ["2002"]


def test_ties_are_broken_by_student_number_and_the_result_is_deterministic(offering):
    for n in (3005, 3001, 3004, 3002, 3003):
        _student(offering, n, "Finance")
    first = automatch_preview(offering=offering)
    assert numbers(first) == [["3001", "3002"], ["3003", "3004"]]
    assert [m.student_number for m in first.leftover] == ["3005"]
    # The pure rule gives the same answer whatever order the students come in.
    students = list(first.leftover) + [m for g in first.groups for m in reversed(g.members)]
    again = automatch_propose(students=list(reversed(students)), size=2, taken_names=set())
    assert numbers(again) == numbers(first)


def test_majors_match_ignoring_case_and_spaces_and_grouped_students_are_skipped(offering):
    a = _student(offering, 4001, "Finance ")
    _student(offering, 4002, "marketing")
    _student(offering, 4003, "finance")
    _student(offering, 4004, "Marketing")
    gs.group_create(user=a, offering=offering, name="Taken", now=BEFORE_DEADLINE)
    preview = automatch_preview(offering=offering)
    assert numbers(preview) == [["4002", "4004"]]
    assert [m.student_number for m in preview.leftover] == ["4003"]


def test_preview_writes_nothing_and_apply_creates_the_groups(offering):
    ta = staff_member(offering)
    for n in (5001, 5002, 5003, 5004):
        _student(offering, n, "Finance")
    preview = automatch_preview(offering=offering)
    assert Group.objects.count() == 0 and AuditEntry.objects.count() == 0
    created = automatch_apply(offering=offering, staff=ta, now=AFTER_DEADLINE, groups=preview.groups)
    assert [g.name for g in created] == ["Auto-match 1", "Auto-match 2"]
    assert sorted(
        Membership.objects.filter(group=created[0]).values_list("user__student_number", flat=True)
    ) == [
        "5001",
        "5002",
    ]
    assert AuditEntry.objects.filter(action=AuditAction.AUTOMATCHED).count() == 2


def test_staff_can_edit_the_proposal_before_applying(offering):
    ta = staff_member(offering)
    s = [_student(offering, n, "Finance") for n in (6001, 6002, 6003, 6004)]
    edited = [
        ProposedGroup(name="Edited A", members=(s[0], s[3]), reason="staff"),
        ProposedGroup(name="Edited B", members=(s[1],), reason="staff"),
    ]
    automatch_apply(offering=offering, staff=ta, now=AFTER_DEADLINE, groups=edited)
    pairs = {g.name: sorted(m.user.student_number for m in g.memberships.all()) for g in Group.objects.all()}
    assert pairs == {"Edited A": ["6001", "6004"], "Edited B": ["6002"]}
    assert [m.student_number for m in automatch_preview(offering=offering).leftover] == ["6003"]


def test_apply_rejects_bad_edits_atomically(offering):
    ta = staff_member(offering)
    s = [_student(offering, n, "Finance") for n in (7001, 7002, 7003)]
    with pytest.raises(GroupError, match="more than one"):
        automatch_apply(
            offering=offering,
            staff=ta,
            now=AFTER_DEADLINE,
            groups=[
                ProposedGroup(name="X", members=(s[0], s[1]), reason=""),
                ProposedGroup(name="Y", members=(s[1], s[2]), reason=""),
            ],
        )
    with pytest.raises(GroupError, match="more than 2 members"):
        automatch_apply(
            offering=offering, staff=ta, groups=[ProposedGroup(name="Z", members=tuple(s), reason="")]
        )
    gs.group_create(user=s[2], offering=offering, name="Own", now=BEFORE_DEADLINE)
    with pytest.raises(GroupError, match="already in a group"):
        automatch_apply(
            offering=offering,
            staff=ta,
            now=AFTER_DEADLINE,
            groups=[
                ProposedGroup(name="P", members=(s[0], s[1]), reason=""),
                ProposedGroup(name="Q", members=(s[2],), reason=""),
            ],
        )
    assert list(Group.objects.values_list("name", flat=True)) == ["Own"]


def test_generated_names_skip_existing_ones(offering):
    ta = staff_member(offering)
    gs.group_staff_create(staff=ta, offering=offering, name="auto-match 1", members=[])
    _student(offering, 8001, "Finance")
    _student(offering, 8002, "Finance")
    assert [g.name for g in automatch_preview(offering=offering).groups] == ["Auto-match 2"]


def test_management_command_previews_and_applies(offering):
    staff_member(offering, username="ignis")
    for n in (9001, 9002, 9003):
        _student(offering, n, "Finance")
    out = io.StringIO()
    call_command("automatch", "--offering", "s26", stdout=out)
    text = out.getvalue()
    assert "Auto-match 1 [same major]" in text and "left over" in text and "9003" in text
    assert Group.objects.count() == 0
    out = io.StringIO()
    call_command("automatch", "--offering", "s26", "--apply", "--as", "ignis", stdout=out)
    assert "created 1 group" in out.getvalue()
    assert Group.objects.get().memberships.count() == 2


def test_auto_match_waits_for_the_deadline_unless_forced(offering):
    ta = staff_member(offering)
    for n in (10001, 10002):
        _student(offering, n, "Finance")
    preview = automatch_preview(offering=offering)
    with pytest.raises(GroupError, match="still open"):
        automatch_apply(offering=offering, staff=ta, groups=preview.groups, now=BEFORE_DEADLINE)
    assert not Group.objects.exists()
    automatch_apply(offering=offering, staff=ta, groups=preview.groups, now=BEFORE_DEADLINE, force=True)
    assert Group.objects.count() == 1
