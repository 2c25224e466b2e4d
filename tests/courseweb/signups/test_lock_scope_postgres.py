"""What a slot lock holds on PostgreSQL: the slot's row, nothing more.

`lock_slot` reads the slot with its sheet and session (`select_related`). Without `of=("self",)`,
PostgreSQL's `FOR UPDATE` also locks the joined sheet and session rows, so two requests on *different* slots of
one sheet queue behind each other, and a move (two slots, in id order) and a sign-up (one slot, then the sheet
through the new row's foreign key) take the same rows in opposite orders: the CI run of 4dc0cd0 ended one
such race in "deadlock detected". These tests hold one lock in a second connection and check, with a short
`lock_timeout` instead of a wait, that the other slot of the sheet stays free to use.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from courseweb.signups import services as ss
from courseweb.signups.models import Signup, SignupStatus
from tests.courseweb.signups.factories import DURING, group_with, sheet

pytestmark = [pytest.mark.needs_postgres, pytest.mark.django_db(transaction=True)]


def _holding(lock, then):
    """Run `lock()` in a second connection's transaction, then `then()` here while that lock is held."""
    held, done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def holder() -> None:
        try:
            with transaction.atomic():
                lock()
                held.set()
                done.wait(timeout=120)
        except BaseException as exc:  # reported to the test
            errors.append(exc)
            held.set()
        finally:
            connection.close()

    t = threading.Thread(target=holder)
    t.start()
    try:
        assert held.wait(timeout=120), "the lock holder never started"
        assert not errors, errors
        with transaction.atomic():
            with connection.cursor() as cur:
                cur.execute("SET LOCAL lock_timeout = '3s'")  # a wait means the lock was too wide
            return then()
    finally:
        done.set()
        t.join(timeout=120)


def test_a_slot_lock_leaves_the_sheet_and_session_rows_free():
    s = sheet(kind="scribing", count=2, waitlist_enabled=False)
    first = s.slots.order_by("pk").first()

    def probe() -> None:
        sheet_table = type(s)._meta.db_table
        session_table = type(first.session)._meta.db_table
        with connection.cursor() as cur:
            cur.execute(f"SELECT id FROM {sheet_table} WHERE id = %s FOR KEY SHARE NOWAIT", [s.pk])
            cur.execute(
                f"SELECT id FROM {session_table} WHERE id = %s FOR KEY SHARE NOWAIT", [first.session_id]
            )

    _holding(lambda: ss.lock_slot(first.pk), probe)


def test_a_sign_up_on_one_slot_is_not_held_up_by_a_move_locking_two_others():
    s = sheet(kind="scribing", count=3, waitlist_enabled=False)
    one, two, three = list(s.slots.order_by("pk"))
    (ga, ua), (gb, ub) = group_with(offering=s.offering), group_with(offering=s.offering)
    ss.signup_create(slot=one, group=ga, user=ua[0], now=DURING)

    signup = _holding(
        lambda: ss.lock_slot_pair(one.pk, two.pk),
        lambda: ss.place_group(slot_id=three.pk, group=gb, actor=ub[0], allow_waitlist=False),
    )
    assert Signup.objects.get(pk=signup.pk).status == SignupStatus.CONFIRMED
