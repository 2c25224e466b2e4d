"""The demo course (`make run`): its own offering dated around today, live on any date.

The demo is built at three dates (DEMO_TODAY in March, August and December) and each journey's starting state is
checked at that date: group registration open, one homework open and submittable, one past with a real graded
result for a demo student, sign-up sheets open with free slots, the project proposal ahead, papers to choose,
materials (and notes) on the lecture pages.  The Spring 2026 course stays its own offering, and seed_demo is
idempotent and prints logins that work.
"""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from courseweb.core.demo import demo_password
from courseweb.courses.models import CourseworkItem, Offering
from courseweb.courses.selectors import offering_current
from courseweb.groups.models import Membership
from courseweb.groups.services import registration_open
from courseweb.homework.deadlines import deadline_for_user
from courseweb.homework.models import Assignment, GradingJob, JobState
from courseweb.homework.selectors import sharing_state
from courseweb.homework.services.submissions import SubmissionRejected, submission_create
from courseweb.lectures.models import Material, Session
from courseweb.signups.models import SheetKind
from courseweb.signups.selectors import paper_choices
from courseweb.signups.services import free_places, sheet_state

pytestmark = pytest.mark.django_db(transaction=True)

HKT = ZoneInfo("Asia/Hong_Kong")
DEMO_SLUG = "demo"  # the demo offering; its homework as the README describes
PAST_HW, OPEN_HW = "hw3-causal-inference", "hw4-dml-hte"


def _seed(settings, today: str) -> str:
    out = StringIO()
    settings.DEMO_TODAY = today
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("today", ["2026-12-07", "2027-03-15", "2026-08-03"])
def test_demo_is_live_at_any_date(client, settings, today):
    call_command("load_course", str(settings.COURSE_FILE), verbosity=0)
    out = _seed(settings, today)
    now = dt.datetime.combine(dt.date.fromisoformat(today), dt.time(12, 0), tzinfo=HKT)
    demo = Offering.objects.get(slug=DEMO_SLUG)

    # The real course is still its own offering, with its own dates; the demo is the site's current offering.
    s26 = Offering.objects.get(slug="s26")
    assert Session.objects.get(offering=s26, number=1).starts_at == dt.datetime(2026, 1, 6, 9, 30, tzinfo=HKT)
    assert offering_current() == demo

    # Logins printed by seed_demo work.
    logins = [line.split() for line in out.splitlines() if line.startswith("  ")]
    assert {line[0] for line in logins} == {"instructor", "ta", "student"}
    for _role, username, password, *_ in logins:
        assert password == demo_password(username)
        assert client.login(username=username, password=password), username

    # Groups: registration is open and carol has no group yet, so she can register one with dan.
    assert registration_open(offering=demo, now=now)
    assert not Membership.objects.filter(offering=demo, user__username__in=["carol", "dan"]).exists()

    # Homework open: released, due in the future, and a submission is accepted now.
    open_hw = Assignment.objects.select_related("item").get(offering=demo, key=OPEN_HW)
    assert open_hw.item.released_at <= now < open_hw.item.due_at
    stem = sorted(open_hw.notebooks)[0]
    from courseweb.accounts.models import User

    carol = User.objects.get(username="carol")
    data = (Path(open_hw.release_dir) / f"{stem}.ipynb").read_bytes()
    accepted = submission_create(user=carol, assignment=open_hw, filename=f"{stem}.ipynb", data=data, now=now)
    assert not accepted.submission.is_late

    # Homework past: closed now, and the demo group has a real graded result (the engine graded the reference
    # notebook: every auto-graded point, manual points still pending).
    past_hw = Assignment.objects.select_related("item").get(offering=demo, key=PAST_HW)
    assert past_hw.item.due_at < now
    bob = User.objects.get(username="bob")
    assert deadline_for_user(item=past_hw.item, user=carol).is_closed(at=now)
    with pytest.raises(SubmissionRejected):
        submission_create(user=carol, assignment=past_hw, filename=f"{stem}.ipynb", data=data, now=now)
    job = GradingJob.objects.get(submission__assignment=past_hw, submission__members=bob)
    auto_points = sum(
        points
        for nb in past_hw.notebooks.values()
        for grade_id, points in nb["points"].items()
        if grade_id in nb["tests"]
    )
    assert job.state == JobState.GRADED and job.score == pytest.approx(auto_points) and auto_points > 0
    assert job.max_score == pytest.approx(past_hw.max_score)
    assert job.cells and not job.submission.is_late

    # Sharing: the past homework's solutions are open to the class (every cut-off passed) and the demo group's
    # graded one is shared; the open homework shows nothing.
    state = sharing_state(assignment=past_hw, user=carol, now=now)
    assert state.open and [s.group.name for s in state.solutions] == ["Bandits"]
    assert state.solutions[0].submission_id == job.submission_id
    assert not sharing_state(assignment=open_hw, user=carol, now=now).solutions

    # Sign-up sheets open, the scribing sheet has free slots in sessions still to come, papers can be chosen.
    sheets = {s.kind: s for s in demo.signup_sheets.all()}
    assert set(sheets) == {SheetKind.SCRIBING, SheetKind.PAPER, SheetKind.PROJECT}
    assert all(sheet_state(sheet=s, now=now) == "open" for s in sheets.values())
    future_free = [
        slot
        for slot in sheets[SheetKind.SCRIBING].slots.select_related("session")
        if slot.session.starts_at > now and free_places(slot)
    ]
    assert len(future_free) >= 5
    assert len(paper_choices(sheet=sheets[SheetKind.PAPER])) >= 5

    # Project: the proposal is ahead.
    proposal = CourseworkItem.objects.get(offering=demo, slug="project-proposal")
    assert proposal.due_at > now

    # Lecture pages: materials, and session 1 links its published notes.
    assert Material.objects.filter(session__offering=demo).count() >= 10
    client.login(username="alice", password=demo_password("alice"))
    page = client.get("/schedule/1/").content.decode()
    assert "The Elements of Statistical Learning" in page
    assert f'href="/notes/{DEMO_SLUG}/session-1/"' in page
    home = client.get("/")
    assert home.status_code == 200 and "AI for Business Research (demo)" in home.content.decode()

    if today == "2026-12-07":
        # seed_demo is idempotent (make run twice), and a later day moves the demo without grading again.
        counts = (Session.objects.count(), Material.objects.count(), GradingJob.objects.count())
        again = _seed(settings, today)
        assert "created: 0, updated: 0" in again and "0 created, 0 moved" in again
        assert (Session.objects.count(), Material.objects.count(), GradingJob.objects.count()) == counts
        assert "3 moved" in _seed(settings, "2027-03-15")
        later = dt.datetime(2027, 3, 15, 12, 0, tzinfo=HKT)
        demo.refresh_from_db()
        assert registration_open(offering=demo, now=later)
        assert all(sheet_state(sheet=s, now=later) == "open" for s in demo.signup_sheets.all())
        assert GradingJob.objects.filter(submission__assignment=past_hw).count() == 1
        assert GradingJob.objects.get(pk=job.pk).submission.submitted_at < past_hw.item.due_at
