"""The demo course's people: accounts with known passwords for `make run` (never used in production)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from courseweb.accounts.models import User
from courseweb.courses.models import Offering, Role
from courseweb.courses.services import enrollment_set
from courseweb.groups.models import Group, Membership


@dataclass(frozen=True)
class DemoPerson:
    username: str
    name: str
    role: str
    major: str = ""
    department: str = ""
    student_number: str = ""
    group: str = ""


DEMO_PEOPLE = (
    DemoPerson("instructor", "Dana Instructor", Role.INSTRUCTOR, department="DOTE"),
    DemoPerson("ta", "Tim Assistant", Role.TA, department="DOTE"),
    DemoPerson("alice", "Alice Wong", Role.STUDENT, "Operations Management", "DOTE", "1155200001", "Bandits"),
    DemoPerson("bob", "Bob Chan", Role.STUDENT, "Marketing", "MKT", "1155200002", "Bandits"),
    DemoPerson("carol", "Carol Lee", Role.STUDENT, "Information Systems", "DSME", "1155200003"),
    DemoPerson("dan", "Dan Ho", Role.STUDENT, "Finance", "FIN", "1155200004"),
)
DEMO_PASSWORD_SUFFIX = "-demo-2026"


def demo_password(username: str) -> str:
    return f"{username}{DEMO_PASSWORD_SUFFIX}"


@transaction.atomic
def demo_extensions_grant(*, offering: Offering, days: int = 14) -> int:
    """Give the demo students an extension on every homework already past due, so the demo can be tried.

    Spring 2026 lies in the past; without this, every demo homework would be closed. Idempotent.
    """
    from datetime import timedelta

    from django.utils import timezone

    from courseweb.homework.models import Extension

    due = timezone.now() + timedelta(days=days)
    students = [p for p in DEMO_PEOPLE if p.role == Role.STUDENT]
    granted = 0
    for item in offering.coursework.filter(kind="homework", due_at__lt=timezone.now()):
        for p in students:
            user = User.objects.get(username=p.username)
            membership = (
                Membership.objects.filter(offering=offering, user=user).select_related("group").first()
            )
            owner = {"group": membership.group, "user": None} if membership else {"group": None, "user": user}
            Extension.objects.update_or_create(
                item=item, **owner, defaults={"due_at": due, "reason": "demo course: open for trying out"}
            )
            granted += 1
    return granted


@transaction.atomic
def demo_people_create(*, offering: Offering) -> list[tuple[DemoPerson, str]]:
    """Create (or reset) the demo accounts and the demo group; returns (person, password) pairs."""
    out = []
    for p in DEMO_PEOPLE:
        user, _ = User.objects.get_or_create(
            username=p.username, defaults={"email": f"{p.username}@demo.dote6635.local"}
        )
        user.display_name, user.major, user.department = p.name, p.major, p.department
        user.student_number = p.student_number
        user.is_staff = p.role == Role.INSTRUCTOR
        user.is_superuser = p.role == Role.INSTRUCTOR
        password = demo_password(p.username)
        user.set_password(password)
        user.save()
        enrollment_set(user=user, offering=offering, role=p.role)
        if p.group and not Membership.objects.filter(offering=offering, user=user).exists():
            group, _ = Group.objects.get_or_create(
                offering=offering, name=p.group, defaults={"created_by": user}
            )
            Membership.objects.create(group=group, user=user, offering=offering)
        out.append((p, password))
    return out
