"""Helpers for notes tests: a scribing group with members, a session to scribe, and the synthetic notes file."""

from __future__ import annotations

from pathlib import Path

from courseweb.courses.models import Role
from tests.factories import (
    EnrollmentFactory,
    GroupFactory,
    MembershipFactory,
    OfferingFactory,
    SessionFactory,
    StaffUserFactory,
    UserFactory,
)

SYNTHETIC_NOTES = Path(__file__).resolve().parents[2] / "lecture_notes" / "data" / "synthetic-notes.txt"


def student(offering=None):
    user = UserFactory()
    EnrollmentFactory(user=user, offering=offering or OfferingFactory(), role=Role.STUDENT)
    return user


def group_with_members(offering=None, *, size: int = 2):
    offering = offering or OfferingFactory()
    group = GroupFactory(offering=offering)
    members = [student(offering) for _ in range(size)]
    for user in members:
        MembershipFactory(group=group, user=user)
    return group, members


def scribing_setup():
    """An offering with two sessions, a scribing group of two, another student and a TA."""
    offering = OfferingFactory()
    session = SessionFactory(offering=offering, number=3, topic="Policy gradients")
    other_session = SessionFactory(offering=offering, number=1, topic="Supervised learning")
    group, members = group_with_members(offering)
    outsider_group, outsiders = group_with_members(offering)
    ta = StaffUserFactory()
    return {
        "offering": offering,
        "session": session,
        "other_session": other_session,
        "group": group,
        "members": members,
        "outsider": outsiders[0],
        "outsider_group": outsider_group,
        "ta": ta,
    }
