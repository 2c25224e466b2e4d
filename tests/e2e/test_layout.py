"""No page is wider than the window, at a phone's 390 px and a laptop's 1,280 px, for a student, staff and a
visitor: `document.documentElement.scrollWidth <= window.innerWidth` on every page of a broad list (tables may
scroll inside their own box).  The sign-up button of a sheet is inside the window, and the header of a phone is
compact (at most about 160 px tall) with the menu still reachable without JavaScript."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from courseweb.courses.models import CourseworkItem, Role
from courseweb.courses.selectors import offering_current
from courseweb.groups.models import Group, Membership
from courseweb.homework.models import Assignment
from courseweb.homework.services import grading
from courseweb.homework.services.assignments import assignments_sync
from courseweb.homework.services.submissions import submission_create
from courseweb.notes.services import book_import
from courseweb.papers.models import Paper
from courseweb.papers.services import paper_eligibility_set
from courseweb.signups.models import Sheet
from courseweb.signups.services import signup_create
from courseweb.signups.staff import sheets_create_standard
from tests.courseweb.homework.notebooks import FIXTURES
from tests.courseweb.notes.factories import SYNTHETIC_NOTES
from tests.e2e.conftest import axe_violations, login
from tests.factories import PASSWORD, EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (390, 1280)
HEADER_MAX_PX = 160
LONG_PAPER = (
    "Heterogeneous Treatment Effects and Optimal Targeting Policy Evaluation with Machine Learning "
    "in Large-Scale Randomized Field Experiments on Two-Sided Marketplaces"
)

# The page's own width, and the elements that stick out of the window (outside a scrolling box) for the report.
OVERFLOW_JS = """() => {
  const w = window.innerWidth;
  const scrolls = (el) => { if (['absolute', 'fixed'].includes(getComputedStyle(el).position)) return false;
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== 'visible' && p.getBoundingClientRect().right <= w + 1) return true; }
    return false; };
  const out = [...document.body.querySelectorAll('*')].filter(el => {
      const r = el.getBoundingClientRect(); return r.width > 0 && r.right > w + 1 && !scrolls(el); })
    .slice(0, 5).map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (el.className && typeof el.className === 'string' ? '.' + el.className.trim().replace(/\\s+/g, '.') : '') +
      ' right=' + Math.round(el.getBoundingClientRect().right));
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: w, out};
}"""


@pytest.fixture
def course(settings, tmp_path):
    """The real course file's schedule, the test homework synced and graded once, notes, papers and sheets."""
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_course", str(settings.COURSE_FILE), verbosity=0)
    offering = offering_current()
    report = assignments_sync(offering=offering, root=FIXTURES)
    assert report.errors == [], report.errors
    book_import(offering=offering, text=SYNTHETIC_NOTES.read_text(encoding="utf-8"))

    students = []
    for name in ("Alexandra Montgomery-Fitzgerald", "Bartholomew Nakamura-Oyelaran", "Chen Wing-Yan"):
        user = UserFactory(display_name=name)
        EnrollmentFactory(user=user, offering=offering, role=Role.STUDENT)
        students.append(user)
    group = Group.objects.create(offering=offering, name="Bayesian Bandits and Causal Forests Reading Circle")
    for user in students[:2]:
        Membership.objects.create(group=group, user=user, offering=offering)
    staff = UserFactory(display_name="Professor Evangeline Worthington-Smythe")
    EnrollmentFactory(user=staff, offering=offering, role=Role.INSTRUCTOR)

    papers = []
    for n, title in enumerate(
        [LONG_PAPER, "Double/Debiased Machine Learning for Treatment and Structural Parameters"]
    ):
        paper = Paper.objects.create(title=title, arxiv_id=f"2401.0000{n}", year=2024)
        paper_eligibility_set(paper=paper, offering=offering, eligible=True, user=None)
        papers.append(paper)

    now = timezone.now()
    sheets_create_standard(
        offering=offering,
        staff=staff,
        opens_at=now - dt.timedelta(days=1),
        closes_at=now + dt.timedelta(days=30),
    )
    paper_sheet = Sheet.objects.get(offering=offering, kind="paper")
    first_paper_slot = paper_sheet.slots.order_by("session__number", "position").first()
    signup_create(slot=first_paper_slot, group=group, user=students[0], paper=papers[0])

    assignment = Assignment.objects.get(key="tiny", item__offering=offering)
    # Spring 2026 lies in the past: open the test homework now so it can be handed in and graded once.
    CourseworkItem.objects.filter(pk=assignment.item_id).update(
        released_at=now - dt.timedelta(days=7), due_at=now + dt.timedelta(days=7)
    )
    notebook = (Path(assignment.release_dir) / "tiny.ipynb").read_bytes()
    job = submission_create(user=students[0], assignment=assignment, filename="tiny.ipynb", data=notebook).job
    claim = grading.job_claim(job_id=job.pk, worker="layout")
    outcome = {
        "score": 3.0,
        "max_score": 5.0,
        "needs_manual": False,
        "flags": [],
        "cells": {"tiny": {"test_means": {"status": "passed", "score": 3, "max_score": 3, "message": ""}}},
    }
    assert grading.job_complete(job_id=job.pk, token=claim.token, outcome=outcome)
    return {
        "offering": offering,
        "student": students[0],
        "staff": staff,
        "scribing": Sheet.objects.get(offering=offering, kind="scribing"),
        "paper_sheet": paper_sheet,
        "paper": papers[0],
    }


def _pages(course, role: str) -> list[str]:
    season = course["offering"].slug
    common = [
        "/",
        "/schedule/",
        "/schedule/1/",
        "/notes/",
        f"/notes/{season}/",
        f"/notes/{season}/1-1/",
        "/groups/",
        "/signups/",
        f"/signups/{course['scribing'].pk}/",
        f"/signups/{course['paper_sheet'].pk}/",
        "/papers/",
        f"/papers/{course['paper'].pk}/",
        "/homework/",
        "/homework/tiny/",
        "/gradebook/",
    ]
    if role == "staff":
        return [
            *common,
            "/homework/tiny/staff/",
            "/signups/manage/",
            f"/signups/manage/{course['paper_sheet'].pk}/",
            "/groups/staff/",
            "/staff/status/",
        ]
    return common


def _check_width(page, url: str, width: int, problems: list[str]) -> None:
    page.goto(url)
    page.wait_for_load_state("load")
    found = page.evaluate(OVERFLOW_JS)
    if found["scrollWidth"] > found["innerWidth"]:
        problems.append(
            f"{url} at {width}px: page is {found['scrollWidth']}px wide; sticking out: {found['out']}"
        )


@pytest.mark.parametrize("role", ["student", "staff"])
def test_no_page_is_wider_than_the_window(course, page, live_server, role):
    login(page, live_server, course[role].username, PASSWORD)
    problems: list[str] = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 844 if width == 390 else 800})
        for path in _pages(course, role):
            _check_width(page, f"{live_server.url}{path}", width, problems)
    assert problems == [], "\n".join(problems)


def test_login_page_and_public_pages_fit(course, page, live_server):
    problems: list[str] = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 844 if width == 390 else 800})
        for path in ("/accounts/login/", "/", "/schedule/"):
            _check_width(page, f"{live_server.url}{path}", width, problems)
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_sign_up_button_is_inside_the_window(course, page, live_server, width):
    student = UserFactory(display_name="Dana Fernández-Kowalczyk")
    EnrollmentFactory(user=student, offering=course["offering"], role=Role.STUDENT)
    group = Group.objects.create(offering=course["offering"], name="Counterfactual Estimators Study Group")
    Membership.objects.create(group=group, user=student, offering=course["offering"])
    page.set_viewport_size({"width": width, "height": 844 if width == 390 else 800})
    login(page, live_server, student.username, PASSWORD)
    for sheet in (course["scribing"], course["paper_sheet"]):
        page.goto(f"{live_server.url}/signups/{sheet.pk}/")
        # No scrolling into view: a button that is only reachable by scrolling a table sideways is off-screen.
        box = page.get_by_role("button", name="Sign up for session").first.bounding_box()
        inner = page.evaluate("window.innerWidth")
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= inner, (
            sheet.kind,
            box,
            inner,
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= inner
        assert axe_violations(page) == []  # the stacked rows keep their table roles and labels


def test_the_phone_header_is_compact_and_its_menu_works_without_javascript(
    course, browser_context_factory, live_server
):
    context = browser_context_factory
    context.clear_cookies()
    page = context.new_page()
    try:
        page.set_viewport_size({"width": 390, "height": 844})
        login(page, live_server, course["student"].username, PASSWORD)
        page.goto(f"{live_server.url}/schedule/")
        height = page.evaluate("document.querySelector('.site-header').getBoundingClientRect().height")
        assert height <= HEADER_MAX_PX, f"the header is {height}px tall at 390px"
        assert axe_violations(page) == []
        # The menu is one tap away, and every section is in it.
        page.get_by_text("Menu", exact=True).click()
        nav = page.get_by_role("navigation", name="Main")
        for name in ("Schedule", "Notes", "Homework", "My group", "Sign-ups", "Papers", "Grades"):
            link = nav.get_by_role("link", name=name, exact=True)
            assert link.is_visible(), name
        nav.get_by_role("link", name="Sign-ups", exact=True).click()
        page.wait_for_url("**/signups/")
        # At 1,280 px the menu is always open and the header stays one short band.
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(f"{live_server.url}/schedule/")
        assert page.get_by_role("navigation", name="Main").get_by_role("link", name="Papers").is_visible()
        assert page.evaluate("document.querySelector('.site-header').getBoundingClientRect().height") <= 120
    finally:
        page.close()
