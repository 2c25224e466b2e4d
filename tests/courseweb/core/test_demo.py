"""seed_demo: printed logins work, and past-due homework is opened for the demo students (idempotently)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from courseweb.homework.models import Extension
from tests.factories import CourseworkItemFactory, OfferingFactory

pytestmark = pytest.mark.django_db


def test_seed_demo_prints_working_logins_and_opens_past_homework(client):
    offering = OfferingFactory()
    item = CourseworkItemFactory(offering=offering, due_at=timezone.now() - dt.timedelta(days=300))
    out = StringIO()
    call_command("seed_demo", stdout=out)
    lines = [line.split() for line in out.getvalue().splitlines() if line.startswith("  ")]
    assert {line[0] for line in lines} == {"instructor", "ta", "student"}
    for _role, username, password, *_ in lines:
        assert client.login(username=username, password=password), username
    extensions = Extension.objects.filter(item=item)
    # alice and bob share the demo group's extension; carol and dan have their own
    assert extensions.count() == 3
    assert all(e.due_at > timezone.now() for e in extensions)
    call_command("seed_demo", stdout=StringIO())
    assert Extension.objects.filter(item=item).count() == 3
