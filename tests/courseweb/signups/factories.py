"""Helpers for sign-up tests: sessions, sheets built through the staff service, groups and eligible papers."""

from __future__ import annotations

import datetime as dt

from courseweb.courses.models import Role
from courseweb.groups.models import Group, Membership
from courseweb.lectures.models import Session
from courseweb.papers.models import Paper
from courseweb.papers.services import paper_eligibility_set
from courseweb.signups.staff import sheet_create
from tests.factories import HKT, EnrollmentFactory, OfferingFactory, SessionFactory, UserFactory

OPENS = dt.datetime(2026, 1, 8, 9, 0, tzinfo=HKT)
CLOSES = dt.datetime(2026, 1, 20, 23, 59, tzinfo=HKT)
DURING = dt.datetime(2026, 1, 10, 12, 0, tzinfo=HKT)


def staff(offering=None):
    offering = offering or OfferingFactory()
    user = UserFactory()
    EnrollmentFactory(user=user, offering=offering, role=Role.TA)
    return user


def sessions(offering=None, count: int = 3):
    offering = offering or OfferingFactory()
    existing = {s.number: s for s in Session.objects.filter(offering=offering)}
    return [existing.get(n) or SessionFactory(offering=offering, number=n) for n in range(1, count + 1)]


def sheet(*, kind: str = "scribing", offering=None, count: int = 3, **options):
    offering = offering or OfferingFactory()
    options.setdefault("opens_at", OPENS)
    options.setdefault("closes_at", CLOSES)
    return sheet_create(
        offering=offering,
        staff=staff(offering),
        kind=kind,
        title=options.pop("title", f"{kind.title()} sign-up"),
        sessions=sessions(offering, count),
        **options,
    )


def group_with(*, members: int = 2, offering=None, name: str | None = None) -> tuple[Group, list]:
    """A group with enrolled student members (made directly: group registration is tested elsewhere)."""
    offering = offering or OfferingFactory()
    users = []
    for _ in range(members):
        u = UserFactory()
        EnrollmentFactory(user=u, offering=offering, role=Role.STUDENT)
        users.append(u)
    group = Group.objects.create(offering=offering, name=name or f"G-{users[0].username}")
    for u in users:
        Membership.objects.create(group=group, user=u, offering=offering)
    return group, users


def eligible_paper(title: str, offering=None, **fields) -> Paper:
    offering = offering or OfferingFactory()
    paper = Paper.objects.create(title=title, **fields)
    paper_eligibility_set(paper=paper, offering=offering, eligible=True, user=None)
    return paper
