"""Students change their own slot without losing it: move to a free slot in one step, swap places by mutual
request (A asks, B accepts or declines), and the waitlist still moves up correctly."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from courseweb.groups.models import AuditEntry
from courseweb.lectures.models import Session
from courseweb.signups import services as ss
from courseweb.signups import staff as st
from courseweb.signups.models import Signup, SignupStatus, SwapRequest, SwapStatus
from courseweb.signups.selectors import swap_requests_open
from courseweb.signups.services import SignupError, SignupFull
from tests.courseweb.signups.factories import CLOSES, DURING, eligible_paper, group_with, sheet, staff
from tests.factories import HKT, OfferingFactory

pytestmark = pytest.mark.django_db


def slots_of(s):
    return list(s.slots.order_by("session__number", "position"))


def sign(slot, group, **kw):
    return ss.signup_create(slot=slot, group=group, user=group.memberships.first().user, now=DURING, **kw)


def fresh(signup):
    return Signup.objects.get(pk=signup.pk)


def test_a_group_moves_to_a_free_slot_in_one_step_and_the_waitlist_moves_up():
    s = sheet(kind="scribing", count=3)
    one, _two, three = slots_of(s)
    (g1, u1), (g2, _) = group_with(), group_with()
    mine = sign(one, g1)
    waiting = sign(one, g2)
    assert waiting.status == SignupStatus.WAITLISTED
    moved = ss.signup_move(signup=mine, to_slot=three, user=u1[1], now=DURING)
    assert (moved.slot_id, moved.status, moved.place) == (three.pk, SignupStatus.CONFIRMED, 1)
    assert moved.pk == mine.pk  # the same entry: its sign-up time is kept
    assert [p.pk for p in moved.promoted] == [waiting.pk]
    assert (fresh(waiting).status, fresh(waiting).place) == (SignupStatus.CONFIRMED, 1)
    assert Session.objects.get(pk=one.session_id).scribing_group == g2
    assert Session.objects.get(pk=three.session_id).scribing_group == g1
    assert AuditEntry.objects.filter(message__contains=f"moved “{g1.name}” from").exists()


def test_moving_to_a_full_slot_keeps_the_groups_place():
    s = sheet(kind="scribing", count=2)
    one, two = slots_of(s)
    (g1, u1), (g2, _), (g3, _) = group_with(), group_with(), group_with()
    mine = sign(one, g1)
    sign(two, g2)
    waiting = sign(one, g3)
    with pytest.raises(SignupFull, match=re.escape(f"keeps its place on {one}")):
        ss.signup_move(signup=mine, to_slot=two, user=u1[0], now=DURING)
    assert (fresh(mine).slot_id, fresh(mine).status, fresh(mine).place) == (one.pk, SignupStatus.CONFIRMED, 1)
    assert fresh(waiting).status == SignupStatus.WAITLISTED  # nobody moved up: nothing was freed
    assert two.signups.filter(status=SignupStatus.CONFIRMED).count() == 1


def test_a_waitlisted_group_can_move_to_a_free_slot():
    s = sheet(kind="scribing", count=2)
    one, two = slots_of(s)
    (g1, _), (g2, u2) = group_with(), group_with()
    sign(one, g1)
    waiting = sign(one, g2)
    moved = ss.signup_move(signup=waiting, to_slot=two, user=u2[0], now=DURING)
    assert (moved.slot_id, moved.status, moved.place) == (two.pk, SignupStatus.CONFIRMED, 1)
    assert moved.confirmed_at is not None and moved.promoted == []


def test_move_rules_window_lock_membership_and_sheet():
    lock = dt.datetime(2026, 1, 15, 0, 0, tzinfo=HKT)
    s = sheet(kind="scribing", count=2, locks_at=lock)
    other = sheet(kind="scribing", offering=s.offering, count=2, title="Other")
    one, two = slots_of(s)
    (g1, u1), (_g2, u2) = group_with(offering=s.offering), group_with(offering=s.offering)
    mine = sign(one, g1)
    with pytest.raises(SignupError, match=re.escape(ss.ERROR_NOT_MEMBER)):
        ss.signup_move(signup=mine, to_slot=two, user=u2[0], now=DURING)
    with pytest.raises(SignupError, match="locked since"):
        ss.signup_move(signup=mine, to_slot=two, user=u1[0], now=lock + dt.timedelta(minutes=1))
    with pytest.raises(SignupError, match="closed on"):
        ss.signup_move(signup=mine, to_slot=two, user=u1[0], now=CLOSES + dt.timedelta(minutes=1))
    with pytest.raises(SignupError, match=re.escape(ss.ERROR_OTHER_SHEET)):
        ss.signup_move(signup=mine, to_slot=slots_of(other)[1], user=u1[0], now=DURING)
    assert fresh(mine).slot_id == one.pk


def test_a_paper_group_keeps_its_paper_when_it_moves():
    offering = OfferingFactory()
    s = sheet(kind="paper", offering=offering, slots_per_session=2)
    first, second = slots_of(s)[:2]
    paper = eligible_paper("Causal Forests", offering)
    g, users = group_with(offering=offering)
    mine = sign(first, g, paper=paper)
    moved = ss.signup_move(signup=mine, to_slot=second, user=users[0], now=DURING)
    assert moved.paper == paper and moved.slot_id == second.pk


def _two_holders(count=3, **options):
    s = sheet(kind="scribing", count=count, **options)
    slots = slots_of(s)
    (ga, ua), (gb, ub) = group_with(offering=s.offering), group_with(offering=s.offering)
    return s, slots, sign(slots[0], ga), sign(slots[1], gb), ua, ub


def test_swap_by_mutual_request():
    s, slots, a, b, ua, ub = _two_holders()
    request = ss.swap_request_create(signup=a, with_signup=b, user=ua[0], now=DURING)
    assert request.status == SwapStatus.PENDING
    # B sees it, A sees it as its own; nothing has moved yet.
    assert swap_requests_open(sheet=s, group=b.group, now=DURING) == [request]
    assert swap_requests_open(sheet=s, group=a.group, now=DURING) == [request]
    assert fresh(a).slot_id == slots[0].pk
    # Only B's members can accept.
    with pytest.raises(SignupError, match=re.escape(ss.ERROR_NOT_MEMBER)):
        ss.swap_request_accept(request=request, user=ua[1], now=DURING)
    ss.swap_request_accept(request=request, user=ub[1], now=DURING)
    assert (fresh(a).slot_id, fresh(b).slot_id) == (slots[1].pk, slots[0].pk)
    assert fresh(a).status == fresh(b).status == SignupStatus.CONFIRMED
    request.refresh_from_db()
    assert (request.status, request.decided_by) == (SwapStatus.ACCEPTED, ub[1])
    assert Session.objects.get(pk=slots[0].session_id).scribing_group == b.group
    assert swap_requests_open(sheet=s, group=b.group, now=DURING) == []
    with pytest.raises(SignupError, match="no longer open"):
        ss.swap_request_accept(request=request, user=ub[0], now=DURING)


def test_swap_request_decline_and_withdraw_change_nothing():
    _s, slots, a, b, ua, ub = _two_holders()
    first = ss.swap_request_create(signup=a, with_signup=b, user=ua[0], now=DURING)
    with pytest.raises(SignupError, match=re.escape(ss.ERROR_NOT_MEMBER)):
        ss.swap_request_answer(request=first, user=ua[0], decline=True)  # A cannot decline for B
    ss.swap_request_answer(request=first, user=ub[0], decline=True)
    assert SwapRequest.objects.get(pk=first.pk).status == SwapStatus.DECLINED
    second = ss.swap_request_create(signup=a, with_signup=b, user=ua[1], now=DURING)
    with pytest.raises(SignupError, match=re.escape(ss.ERROR_NOT_MEMBER)):
        ss.swap_request_answer(request=second, user=ub[0], decline=False)  # B cannot withdraw A's request
    ss.swap_request_answer(request=second, user=ua[0], decline=False)
    assert SwapRequest.objects.get(pk=second.pk).status == SwapStatus.WITHDRAWN
    assert (fresh(a).slot_id, fresh(b).slot_id) == (slots[0].pk, slots[1].pk)


def test_a_new_request_replaces_the_groups_open_one():
    s, slots, a, b, ua, _ub = _two_holders()
    gc, _ = group_with(offering=s.offering)
    c = sign(slots[2], gc)
    first = ss.swap_request_create(signup=a, with_signup=b, user=ua[0], now=DURING)
    second = ss.swap_request_create(signup=a, with_signup=c, user=ua[0], now=DURING)
    assert SwapRequest.objects.get(pk=first.pk).status == SwapStatus.WITHDRAWN
    assert swap_requests_open(sheet=s, group=a.group, now=DURING) == [second]


@pytest.mark.parametrize("change", ["drop_a", "drop_b", "move_a", "move_b", "staff_swap"])
def test_requests_are_cancelled_when_either_place_changes(change):
    s, slots, a, b, ua, ub = _two_holders(count=4)
    gc, _uc = group_with(offering=s.offering)
    c = sign(slots[2], gc)
    request = ss.swap_request_create(signup=a, with_signup=b, user=ua[0], now=DURING)
    if change == "drop_a":
        ss.signup_drop(signup=a, user=ua[0], now=DURING)
    elif change == "drop_b":
        ss.signup_drop(signup=b, user=ub[0], now=DURING)
    elif change == "move_a":
        ss.signup_move(signup=a, to_slot=slots[3], user=ua[0], now=DURING)
    elif change == "move_b":
        ss.signup_move(signup=b, to_slot=slots[3], user=ub[0], now=DURING)
    else:
        st.signup_swap(staff=staff(s.offering), first=b, second=c)
    request.refresh_from_db()
    assert request.status == SwapStatus.CANCELLED and request.note
    assert swap_requests_open(sheet=s, group=b.group, now=DURING) == []
    before = {x.pk: (x.slot_id, x.status) for x in Signup.objects.all()}
    with pytest.raises(SignupError, match="no longer open"):
        ss.swap_request_accept(request=request, user=ub[0], now=DURING)
    assert {x.pk: (x.slot_id, x.status) for x in Signup.objects.all()} == before


def test_a_request_that_went_stale_unnoticed_is_refused_on_accept():
    """Even if a change bypassed the services (e.g. an admin edit), accept re-checks the places under lock."""
    s, slots, a, b, ua, ub = _two_holders()
    request = ss.swap_request_create(signup=a, with_signup=b, user=ua[0], now=DURING)
    Signup.objects.filter(pk=a.pk).update(slot=slots[2])
    assert swap_requests_open(sheet=s, group=b.group, now=DURING) == []
    with pytest.raises(SignupError, match="changed slot"):
        ss.swap_request_accept(request=request, user=ub[0], now=DURING)
    assert SwapRequest.objects.get(pk=request.pk).status == SwapStatus.CANCELLED
    assert fresh(b).slot_id == slots[1].pk


def test_requests_expire_when_the_sheet_locks():
    lock = dt.datetime(2026, 1, 15, 0, 0, tzinfo=HKT)
    s, _slots, a, b, ua, ub = _two_holders(locks_at=lock)
    request = ss.swap_request_create(signup=a, with_signup=b, user=ua[0], now=DURING)
    late = lock + dt.timedelta(minutes=1)
    assert swap_requests_open(sheet=s, group=b.group, now=late) == []
    with pytest.raises(SignupError, match="no longer accepts changes"):
        ss.swap_request_accept(request=request, user=ub[0], now=late)
    with pytest.raises(SignupError, match="locked since"):
        ss.swap_request_create(signup=a, with_signup=b, user=ua[0], now=late)


def test_swap_request_rules():
    s, slots, a, b, ua, ub = _two_holders()
    gw, uw = group_with(offering=s.offering)
    waiting = sign(slots[0], gw)
    with pytest.raises(SignupError, match=re.escape(ss.ERROR_SWAP_CONFIRMED)):
        ss.swap_request_create(signup=waiting, with_signup=b, user=uw[0], now=DURING)
    with pytest.raises(SignupError, match=re.escape(ss.ERROR_SWAP_CONFIRMED)):
        ss.swap_request_create(signup=b, with_signup=waiting, user=ub[0], now=DURING)
    with pytest.raises(SignupError, match=re.escape(ss.ERROR_NOT_MEMBER)):
        ss.swap_request_create(signup=a, with_signup=b, user=ub[0], now=DURING)
    with pytest.raises(SignupError, match=re.escape(ss.ERROR_SWAP_OWN)):
        ss.swap_request_create(signup=a, with_signup=a, user=ua[0], now=DURING)
    assert SwapRequest.objects.count() == 0


def test_swap_keeps_the_waitlists_where_they_are():
    s, slots, a, b, ua, ub = _two_holders()
    gw, _ = group_with(offering=s.offering)
    waiting = sign(slots[0], gw)
    request = ss.swap_request_create(signup=a, with_signup=b, user=ua[0], now=DURING)
    ss.swap_request_accept(request=request, user=ub[0], now=DURING)
    waiting = fresh(waiting)
    assert (waiting.slot_id, waiting.status) == (slots[0].pk, SignupStatus.WAITLISTED)
    # When B (now on slot 1) drops, the group waiting on slot 1 moves up.
    dropped = ss.signup_drop(signup=fresh(b), user=ub[0], now=DURING)
    assert [p.pk for p in dropped.promoted] == [waiting.pk]
