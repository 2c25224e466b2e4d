"""End to end in Chromium: two students form a group (invite and accept), sign up for a scribing session and a
paper presentation slot, and both see the sign-ups on their group page; the pages pass axe."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from tests.e2e.conftest import axe_violations, login
from tests.factories import PASSWORD, EnrollmentFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PAPER_TITLE = "Deep Learning Based Causal Inference for Large-Scale Combinatorial Experiments"


@pytest.fixture
def course():
    """The real course file, with registration still open and two sheets open now (dates are data)."""
    call_command("load_course", str(settings.COURSE_FILE), verbosity=0)
    from courseweb.courses.selectors import offering_current
    from courseweb.lectures.models import Session
    from courseweb.papers.models import Paper
    from courseweb.papers.services import paper_eligibility_set
    from courseweb.signups.staff import sheet_create

    offering = offering_current()
    now = timezone.now()
    offering.group_registration_deadline = now + dt.timedelta(days=7)
    offering.save()
    ta = UserFactory(username="ignis", display_name="Ignis TA")
    EnrollmentFactory(user=ta, offering=offering, role="ta")
    sessions = list(Session.objects.filter(offering=offering).order_by("number"))
    common = {"offering": offering, "staff": ta, "opens_at": now - dt.timedelta(hours=1)}
    sheet_create(
        kind="scribing",
        title="Lecture-note scribing",
        sessions=sessions,
        closes_at=now + dt.timedelta(days=7),
        **common,
    )
    sheet_create(
        kind="paper",
        title="Paper replication and presentation",
        sessions=sessions[2:],
        slots_per_session=2,
        closes_at=now + dt.timedelta(days=7),
        **common,
    )
    paper = Paper.objects.create(title=PAPER_TITLE, venue="Management Science")
    paper_eligibility_set(paper=paper, offering=offering, eligible=True, user=ta)
    amy = UserFactory(username="amy", display_name="Amy Chan", major="Operations Management")
    ben = UserFactory(username="ben", display_name="Ben Lee", major="Finance")
    for student in (amy, ben):
        EnrollmentFactory(user=student, offering=offering, role="student")
    return {"amy": amy, "ben": ben}


def _switch_to(page, live_server, username):
    page.context.clear_cookies()
    login(page, live_server, username, PASSWORD)


def test_two_students_form_a_group_sign_up_and_see_it_on_their_group_page(course, page, live_server):
    ben = course["ben"]
    # Amy registers a group and invites Ben by e-mail.
    login(page, live_server, "amy", PASSWORD)
    page.get_by_role("link", name="My group").click()
    page.get_by_label("Group name").fill("Bellman Backups")
    page.get_by_role("button", name="Register group").click()
    assert page.get_by_role("heading", level=1).inner_text() == "My group: Bellman Backups"
    page.get_by_label("Classmate's e-mail or student number").fill(ben.email)
    page.get_by_role("button", name="Send invitation").click()
    assert page.get_by_text("Invitation sent to Ben Lee").is_visible()

    # Ben accepts.
    _switch_to(page, live_server, "ben")
    page.get_by_role("link", name="My group").click()
    invitation = page.locator(".invitation", has_text="Bellman Backups")
    assert "Amy Chan" in invitation.inner_text()
    invitation.get_by_role("button", name="Accept").click()
    assert page.get_by_role("heading", level=1).inner_text() == "My group: Bellman Backups"
    members = page.locator(".members").inner_text()
    assert "Amy Chan" in members and "Ben Lee" in members

    # Ben takes the scribing of session 3.
    page.get_by_role("link", name="Sign-ups").click()
    page.get_by_role("link", name="Lecture-note scribing").click()
    page.get_by_role("button", name="Sign up for session 3").click()
    assert page.get_by_text("your group has a place").is_visible()
    row = page.locator("tr", has_text="Session 3").first
    assert "Your group's place" in row.inner_text()

    # Amy takes the first presentation slot of session 5 with the paper.
    _switch_to(page, live_server, "amy")
    page.goto(f"{live_server.url}/signups/")
    page.get_by_role("link", name="Paper replication and presentation").click()
    slot_row = page.locator("tr", has_text="Session 5").first
    assert "11:45–12:00" in slot_row.inner_text()
    slot_row.get_by_label("Paper").select_option(label=PAPER_TITLE)
    slot_row.get_by_role("button", name="Sign up for session 5 at 11:45").click()
    assert page.get_by_text("your group has a place").is_visible()
    assert "Bellman Backups" in page.locator("tr", has_text="Session 5").first.inner_text()

    # Both see both sign-ups on the group page.
    for username in ("amy", "ben"):
        _switch_to(page, live_server, username)
        page.get_by_role("link", name="My group").click()
        signups = page.locator(".group-signup")
        assert signups.count() == 2
        text = page.locator(".group-signups").inner_text()
        assert "Lecture-note scribing: session 3" in text
        assert "Paper replication and presentation: session 5" in text and PAPER_TITLE in text
        assert "11:45 HKT" in text

    from courseweb.lectures.models import Session

    assert Session.objects.get(number=3).scribing_group.name == "Bellman Backups"


@pytest.mark.parametrize(
    "path",
    [
        "/groups/",
        "/signups/",
        "/signups/{paper}/",
        "/groups/staff/",
        "/groups/staff/automatch/",
        "/signups/manage/{paper}/",
    ],
)
def test_group_and_signup_pages_have_no_serious_accessibility_violations(course, page, live_server, path):
    from courseweb.signups.models import Sheet

    path = path.format(paper=Sheet.objects.get(kind="paper").pk)
    username = "ignis" if "staff" in path or "manage" in path else "amy"
    login(page, live_server, username, PASSWORD)
    page.goto(f"{live_server.url}{path}")
    assert axe_violations(page) == []
