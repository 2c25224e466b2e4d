"""The gradebook applies the buddy evaluation's factor to an item's grades only when staff switch it on."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from courseweb.gradebook.grades import grade_inputs_load, item_grade
from courseweb.homework.models import ManualGrade
from courseweb.peer.services import adjustment_set, evaluations_open, response_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated(offering, item, pair):
    a, b, group = pair
    (evaluation,) = evaluations_open(offering=offering, now=timezone.now())
    # the worked pair: A rates self 120 / B 80, B rates self 90 / A 110
    response_save(evaluation=evaluation, rater=a, points={a.pk: 120, b.pk: 80}, now=timezone.now())
    response_save(evaluation=evaluation, rater=b, points={a.pk: 110, b.pk: 90}, now=timezone.now())
    ManualGrade.objects.create(item=item, group=group, points=98)
    return a, b


def _grades(offering, item, *users):
    inputs = grade_inputs_load(offering=offering, items=[item])
    return [item_grade(inputs=inputs, item=item, user_id=u.pk) for u in users]


def test_factor_is_off_by_default(offering, item, rated):
    a, b = rated
    ga, gb = _grades(offering, item, a, b)
    assert (ga.score, gb.score) == (98, 98)
    assert ga.peer_factor is None and gb.peer_factor is None


def test_factor_on_adjusts_and_caps_at_the_maximum_and_off_restores(offering, item, rated, ta):
    a, b = rated
    adjustment_set(item=item, on=True, by=ta, now=timezone.now())
    ga, gb = _grades(offering, item, a, b)
    assert ga.score == 100  # 98 x 1.05 capped at the item's 100 points
    assert (ga.before_peer, ga.peer_factor) == (98, 1.05)
    assert gb.score == pytest.approx(78.4) and gb.peer_factor == 0.8
    adjustment_set(item=item, on=False, by=ta, now=timezone.now())
    assert [g.score for g in _grades(offering, item, a, b)] == [98, 98]


def test_pages_and_csvs_show_both_grades(client, offering, item, rated, ta):
    b = rated[1]
    client.force_login(ta)
    client.post(reverse("peer:item", args=[item.slug]), {"action": "adjust_on"})
    page = client.get(reverse("gradebook:index")).content.decode()
    assert "78.4" in page and "(from 98 × 0.80)" in page
    canvas = list(csv.reader(io.StringIO(client.get(reverse("gradebook:csv")).content.decode())))
    column = next(n for n, h in enumerate(canvas[0]) if item.slug in h)
    by_login = {r[3]: r for r in canvas[2:]}
    assert by_login[b.username][column] == "78.4"
    details = list(csv.DictReader(io.StringIO(client.get(reverse("gradebook:details_csv")).content.decode())))
    row = next(r for r in details if r["SIS Login ID"] == b.username)
    assert (row["Grade before peer factor"], row["Peer factor"], row["Adjusted grade"]) == (
        "98",
        "0.8",
        "78.4",
    )
    client.force_login(b)
    mine = client.get(reverse("gradebook:index")).content.decode()
    assert "78.4" in mine and "adjusted for contribution" in mine
    assert "98" not in mine and "0.80" not in mine  # the factor would reveal the buddy's rating
