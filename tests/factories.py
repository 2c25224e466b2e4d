"""factory_boy factories for the core models; apps add their own next to their tests."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import factory
from factory.django import DjangoModelFactory

from courseweb.accounts.models import User
from courseweb.courses.models import CourseworkItem, Enrollment, Offering, Role
from courseweb.groups.models import Group, Membership
from courseweb.lectures.models import Session

HKT = ZoneInfo("Asia/Hong_Kong")
PASSWORD = "correct-horse-battery"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"student{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@link.example.edu")
    display_name = factory.Faker("name")
    # a range the tests' rosters never use (they use 1155xxxxxx): the roster test's Bo is 1155000002, which the
    # factory's third user in a test process got before, so the import refused Bo's row as a duplicate number
    student_number = factory.Sequence(lambda n: f"1199{n:06d}")
    major = "Operations Management"
    department = "DOTE"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OfferingFactory(DjangoModelFactory):
    class Meta:
        model = Offering
        django_get_or_create = ("slug",)

    slug = "s26"
    title = "AI for Business Research"
    season = "Spring 2026"
    is_current = True
    group_size_max = 2
    homework_count = 5
    group_registration_deadline = dt.datetime(2026, 1, 7, 23, 59, tzinfo=HKT)
    category_weights = factory.LazyFunction(
        lambda: {"homework": 30, "scribing": 15, "replication": 25, "project": 30}
    )


class EnrollmentFactory(DjangoModelFactory):
    class Meta:
        model = Enrollment

    user = factory.SubFactory(UserFactory)
    offering = factory.SubFactory(OfferingFactory)
    role = Role.STUDENT


class StaffUserFactory(UserFactory):
    """A user enrolled as TA in the current offering."""

    username = factory.Sequence(lambda n: f"ta{n}")

    @factory.post_generation
    def enroll(obj, create, extracted, **kwargs):
        if create:
            EnrollmentFactory(user=obj, offering=OfferingFactory(), role=extracted or Role.TA)


class SessionFactory(DjangoModelFactory):
    class Meta:
        model = Session

    offering = factory.SubFactory(OfferingFactory)
    number = factory.Sequence(lambda n: n + 1)
    starts_at = factory.LazyAttribute(
        lambda o: dt.datetime(2026, 1, 6, 9, 30, tzinfo=HKT) + dt.timedelta(weeks=o.number - 1)
    )
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(hours=2, minutes=45))
    room = "CYT 209A"
    topic = factory.Sequence(lambda n: f"Topic {n + 1}")
    block = "rl"


class GroupFactory(DjangoModelFactory):
    class Meta:
        model = Group

    offering = factory.SubFactory(OfferingFactory)
    name = factory.Sequence(lambda n: f"Group {n + 1}")


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    group = factory.SubFactory(GroupFactory)
    user = factory.SubFactory(UserFactory)
    offering = factory.SelfAttribute("group.offering")


class CourseworkItemFactory(DjangoModelFactory):
    class Meta:
        model = CourseworkItem

    offering = factory.SubFactory(OfferingFactory)
    slug = factory.Sequence(lambda n: f"item-{n}")
    kind = "homework"
    title = factory.Sequence(lambda n: f"Homework {n + 1}")
    category = "homework"
    points = 100
    due_at = dt.datetime(2026, 1, 20, 9, 30, tzinfo=HKT)
