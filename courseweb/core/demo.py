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
            group, _ = Group.objects.get_or_create(offering=offering, name=p.group, defaults={"created_by": user})
            Membership.objects.create(group=group, user=user, offering=offering)
        out.append((p, password))
    return out
