"""The gradebook at 1,280 px in Chromium: every histogram fits its card and no page is wider than the window."""

# ruff: noqa: F811  (fixtures are imported by name, then requested as arguments)
from __future__ import annotations

import datetime as dt

import pytest

from tests.courseweb.gradebook.factories import graded_submission
from tests.courseweb.homework.conftest import (  # noqa: F401
    hw_media,
    offering,
    pair,
    sessions,
    solo,
    synced,
    ta,
    tiny,
)
from tests.e2e.conftest import login
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

OVERFLOW = """() => {
  const cards = [...document.querySelectorAll('figure.card')].map(f => {
    const img = f.querySelector('img');
    return {card: f.getBoundingClientRect().right, img: img.getBoundingClientRect().right};
  });
  return {page: document.documentElement.scrollWidth, window: window.innerWidth, cards};
}"""


@pytest.mark.parametrize("who", ["ta", "student"])
def test_histograms_fit_their_cards_at_1280_px(page, live_server, tiny, pair, solo, ta, who):
    graded_submission(assignment=tiny, members=[solo], score=3, at=tiny.item.due_at - dt.timedelta(days=1))
    page.set_viewport_size({"width": 1280, "height": 900})
    login(page, live_server, (ta if who == "ta" else solo).username, PASSWORD)
    page.goto(f"{live_server.url}/gradebook/")
    page.wait_for_function("() => [...document.images].every(i => i.complete)")
    sizes = page.evaluate(OVERFLOW)
    assert sizes["cards"], "the page shows histograms"
    assert sizes["page"] <= sizes["window"], sizes
    assert all(c["img"] <= c["card"] + 0.5 for c in sizes["cards"]), sizes
