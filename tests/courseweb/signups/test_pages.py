"""Sign-up pages over HTTP: the board shows live availability, a full slot answers 409 with a clear message,
drop, the staff's create/assign/move/swap/capacity pages, CSV download, and who may do what."""

from __future__ import annotations

import csv
import io
from unittest import mock

import pytest

from courseweb.signups.models import Sheet, Signup, SignupStatus
from courseweb.signups.services import ERROR_FULL
from tests.courseweb.signups.factories import DURING, eligible_paper, group_with, sheet, staff
from tests.factories import OfferingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def during():
    with mock.patch("django.utils.timezone.now", return_value=DURING):
        yield


def test_board_shows_free_places_and_the_groups_own_place(client):
    s = sheet(kind="scribing", count=2)
    _, users = group_with(name="Tabular")
    slot = s.slots.order_by("session__number").first()
    client.force_login(users[0])
    page = client.get(f"/signups/{s.pk}/").content.decode()
    assert page.count("1 of 1 free") == 2 and "Sign up for session 1" in page
    assert 'hx-trigger="every 5s' in page and "vendor/htmx.min.js" in page
    response = client.post(f"/signups/slot/{slot.pk}/signup/")
    assert response.status_code == 302
    board = client.get(f"/signups/{s.pk}/board/").content.decode()
    row = board.split(f'id="slot-{slot.pk}"')[1].split("</tr>")[0]
    assert "Full" in row and "Tabular" in row and "Your group's place" in row


def test_full_slot_answers_409_with_a_clear_message(client):
    s = sheet(kind="scribing", waitlist_enabled=False)
    slot = s.slots.first()
    first, _ = group_with()
    Signup.objects.create(
        sheet=s, slot=slot, group=first, offering=s.offering, status=SignupStatus.CONFIRMED, place=1
    )
    _, users = group_with()
    client.force_login(users[0])
    response = client.post(f"/signups/slot/{slot.pk}/signup/")
    assert response.status_code == 409
    assert "is full" in response.content.decode() and ERROR_FULL.split(":")[0] in response.content.decode()


def test_waitlist_then_drop_over_http(client):
    s = sheet(kind="scribing")
    slot = s.slots.first()
    (g1, u1), (g2, u2) = group_with(), group_with()
    client.force_login(u1[0])
    client.post(f"/signups/slot/{slot.pk}/signup/")
    client.force_login(u2[0])
    response = client.post(f"/signups/slot/{slot.pk}/signup/", follow=True)
    assert "waitlist" in response.content.decode()
    assert "waitlist #1" in client.get(f"/signups/{s.pk}/").content.decode()
    client.force_login(u1[0])
    mine = Signup.objects.get(group=g1)
    client.post(f"/signups/signup/{mine.pk}/drop/", {"confirm": "yes"})
    assert Signup.objects.get(group=g2).status == SignupStatus.CONFIRMED
    # Nobody drops another group's sign-up.
    client.force_login(u1[0])
    assert client.post(f"/signups/signup/{Signup.objects.get(group=g2).pk}/drop/").status_code == 404


def test_paper_sheet_signup_needs_a_paper(client):
    offering = OfferingFactory()
    s = sheet(kind="paper", offering=offering, slots_per_session=3)
    paper = eligible_paper("Deep Learning Based Causal Inference", offering)
    slot = s.slots.order_by("session__number", "position").first()
    _, users = group_with()
    client.force_login(users[0])
    page = client.get(f"/signups/{s.pk}/").content.decode()
    assert "Deep Learning Based Causal Inference" in page and "11:45–11:55" in page
    assert client.post(f"/signups/slot/{slot.pk}/signup/").status_code == 400
    assert client.post(f"/signups/slot/{slot.pk}/signup/", {"paper": paper.pk}).status_code == 302
    assert Signup.objects.get().paper == paper


def test_student_cannot_reach_staff_pages(client):
    s = sheet(kind="scribing")
    _, users = group_with()
    client.force_login(users[0])
    assert client.get("/signups/manage/").status_code == 403
    assert client.get(f"/signups/manage/{s.pk}/").status_code == 403
    assert client.get(f"/signups/manage/{s.pk}/export.csv").status_code == 403


def test_staff_create_a_sheet_from_sessions(client):
    ta = staff()
    s = sheet(kind="scribing", count=3)  # creates sessions 1..3
    client.force_login(ta)
    sessions = [slot.session_id for slot in s.slots.all()]
    response = client.post(
        "/signups/manage/",
        {
            "kind": "project",
            "title": "Final presentations",
            "sessions": sessions[-1:],
            "opens_at": "2026-03-01T09:00",
            "closes_at": "2026-04-01T23:59",
            "slots_per_session": 3,
            "capacity": 1,
            "one_per_group": "on",
            "waitlist_enabled": "on",
        },
    )
    assert response.status_code == 302
    made = Sheet.objects.get(title="Final presentations")
    assert made.slots.count() == 3 and made.slot_minutes == 10
    assert made.opens_at.isoformat() == "2026-03-01T01:00:00+00:00"  # typed as Hong Kong time


def test_staff_assign_move_swap_capacity_and_export(client):
    s = sheet(kind="scribing", count=3)
    ta = staff(s.offering)
    slots = list(s.slots.order_by("session__number"))
    (g1, _), (g2, _) = group_with(name="One"), group_with(name="Two")
    client.force_login(ta)
    page = client.get(f"/signups/manage/{s.pk}/").content.decode()
    assert "Groups with no entry on this sheet (2)" in page
    client.post(f"/signups/manage/{s.pk}/assign/", {"slot": slots[0].pk, "group": g1.pk})
    client.post(f"/signups/manage/{s.pk}/assign/", {"slot": slots[1].pk, "group": g2.pk})
    a, b = Signup.objects.get(group=g1), Signup.objects.get(group=g2)
    client.post(f"/signups/manage/{s.pk}/swap/", {"first": a.pk, "second": b.pk})
    assert Signup.objects.get(group=g1).slot == slots[1]
    client.post(f"/signups/manage/{s.pk}/move/", {"signup": a.pk, "to_slot": slots[2].pk})
    assert Signup.objects.get(group=g1).slot == slots[2]
    client.post(f"/signups/manage/{s.pk}/capacity/", {"slot": slots[2].pk, "capacity": 2})
    slots[2].refresh_from_db()
    assert slots[2].capacity == 2
    response = client.get(f"/signups/manage/{s.pk}/export.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 4  # 1 + 1 + 2 places
    assert [(r["session"], r["group"]) for r in rows if r["group"]] == [("1", "Two"), ("3", "One")]
    page = client.get("/groups/staff/").content.decode()
    assert "swapped “One”" in page and "moved “One”" in page


def _count_queries(client, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def test_board_and_management_query_counts_do_not_grow_with_slots(client):
    small = sheet(kind="scribing", count=2, title="Small", one_per_group=False)
    big = sheet(kind="scribing", count=12, title="Big", one_per_group=False)
    ta = staff(small.offering)
    for s in (small, big):
        for slot in s.slots.all():
            g, _ = group_with()
            Signup.objects.create(
                sheet=s,
                slot=slot,
                group=g,
                offering=s.offering,
                status=SignupStatus.CONFIRMED,
                place=1,
                exclusive=False,
            )
    _, users = group_with()
    client.force_login(users[0])
    assert _count_queries(client, f"/signups/{big.pk}/") == _count_queries(client, f"/signups/{small.pk}/")
    client.force_login(ta)
    big_q = _count_queries(client, f"/signups/manage/{big.pk}/")
    assert big_q == _count_queries(client, f"/signups/manage/{small.pk}/")
    assert _count_queries(client, "/groups/staff/") < 40
