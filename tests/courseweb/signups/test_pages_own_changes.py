"""Over HTTP, without JavaScript: dropping asks for confirmation first and then says what happened; a group
moves to a free slot from the sheet; a swap is asked for, shown to the other group, and accepted or declined."""

from __future__ import annotations

from unittest import mock

import pytest

from courseweb.signups.models import Signup, SignupStatus, SwapRequest, SwapStatus
from tests.courseweb.signups.factories import DURING, group_with, sheet

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def during():
    with mock.patch("django.utils.timezone.now", return_value=DURING):
        yield


def _slots(s):
    return list(s.slots.order_by("session__number", "position"))


def _row(page: str, slot) -> str:
    return page.split(f'id="slot-{slot.pk}"')[1].split("</tr>")[0]


def test_drop_asks_for_confirmation_then_says_who_took_the_place(client):
    s = sheet(kind="scribing", count=2)
    one, _two = _slots(s)
    (g1, u1), (_g2, u2) = group_with(name="Tabular"), group_with(name="Lasso")
    client.force_login(u1[0])
    client.post(f"/signups/slot/{one.pk}/signup/")
    client.force_login(u2[0])
    client.post(f"/signups/slot/{one.pk}/signup/")  # waitlisted
    mine = Signup.objects.get(group=g1)
    client.force_login(u1[0])
    # The sheet links to a confirmation page instead of dropping at once.
    board = client.get(f"/signups/{s.pk}/").content.decode()
    assert f'href="/signups/signup/{mine.pk}/drop/"' in _row(board, one)
    confirm = client.get(f"/signups/signup/{mine.pk}/drop/")
    assert confirm.status_code == 200
    text = confirm.content.decode()
    assert "Drop your group's place?" in text and "“Lasso” is first on the waitlist" in text
    assert 'name="confirm" value="yes"' in text and "cannot be undone" in text
    # A POST without the confirmation drops nothing.
    assert client.post(f"/signups/signup/{mine.pk}/drop/").status_code == 200
    assert Signup.objects.get(pk=mine.pk).status == SignupStatus.CONFIRMED
    done = client.post(f"/signups/signup/{mine.pk}/drop/", {"confirm": "yes"}, follow=True)
    assert Signup.objects.get(pk=mine.pk).status == SignupStatus.DROPPED
    assert "Your group dropped its place on" in done.content.decode()
    assert "“Lasso” moved up from the waitlist and now holds it." in done.content.decode()
    assert Signup.objects.get(group__name="Lasso").status == SignupStatus.CONFIRMED


def test_leaving_the_waitlist_is_confirmed_and_reported(client):
    s = sheet(kind="scribing", count=1)
    (one,) = _slots(s)
    (_g1, u1), (g2, u2) = group_with(), group_with()
    client.force_login(u1[0])
    client.post(f"/signups/slot/{one.pk}/signup/")
    client.force_login(u2[0])
    client.post(f"/signups/slot/{one.pk}/signup/")
    waiting = Signup.objects.get(group=g2)
    assert "Leave the waitlist?" in client.get(f"/signups/signup/{waiting.pk}/drop/").content.decode()
    done = client.post(f"/signups/signup/{waiting.pk}/drop/", {"confirm": "yes"}, follow=True)
    assert "Your group left the waitlist for" in done.content.decode()


def test_move_here_from_the_sheet(client):
    s = sheet(kind="scribing", count=3, waitlist_enabled=False)
    one, two, three = _slots(s)
    (g1, u1), (_g2, u2) = group_with(), group_with(name="Lasso")
    client.force_login(u2[0])
    client.post(f"/signups/slot/{two.pk}/signup/")
    client.force_login(u1[0])
    client.post(f"/signups/slot/{one.pk}/signup/")
    mine = Signup.objects.get(group=g1)
    board = client.get(f"/signups/{s.pk}/").content.decode()
    assert "Move here: session 3" in _row(board, three)
    assert "Move here: session" not in _row(board, two)  # full: no move button
    done = client.post(f"/signups/signup/{mine.pk}/move/", {"to_slot": three.pk}, follow=True)
    assert "your group moved from Session 1 to Session 3" in done.content.decode()
    assert Signup.objects.get(pk=mine.pk).slot_id == three.pk
    # Moving to a full slot answers 409 and keeps the place.
    refused = client.post(f"/signups/signup/{mine.pk}/move/", {"to_slot": two.pk})
    assert refused.status_code == 409 and "keeps its place on Session 3" in refused.content.decode()
    assert Signup.objects.get(pk=mine.pk).slot_id == three.pk
    # Nobody moves another group's sign-up.
    lasso = Signup.objects.get(group__name="Lasso")
    assert client.post(f"/signups/signup/{lasso.pk}/move/", {"to_slot": one.pk}).status_code == 404


def test_swap_request_is_shown_to_the_other_group_and_accepted(client):
    s = sheet(kind="scribing", count=2)
    one, two = _slots(s)
    (g1, u1), (g2, u2) = group_with(name="Tabular"), group_with(name="Lasso")
    client.force_login(u2[0])
    client.post(f"/signups/slot/{two.pk}/signup/")
    client.force_login(u1[0])
    client.post(f"/signups/slot/{one.pk}/signup/")
    a, b = Signup.objects.get(group=g1), Signup.objects.get(group=g2)
    board = client.get(f"/signups/{s.pk}/").content.decode()
    assert "Ask to swap with Lasso" in _row(board, two)
    asked = client.post(f"/signups/signup/{a.pk}/swap/", {"with": b.pk}, follow=True).content.decode()
    assert "Asked “Lasso” to swap" in asked and "waiting for their answer" in asked
    request = SwapRequest.objects.get()
    # Lasso sees it on the sheet page (and in the live board) with accept and decline buttons.
    client.force_login(u2[1])
    for url in (f"/signups/{s.pk}/", f"/signups/{s.pk}/board/"):
        page = client.get(url).content.decode()
        assert "“Tabular” asks to swap" in page
        assert f'action="/signups/swap/{request.pk}/accept/"' in page
        assert f'action="/signups/swap/{request.pk}/decline/"' in page
    # Tabular cannot accept its own request.
    client.force_login(u1[0])
    assert client.post(f"/signups/swap/{request.pk}/accept/").status_code == 400
    # Someone outside both groups gets 404.
    _g3, u3 = group_with()
    client.force_login(u3[0])
    assert client.post(f"/signups/swap/{request.pk}/accept/").status_code == 404
    client.force_login(u2[1])
    done = client.post(f"/signups/swap/{request.pk}/accept/", follow=True).content.decode()
    assert "Swapped: your group now holds Session 1" in done
    assert (Signup.objects.get(pk=a.pk).slot_id, Signup.objects.get(pk=b.pk).slot_id) == (two.pk, one.pk)
    assert SwapRequest.objects.get().status == SwapStatus.ACCEPTED


def test_swap_request_declined_over_http(client):
    s = sheet(kind="scribing", count=2)
    one, two = _slots(s)
    (g1, u1), (g2, u2) = group_with(name="Tabular"), group_with(name="Lasso")
    client.force_login(u2[0])
    client.post(f"/signups/slot/{two.pk}/signup/")
    client.force_login(u1[0])
    client.post(f"/signups/slot/{one.pk}/signup/")
    a, b = Signup.objects.get(group=g1), Signup.objects.get(group=g2)
    client.post(f"/signups/signup/{a.pk}/swap/", {"with": b.pk})
    request = SwapRequest.objects.get()
    client.force_login(u2[0])
    done = client.post(f"/signups/swap/{request.pk}/decline/", follow=True).content.decode()
    assert "You declined the swap" in done
    assert SwapRequest.objects.get().status == SwapStatus.DECLINED
    assert Signup.objects.get(pk=b.pk).slot_id == two.pk
