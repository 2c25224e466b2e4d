"""In Chromium: staff post an announcement with math and e-mail; a student sees it on the home page with the math
rendered, marks it read, and finds it in the archive; the course page and the announcement pages pass axe."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command

from courseweb.celery import app as celery_app
from tests.e2e.conftest import axe_violations, login
from tests.factories import PASSWORD, EnrollmentFactory, UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


@pytest.fixture
def course():
    call_command("load_course", str(settings.COURSE_FILE), verbosity=0)
    from courseweb.courses.selectors import offering_current

    offering = offering_current()
    ta = UserFactory(username="ignis", display_name="Ignis TA")
    EnrollmentFactory(user=ta, offering=offering, role="ta")
    amy = UserFactory(username="amy", display_name="Amy Chan")
    EnrollmentFactory(user=amy, offering=offering, role="student")
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True  # the live server's thread runs the e-mail task in-process
    yield {"ta": ta, "amy": amy}
    celery_app.conf.task_always_eager = before


def test_staff_post_with_math_and_email_student_reads_it_on_home(page, live_server, course):
    login(page, live_server, "ignis", PASSWORD)
    page.goto(f"{live_server.url}/course/")
    assert page.get_by_role("heading", name="How the course works").is_visible()
    assert page.get_by_text("Provisional.").is_visible()
    assert axe_violations(page) == []
    page.goto(f"{live_server.url}/announcements/new/")
    assert axe_violations(page) == []
    page.get_by_label("Title").fill("Homework 2 is out")
    page.get_by_label("Text").fill("Minimise $\\|y - X\\beta\\|^2$ and read <script>window.pwned=1</script>.")
    page.get_by_label("E-mail it to the class").check()
    page.get_by_role("button", name="Post").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Homework 2 is out").is_visible()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([course["ta"].email, course["amy"].email])

    page.context.clear_cookies()
    login(page, live_server, "amy", PASSWORD)
    page.goto(f"{live_server.url}/")
    unread = page.locator("#unread-announcements")
    assert unread.get_by_role("link", name="Homework 2 is out").is_visible()
    assert unread.locator(".katex").count() == 1 and unread.locator(".katex-html").first.is_visible()
    assert unread.get_by_text("<script>window.pwned=1</script>").is_visible()  # shown as text, never run
    assert page.evaluate("() => window.pwned") is None
    assert axe_violations(page) == []
    unread.get_by_role("button", name="Mark as read").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#unread-announcements").count() == 0
    page.goto(f"{live_server.url}/announcements/")
    assert page.get_by_role("link", name="Homework 2 is out").is_visible()
    assert axe_violations(page) == []
