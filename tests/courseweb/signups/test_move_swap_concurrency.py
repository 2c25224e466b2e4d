"""Student moves and swaps under concurrent requests, at the service level: each thread has its own database
connection and they start together.  Whatever order the database serves them in, nobody loses a place it held,
no place is held twice, and a swap request is accepted only if the swap happened.

The services lock slot rows the same way as a sign-up (`select_for_update`, two slots in id order); on SQLite the
IMMEDIATE transactions serialize the writers instead.  Run with DATABASE_URL pointing at PostgreSQL to exercise
the row locks.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from courseweb.signups import services as ss
from courseweb.signups.models import Signup, SignupStatus, SwapRequest, SwapStatus
from courseweb.signups.services import SignupError, SignupFull
from tests.courseweb.signups.factories import DURING, group_with, sheet

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 3


def race(*calls: Callable[[], object]) -> list[object]:
    """Run the calls at the same moment in separate threads; each result is a value or the exception raised."""
    barrier = threading.Barrier(len(calls), timeout=60)
    results: list[object] = [None] * len(calls)

    def run(i: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:  # reported to the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a racing call never finished"
    return results


def check_invariants(s) -> None:
    """No place is held twice, confirmed places stay within capacity, each group holds one entry on the sheet."""
    for slot in s.slots.all():
        places = list(slot.signups.filter(status=SignupStatus.CONFIRMED).values_list("place", flat=True))
        assert len(places) == len(set(places)) <= slot.capacity
        assert all(1 <= p <= slot.capacity for p in places)
    active = list(
        Signup.objects.filter(sheet=s, status__in=["confirmed", "waitlisted"]).values_list("group_id")
    )
    assert len(active) == len(set(active))


def _slots(s):
    return list(s.slots.order_by("session__number", "position"))


def _user(group):
    return group.memberships.first().user


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_groups_move_to_the_last_free_place_one_wins_the_other_keeps_its_own(round_):
    s = sheet(kind="scribing", count=3, waitlist_enabled=False)
    one, two, target = _slots(s)
    (ga, ua), (gb, ub) = group_with(offering=s.offering), group_with(offering=s.offering)
    a = ss.signup_create(slot=one, group=ga, user=ua[0], now=DURING)
    b = ss.signup_create(slot=two, group=gb, user=ub[0], now=DURING)
    results = race(
        lambda: ss.signup_move(signup=a, to_slot=target, user=ua[0], now=DURING),
        lambda: ss.signup_move(signup=b, to_slot=target, user=ub[0], now=DURING),
    )
    won = [r for r in results if isinstance(r, Signup)]
    lost = [r for r in results if isinstance(r, SignupFull)]
    assert len(won) == 1 and len(lost) == 1, results
    loser, home = (b, two) if won[0].pk == a.pk else (a, one)
    loser = Signup.objects.get(pk=loser.pk)
    assert (loser.slot_id, loser.status, loser.place) == (home.pk, SignupStatus.CONFIRMED, 1)
    assert target.signups.filter(status=SignupStatus.CONFIRMED).count() == 1
    check_invariants(s)


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_a_move_and_a_sign_up_race_for_the_last_place(round_):
    s = sheet(kind="scribing", count=2, waitlist_enabled=False)
    one, target = _slots(s)
    (ga, ua), (gb, ub) = group_with(offering=s.offering), group_with(offering=s.offering)
    a = ss.signup_create(slot=one, group=ga, user=ua[0], now=DURING)
    results = race(
        lambda: ss.signup_move(signup=a, to_slot=target, user=ua[0], now=DURING),
        lambda: ss.signup_create(slot=target, group=gb, user=ub[0], now=DURING),
    )
    assert sum(isinstance(r, Signup) for r in results) == 1, results
    assert sum(isinstance(r, SignupFull) for r in results) == 1, results
    a = Signup.objects.get(pk=a.pk)
    assert a.status == SignupStatus.CONFIRMED  # moved or not, group A still holds a place
    holder = target.signups.get(status=SignupStatus.CONFIRMED)
    assert holder.group_id in (ga.pk, gb.pk)
    assert (a.slot_id == target.pk) == (holder.group_id == ga.pk)
    check_invariants(s)


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_accepting_a_swap_while_the_asking_group_moves_away(round_):
    s = sheet(kind="scribing", count=3)
    one, two, free = _slots(s)
    (ga, ua), (gb, ub) = group_with(offering=s.offering), group_with(offering=s.offering)
    a = ss.signup_create(slot=one, group=ga, user=ua[0], now=DURING)
    b = ss.signup_create(slot=two, group=gb, user=ub[0], now=DURING)
    request = ss.swap_request_create(signup=a, with_signup=b, user=ua[0], now=DURING)
    results = race(
        lambda: ss.swap_request_accept(request=request, user=ub[0], now=DURING),
        lambda: ss.signup_move(signup=a, to_slot=free, user=ua[0], now=DURING),
    )
    accepted, moved = results
    request.refresh_from_db()
    a, b = Signup.objects.get(pk=a.pk), Signup.objects.get(pk=b.pk)
    assert a.status == b.status == SignupStatus.CONFIRMED
    if isinstance(accepted, SwapRequest):
        # The swap came first; the move then found A's entry on another slot and changed nothing.
        assert request.status == SwapStatus.ACCEPTED
        assert (a.slot_id, b.slot_id) == (two.pk, one.pk)
        assert isinstance(moved, SignupError)
    else:
        # The move came first; the accept found the request cancelled and swapped nothing.
        assert isinstance(accepted, SignupError) and isinstance(moved, Signup), results
        assert request.status == SwapStatus.CANCELLED
        assert (a.slot_id, b.slot_id) == (free.pk, two.pk)
    check_invariants(s)


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_accepting_a_swap_while_the_asking_group_drops(round_):
    s = sheet(kind="scribing", count=2)
    one, two = _slots(s)
    (ga, ua), (gb, ub), (gw, uw) = (group_with(offering=s.offering) for _ in range(3))
    a = ss.signup_create(slot=one, group=ga, user=ua[0], now=DURING)
    b = ss.signup_create(slot=two, group=gb, user=ub[0], now=DURING)
    waiting = ss.signup_create(slot=one, group=gw, user=uw[0], now=DURING)
    request = ss.swap_request_create(signup=a, with_signup=b, user=ua[0], now=DURING)
    accepted, dropped = race(
        lambda: ss.swap_request_accept(request=request, user=ub[0], now=DURING),
        lambda: ss.signup_drop(signup=a, user=ua[0], now=DURING),
    )
    request.refresh_from_db()
    a, b, waiting = (Signup.objects.get(pk=x.pk) for x in (a, b, waiting))
    if isinstance(accepted, SwapRequest):
        # Swapped first: the drop, confirmed for slot one, finds A's entry on slot two and changes nothing,
        # or (if it read the entry after the swap) drops slot two.  B holds slot one; W still waits on it.
        assert request.status == SwapStatus.ACCEPTED
        assert (b.slot_id, b.status) == (one.pk, SignupStatus.CONFIRMED)
        assert waiting.status == SignupStatus.WAITLISTED
        if isinstance(dropped, Signup):
            assert a.status == SignupStatus.DROPPED
        else:
            assert isinstance(dropped, SignupError) and str(dropped) == ss.ERROR_CHANGED, dropped
            assert (a.slot_id, a.status) == (two.pk, SignupStatus.CONFIRMED)
    else:
        # Dropped first: W moved up into slot one, B kept slot two, the request was cancelled.
        assert isinstance(accepted, SignupError) and isinstance(dropped, Signup), (accepted, dropped)
        assert request.status == SwapStatus.CANCELLED and a.status == SignupStatus.DROPPED
        assert (b.slot_id, b.status) == (two.pk, SignupStatus.CONFIRMED)
        assert (waiting.slot_id, waiting.status) == (one.pk, SignupStatus.CONFIRMED)
    check_invariants(s)
