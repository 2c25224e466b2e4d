"""In Chromium: staff post an announcement with math and e-mail it; a student sees it on the home page with the
math rendered and marks it read, then follows the bell to the graded-homework notification and its link to the
submission (graded by the engine in-process); the notifications and settings pages pass axe."""

# ruff: noqa: F811  (the homework fixtures are imported by name, then requested as arguments)
from __future__ import annotations

import pytest
from django.core import mail

from courseweb.celery import app as celery_app
from courseweb.homework.models import GradingJob
from courseweb.homework.services.submissions import submission_create
from tests.courseweb.homework.conftest import (  # noqa: F401
    hw_media,
    offering,
    pair,
    released,
    sessions,
    synced,
    ta,
    tiny,
)
from tests.courseweb.homework.notebooks import to_bytes
from tests.e2e.conftest import axe_violations, login
from tests.factories import PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


@pytest.fixture
def eager():
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True  # the live server's thread runs the e-mail tasks in-process
    yield
    celery_app.conf.task_always_eager = before


def test_announcement_then_graded_notification_link(page, live_server, eager, tiny, released, pair, ta):
    amy, _ben, _group = pair
    login(page, live_server, ta.username, PASSWORD)
    page.goto(f"{live_server.url}/announcements/new/")
    page.get_by_label("Title").fill("Homework 2 is out")
    page.get_by_label("Text").fill("Minimise $\\|y - X\\beta\\|^2$ this week.")
    page.get_by_label("E-mail it to the class").check()
    page.get_by_role("button", name="Post").click()
    page.wait_for_load_state("networkidle")
    assert amy.email in {m.to[0] for m in mail.outbox}

    # With tasks run in-process the grading engine grades the upload at once, as a worker would.
    job = submission_create(user=amy, assignment=tiny, filename="tiny.ipynb", data=to_bytes(released)).job
    job = GradingJob.objects.get(pk=job.pk)
    assert job.state == "graded"
    title = f"Tiny homework graded: {job.score:g} of {job.max_score:g} points"
    graded_mail = [m for m in mail.outbox if m.to == [amy.email] and title in m.subject]
    assert len(graded_mail) == 1 and f"/homework/submissions/{job.submission_id}/" in graded_mail[0].body

    page.context.clear_cookies()
    login(page, live_server, amy.username, PASSWORD)
    page.goto(f"{live_server.url}/")
    unread = page.locator("#unread-announcements")
    assert unread.get_by_role("link", name="Homework 2 is out").is_visible()
    assert unread.locator(".katex").count() == 1
    unread.get_by_role("button", name="Mark as read").click()
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/")
    assert page.locator("#unread-announcements").get_by_role("link", name="Homework 2 is out").count() == 0

    bell = page.get_by_role("link", name="Notifications: 1 unread")
    assert bell.is_visible()
    bell.click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Notifications").is_visible()
    assert axe_violations(page) == []
    page.get_by_role("link", name=title).click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"/homework/submissions/{job.submission_id}/")
    assert page.get_by_role("link", name="Notifications: 0 unread").is_visible()

    page.goto(f"{live_server.url}/notifications/preferences/")
    assert axe_violations(page) == []
    page.get_by_role("group", name="Homework graded").get_by_label("On the site only (no e-mail)").check()
    page.get_by_role("button", name="Save notification settings").click()
    page.wait_for_load_state("networkidle")
    assert (
        page.get_by_role("group", name="Homework graded")
        .get_by_label("On the site only (no e-mail)")
        .is_checked()
    )
