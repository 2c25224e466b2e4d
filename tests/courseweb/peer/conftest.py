"""Peer fixtures: an offering with a pair, a solo student, a TA and a homework item that closed an hour ago."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from courseweb.courses.models import Role
from tests.factories import (
    CourseworkItemFactory,
    EnrollmentFactory,
    MembershipFactory,
    OfferingFactory,
    UserFactory,
)


@pytest.fixture
def offering(db):
    return OfferingFactory(rules={"buddy_evaluation": True, "peer_evaluation": {"window_days": 3}})


@pytest.fixture
def item(offering):
    return CourseworkItemFactory(offering=offering, due_at=timezone.now() - dt.timedelta(hours=1))


@pytest.fixture
def pair(offering):
    a, b = UserFactory(display_name="Ada"), UserFactory(display_name="Bo")
    for user in (a, b):
        EnrollmentFactory(user=user, offering=offering, role=Role.STUDENT)
    m = MembershipFactory(user=a, group__offering=offering)
    MembershipFactory(user=b, group=m.group)
    return a, b, m.group


@pytest.fixture
def solo(offering):
    user = UserFactory()
    EnrollmentFactory(user=user, offering=offering, role=Role.STUDENT)
    MembershipFactory(user=user, group__offering=offering)
    return user


@pytest.fixture
def ta(offering):
    user = UserFactory(username="ta-peer")
    EnrollmentFactory(user=user, offering=offering, role=Role.TA)
    return user
