"""Buddy evaluation in Chromium: both members rate each other after a homework closes, the instructor sees the
table with a flag and turns the adjustment on, and the gradebook shows the adjusted grade next to the original."""

# ruff: noqa: F811  (fixtures are imported by name, then requested as arguments)
from __future__ import annotations

import pytest

from courseweb.courses.models import Role
from courseweb.homework.models import ManualGrade
from courseweb.peer.tasks import peer_open_and_remind
from tests.courseweb.peer.conftest import item, offering, pair  # noqa: F401
from tests.e2e.conftest import axe_violations, login
from tests.factories import PASSWORD, EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _rate(page, live_server, user, *, me: int, buddy: int, staff_comment: str = "") -> None:
    login(page, live_server, user.username, PASSWORD)
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Buddy evaluation: ").first.click()
    page.get_by_label("Points for yourself").select_option(str(me))
    page.get_by_label("Points for", exact=False).nth(1).select_option(str(buddy))
    if staff_comment:
        page.get_by_label("Comment for the staff").fill(staff_comment)
    assert axe_violations(page) == []
    page.get_by_role("button", name="Save my evaluation").click()
    page.get_by_text("Saved. You can change your answer").wait_for()
    page.context.clear_cookies()


def test_pair_rates_instructor_flags_and_adjusts(page, live_server, offering, item, pair):
    a, b, group = pair
    instructor = UserFactory(username="prof-peer")
    EnrollmentFactory(user=instructor, offering=offering, role=Role.INSTRUCTOR)
    ManualGrade.objects.create(item=item, group=group, points=90)
    assert peer_open_and_remind() == 1  # the periodic check opens the group's evaluation
    # A claims 140 and gives B 60; B gives A 110: both claim 30 more than perceived (in a pair the two gaps
    # are always equal), factors 1.05 (110 capped) and 0.60
    _rate(page, live_server, a, me=140, buddy=60)
    _rate(page, live_server, b, me=90, buddy=110, staff_comment="Ada wrote most of the code")
    login(page, live_server, instructor.username, PASSWORD)
    page.goto(f"{live_server.url}/gradebook/")
    page.get_by_role("link", name="Buddy evaluations").click()
    page.get_by_role("link", name=item.title).first.click()
    table = page.get_by_role("table")
    table.get_by_text("Claims more than perceived").first.wait_for()
    assert "Ada wrote most of the code" in table.inner_text()
    page.get_by_role("button", name="Adjust grades by the factor").click()
    page.get_by_text(f"Grade adjustment for {item.title} is on.").wait_for()
    page.goto(f"{live_server.url}/gradebook/")
    rows = page.get_by_role("row")
    bo = rows.filter(has_text=b.display_name)
    assert "54" in bo.inner_text() and "(from 90 × 0.60)" in bo.inner_text()
    ada = rows.filter(has_text=a.display_name)
    assert "94.5" in ada.inner_text() and "(from 90 × 1.05)" in ada.inner_text()
