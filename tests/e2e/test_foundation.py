"""End to end in Chromium: a student logs in, reads the schedule and a session; axe finds no serious problems."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.e2e.conftest import axe_violations, login
from tests.factories import PASSWORD, EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def course():
    call_command("load_course", str(settings.COURSE_FILE), verbosity=0)


def test_student_logs_in_and_reads_schedule_and_session(course, page, live_server):
    from courseweb.courses.selectors import offering_current

    student = UserFactory(username="amy", display_name="Amy Chan")
    EnrollmentFactory(user=student, offering=offering_current())
    login(page, live_server, "amy", PASSWORD)
    assert page.get_by_role("link", name="Amy Chan").is_visible()

    page.get_by_role("link", name="Schedule").first.click()
    rows = page.locator("tbody tr")
    assert rows.count() == 13
    row8 = page.locator("#session-8")
    assert "CYT LT5" in row8.inner_text()
    assert "09:30–12:15" in row8.inner_text()
    assert "Tue 3 Mar 2026" in row8.inner_text()

    row8.get_by_role("link").click()
    page.wait_for_url("**/schedule/8/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Session 8:")
    assert page.locator(".room").inner_text() == "CYT LT5"


@pytest.mark.parametrize("path", ["/", "/schedule/", "/schedule/1/", "/accounts/login/"])
def test_pages_have_no_serious_accessibility_violations(course, page, live_server, path):
    from courseweb.courses.selectors import offering_current

    if path != "/accounts/login/":
        student = UserFactory(username="ben")
        EnrollmentFactory(user=student, offering=offering_current())
        login(page, live_server, "ben", PASSWORD)
    page.goto(f"{live_server.url}{path}")
    violations = axe_violations(page)
    assert violations == [], violations
