"""Sign-up rules: capacity, waitlist and promotion, open/close window, drop before lock, one per group, one group
per paper, scribing sets the session's group, timed presentation slots, staff assign/move/swap, CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.db import IntegrityError, transaction

from courseweb.lectures.models import Session
from courseweb.signups import services as ss
from courseweb.signups import staff as st
from courseweb.signups.export import CSV_COLUMNS, sheet_csv
from courseweb.signups.models import Signup, SignupStatus
from courseweb.signups.selectors import (
    groups_without_signup,
    paper_choices,
    sheet_board,
    signup_list_for_group,
)
from courseweb.signups.services import SignupError, SignupFull
from tests.courseweb.notifications.eager import eager_celery  # noqa: F401
from tests.courseweb.signups.factories import CLOSES, DURING, OPENS, eligible_paper, group_with, sheet, staff
from tests.factories import HKT, OfferingFactory

pytestmark = pytest.mark.django_db


def first_slot(s):
    return s.slots.order_by("session__number", "position").first()


def sign(slot, group, user=None, **kw):
    user = user or group.memberships.first().user
    return ss.signup_create(slot=slot, group=group, user=user, now=kw.pop("now", DURING), **kw)


def test_first_come_first_served_with_waitlist_and_promotion():
    s = sheet(kind="scribing")
    slot = first_slot(s)
    (g1, u1), (g2, _), (g3, _) = group_with(), group_with(), group_with()
    a = sign(slot, g1)
    b = sign(slot, g2)
    c = sign(slot, g3)
    assert (a.status, a.place) == (SignupStatus.CONFIRMED, 1)
    assert b.status == c.status == SignupStatus.WAITLISTED and b.place is None
    ss.signup_drop(signup=a, user=u1[0], now=DURING)
    b.refresh_from_db()
    c.refresh_from_db()
    assert (b.status, b.place) == (SignupStatus.CONFIRMED, 1)
    assert c.status == SignupStatus.WAITLISTED
    board = sheet_board(sheet=s, group=g3, now=DURING)
    assert board.rows[0].waitlist_position == 1 and board.rows[0].is_full


def test_full_without_waitlist_says_full():
    s = sheet(kind="scribing", waitlist_enabled=False)
    slot = first_slot(s)
    sign(slot, group_with()[0])
    with pytest.raises(SignupFull, match="full"):
        sign(slot, group_with()[0])
    assert Signup.objects.count() == 1


def test_capacity_per_session():
    s = sheet(kind="scribing", capacity=2, waitlist_enabled=False)
    slot = first_slot(s)
    places = [sign(slot, group_with()[0]).place for _ in range(2)]
    assert places == [1, 2]
    with pytest.raises(SignupFull):
        sign(slot, group_with()[0])


def test_the_database_refuses_two_holders_of_one_place():
    s = sheet(kind="scribing", one_per_group=False)
    slot = first_slot(s)
    g1, g2 = group_with()[0], group_with()[0]
    sign(slot, g1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Signup.objects.create(
            sheet=s,
            slot=slot,
            group=g2,
            offering=s.offering,
            status=SignupStatus.CONFIRMED,
            place=1,
            exclusive=False,
        )


def test_window_opens_and_closes():
    s = sheet(kind="scribing")
    g, _ = group_with()
    with pytest.raises(SignupError, match="opens on"):
        sign(first_slot(s), g, now=OPENS - dt.timedelta(minutes=1))
    with pytest.raises(SignupError, match="closed on"):
        sign(first_slot(s), g, now=CLOSES + dt.timedelta(minutes=1))
    # The message shows Hong Kong time.
    with pytest.raises(SignupError, match="20 Jan 2026, 23:59"):
        sign(first_slot(s), g, now=CLOSES + dt.timedelta(days=1))


def test_drop_only_before_lock_time():
    lock = dt.datetime(2026, 1, 15, 0, 0, tzinfo=HKT)
    s = sheet(kind="scribing", locks_at=lock)
    g, users = group_with()
    signup = sign(first_slot(s), g)
    with pytest.raises(SignupError, match="locked since"):
        ss.signup_drop(signup=signup, user=users[1], now=lock + dt.timedelta(seconds=1))
    ss.signup_drop(signup=signup, user=users[1], now=lock)
    assert Signup.objects.get().status == SignupStatus.DROPPED


def test_only_members_sign_up_and_drop():
    s = sheet(kind="scribing")
    g, _ = group_with()
    _other, others = group_with()
    with pytest.raises(SignupError, match=re.escape(ss.ERROR_NOT_MEMBER)):
        sign(first_slot(s), g, user=others[0])
    with pytest.raises(SignupError, match=re.escape(ss.ERROR_NO_GROUP)):
        ss.signup_create(slot=first_slot(s), group=None, user=others[0], now=DURING)
    signup = sign(first_slot(s), g)
    with pytest.raises(SignupError, match=re.escape(ss.ERROR_NOT_MEMBER)):
        ss.signup_drop(signup=signup, user=others[0], now=DURING)


def test_each_group_scribes_at_most_one_session_and_staff_see_who_has_none():
    s = sheet(kind="scribing")
    slots = list(s.slots.order_by("session__number"))
    g, _ = group_with(name="Alpha")
    idle, _ = group_with(name="Beta")
    sign(slots[0], g)
    with pytest.raises(SignupError, match=re.escape(ss.ERROR_ONE_PER_GROUP)):
        sign(slots[1], g)
    assert [x.name for x in groups_without_signup(sheet=s)] == ["Beta"]
    assert idle.signups.count() == 0


def test_confirmed_scribing_sets_the_sessions_group_and_follows_changes():
    s = sheet(kind="scribing")
    slot = first_slot(s)
    (g1, u1), (g2, _) = group_with(), group_with()
    a = sign(slot, g1)
    sign(slot, g2)  # waitlisted
    assert Session.objects.get(pk=slot.session_id).scribing_group == g1
    ss.signup_drop(signup=a, user=u1[0], now=DURING)
    assert Session.objects.get(pk=slot.session_id).scribing_group == g2


def test_presentation_slots_fill_the_last_minutes_of_each_session():
    offering = OfferingFactory()
    s = sheet(kind="paper", offering=offering, count=2, slots_per_session=3)
    slots = list(s.slots.order_by("session__number", "position"))
    assert len(slots) == 6
    session = slots[0].session
    assert [x.starts_at for x in slots[:3]] == [
        session.ends_at - dt.timedelta(minutes=30 - 10 * i) for i in range(3)
    ]
    assert all(x.minutes == 10 for x in slots)
    with pytest.raises(SignupError, match="do not fit"):
        sheet(kind="project", offering=offering, slots_per_session=2, slot_minutes=20)


def test_presentation_block_length_is_an_offering_rule():
    offering = OfferingFactory()
    offering.rules = {"presentation_minutes": 45}
    offering.save()
    s = sheet(kind="project", offering=offering, count=1, slots_per_session=3)
    slot = first_slot(s)
    assert slot.minutes == 15 and slot.starts_at == slot.session.ends_at - dt.timedelta(minutes=45)


def test_one_group_per_paper_per_offering():
    offering = OfferingFactory()
    s = sheet(kind="paper", offering=offering, slots_per_session=2)
    slots = list(s.slots.all())
    dedl = eligible_paper("Deep Learning Based Causal Inference", offering)
    other = eligible_paper("Another paper", offering)
    g1, g2 = group_with()[0], group_with()[0]
    with pytest.raises(SignupError, match=re.escape(ss.ERROR_PAPER_REQUIRED)):
        sign(slots[0], g1)
    sign(slots[0], g1, paper=dedl)
    with pytest.raises(SignupError, match=re.escape(ss.ERROR_PAPER_TAKEN)):
        sign(slots[1], g2, paper=dedl)
    assert paper_choices(sheet=s) == [other]
    from courseweb.papers.models import Paper

    stray = Paper.objects.create(title="Not eligible")
    with pytest.raises(SignupError, match=re.escape(ss.ERROR_PAPER_NOT_ELIGIBLE)):
        sign(slots[1], g2, paper=stray)


def test_staff_assign_move_and_swap():
    s = sheet(kind="scribing", count=3)
    slots = list(s.slots.order_by("session__number"))
    ta = staff(s.offering)
    (g1, _), (g2, _), (g3, _) = group_with(), group_with(), group_with()
    # Staff assign works outside the window but respects capacity.
    a = st.signup_assign(staff=ta, slot=slots[0], group=g1)
    b = st.signup_assign(staff=ta, slot=slots[1], group=g2)
    with pytest.raises(SignupFull):
        st.signup_assign(staff=ta, slot=slots[0], group=g3)
    st.signup_swap(staff=ta, first=a, second=b)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.slot_id, b.slot_id) == (slots[1].pk, slots[0].pk)
    assert Session.objects.get(pk=slots[0].session_id).scribing_group == g2
    waiting = sign(slots[0], g3)  # slot 0 is full: waitlisted
    st.signup_move(staff=ta, signup=b, to_slot=slots[2])
    waiting.refresh_from_db()
    assert waiting.status == SignupStatus.CONFIRMED  # promoted when b left slot 0
    assert Session.objects.get(pk=slots[2].session_id).scribing_group == g2
    with pytest.raises(SignupFull):
        st.signup_move(staff=ta, signup=a, to_slot=slots[0])


def test_capacity_change_promotes_the_waitlist():
    s = sheet(kind="scribing")
    slot = first_slot(s)
    ta = staff(s.offering)
    sign(slot, group_with()[0])
    waiting = sign(slot, group_with()[0])
    with pytest.raises(SignupError):
        st.slot_capacity_set(staff=ta, slot=slot, capacity=0)
    st.slot_capacity_set(staff=ta, slot=slot, capacity=2)
    waiting.refresh_from_db()
    assert (waiting.status, waiting.place) == (SignupStatus.CONFIRMED, 2)


def test_group_page_list_and_csv_export():
    offering = OfferingFactory()
    s = sheet(kind="paper", offering=offering, count=1, slots_per_session=2, title="Replication")
    slots = list(s.slots.order_by("position"))
    paper = eligible_paper("Deep Learning Based Causal Inference", offering, arxiv_id="2401.00001")
    g, users = group_with(name="Causal Crew")
    sign(slots[1], g, paper=paper)
    mine = signup_list_for_group(group=g)
    assert [(x.sheet.title, x.paper.title) for x in mine] == [("Replication", paper.title)]
    rows = list(csv.DictReader(io.StringIO(sheet_csv(sheet=s))))
    assert tuple(rows[0].keys()) == CSV_COLUMNS
    assert [r["status"] for r in rows] == ["free", "confirmed"]
    taken = rows[1]
    assert taken["group"] == "Causal Crew" and taken["paper_id"] == "arXiv:2401.00001"
    assert users[0].email in taken["emails"]
    assert taken["starts_hkt"] == "2026-01-06 12:00"  # session ends 12:15: two 15-minute slots from 11:45


def test_standard_sheets_come_from_the_course_sessions_and_are_idempotent():
    from django.conf import settings
    from django.core.management import call_command

    from courseweb.courses.selectors import offering_current
    from courseweb.signups.models import Sheet

    call_command("load_course", str(settings.COURSE_FILE), verbosity=0)
    out = io.StringIO()
    call_command(
        "create_signup_sheets", "--opens", "2026-01-08 09:00", "--closes", "2026-01-31 23:59", stdout=out
    )
    assert "created 3 sheet(s)" in out.getvalue()
    offering = offering_current()
    by_kind = {s.kind: s for s in Sheet.objects.filter(offering=offering)}
    assert by_kind["scribing"].slots.count() == 13
    assert by_kind["paper"].slots.count() == 12 * 2  # sessions 2..13, two 15-minute slots each
    assert by_kind["project"].slots.get(position=1).session.number == 13
    assert by_kind["scribing"].opens_at == dt.datetime(2026, 1, 8, 1, 0, tzinfo=dt.UTC)
    session8 = by_kind["paper"].slots.filter(session__number=8).order_by("position").first()
    assert session8.starts_at.astimezone(HKT).strftime("%H:%M") == "11:45"
    again = io.StringIO()
    call_command(
        "create_signup_sheets", "--opens", "2026-01-08 09:00", "--closes", "2026-01-31 23:59", stdout=again
    )
    assert "created 0 sheet(s)" in again.getvalue() and Sheet.objects.count() == 3


def test_csv_cells_cannot_become_spreadsheet_formulas():
    s = sheet(kind="scribing", count=1)
    g, _ = group_with(name='=HYPERLINK("http://evil")')
    sign(first_slot(s), g)
    row = next(csv.DictReader(io.StringIO(sheet_csv(sheet=s))))
    assert row["group"] == '\'=HYPERLINK("http://evil")'
    assert row["session"] == "1"


@pytest.mark.usefixtures("eager_celery")
def test_promoted_group_is_emailed(mailoutbox, django_capture_on_commit_callbacks):
    s = sheet(kind="scribing", title="Scribing")
    slot = first_slot(s)
    (g1, u1), (g2, u2) = group_with(), group_with(name="Patient")
    a = sign(slot, g1)
    sign(slot, g2)
    with django_capture_on_commit_callbacks(execute=True):
        ss.signup_drop(signup=a, user=u1[0], now=DURING)
    assert sorted(m.to[0] for m in mailoutbox) == sorted(u.email for u in u2)  # one message each
    mail = mailoutbox[0]
    assert "“Patient” now holds a place on Scribing: Session 1" in mail.body
    assert "Tue 06 Jan 2026, 09:30" in mail.body


def test_staff_move_and_swap_refuse_to_put_a_group_twice_on_one_slot():
    s = sheet(kind="project", count=1, slots_per_session=2, capacity=2, one_per_group=False)
    first, second = list(s.slots.order_by("position"))
    ta = staff(s.offering)
    (g1, _), (g2, _) = group_with(), group_with()
    a1 = st.signup_assign(staff=ta, slot=first, group=g1)
    st.signup_assign(staff=ta, slot=second, group=g1)
    b2 = st.signup_assign(staff=ta, slot=second, group=g2)
    with pytest.raises(SignupError, match=re.escape(ss.ERROR_ALREADY_ON_SLOT)):
        st.signup_move(staff=ta, signup=a1, to_slot=second)
    with pytest.raises(SignupError, match=re.escape(ss.ERROR_ALREADY_ON_SLOT)):
        st.signup_swap(staff=ta, first=a1, second=b2)
    assert Signup.objects.filter(slot=first).count() == 1
