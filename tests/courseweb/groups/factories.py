"""Factories and helpers for group tests: enrolled students and the moments around the registration deadline."""

from __future__ import annotations

import datetime as dt

from courseweb.courses.models import Role
from tests.factories import HKT, EnrollmentFactory, OfferingFactory, UserFactory

BEFORE_DEADLINE = dt.datetime(2026, 1, 7, 23, 58, tzinfo=HKT)
AFTER_DEADLINE = dt.datetime(2026, 1, 8, 0, 0, tzinfo=HKT)


def enrolled_student(offering=None, **fields):
    """A user enrolled as a student in the offering (the current s26 offering by default)."""
    offering = offering or OfferingFactory()
    user = UserFactory(**fields)
    EnrollmentFactory(user=user, offering=offering, role=Role.STUDENT)
    return user


def staff_member(offering=None, **fields):
    offering = offering or OfferingFactory()
    user = UserFactory(**fields)
    EnrollmentFactory(user=user, offering=offering, role=Role.TA)
    return user
