"""Defect 6: either member of a group marks which of its submissions counts, until the group's hard cut-off;
the latest on-time one is the default; every change is logged for staff; the gradebook and the CSVs use it."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from courseweb.gradebook.selectors import gradebook_build
from courseweb.homework import models
from courseweb.homework.models import Extension
from tests.courseweb.gradebook.factories import graded_submission

DAY = dt.timedelta(days=1)


@pytest.fixture
def two(tiny, pair):
    """The group's better submission first (4 points), then a worse one (2 points), both on time."""
    a, b, group = pair
    due = tiny.item.due_at
    better = graded_submission(assignment=tiny, members=[a, b], group=group, score=4, at=due - 3 * DAY)
    worse = graded_submission(assignment=tiny, members=[a, b], group=group, score=2, at=due - DAY)
    return better, worse


def _score(tiny, user):
    book = gradebook_build(offering=tiny.offering)
    return next(r for r in book.rows if r.user.pk == user.pk).cells[tiny.item_id]


def _csv_score(client, ta, user, tiny):
    client.force_login(ta)
    rows = list(csv.reader(io.StringIO(client.get(reverse("gradebook:csv")).content.decode())))
    col = rows[0].index(f"{tiny.item.title} ({tiny.item.slug})")
    return next(r for r in rows[2:] if r[3] == user.username)[col]


def _choose(client, user, tiny, submission):
    client.force_login(user)
    return client.post(
        reverse("homework:choose_counted", args=[tiny.key]),
        {"submission": submission.pk if submission else ""},
        follow=True,
    )


def test_latest_counts_by_default_and_either_member_may_choose_another(client, tiny, pair, two, ta):
    a, b, _ = pair
    better, worse = two
    assert _score(tiny, a).score == 2 and _score(tiny, a).submission_id == worse.pk
    page = _choose(client, b, tiny, better).content.decode()
    assert f"Submission {better.pk} now counts" in page
    for member in (a, b):
        cell = _score(tiny, member)
        assert cell.score == 4 and cell.submission_id == better.pk and cell.chosen
    assert _csv_score(client, ta, a, tiny) == "4"
    details = client.get(reverse("gradebook:details_csv")).content.decode()
    row = next(r for r in csv.DictReader(io.StringIO(details)) if r["SIS Login ID"] == a.username
               and r["Item"].endswith("(tiny)"))  # fmt: skip
    assert row["Counted submission"] == str(better.pk) and row["Chosen by the group"] == "yes"
    # the other member goes back to the default
    _choose(client, a, tiny, None)
    assert _score(tiny, b).submission_id == worse.pk and not _score(tiny, b).chosen
    log = list(models.CountedChoice.objects.order_by("chosen_at", "id"))
    assert [(c.chosen_by_id, c.previous_id, c.submission_id) for c in log] == [
        (b.pk, worse.pk, better.pk),
        (a.pk, better.pk, None),
    ]


def test_the_assignment_page_marks_what_counts_and_offers_the_others(client, tiny, pair, two):
    a, _, _ = pair
    better, worse = two
    _choose(client, a, tiny, better)
    page = client.get(reverse("homework:assignment", args=[tiny.key])).content.decode()
    counted_row = page.split(f'href="/homework/submissions/{better.pk}/"')[0].rsplit("<tr", 1)[1]
    assert 'class="counted"' in counted_row
    assert f'name="submission" value="{worse.pk}"' in page and "Count this one" in page
    assert "Back to the default" in page


def test_staff_see_every_change(client, tiny, pair, two, ta):
    a, b, group = pair
    better, worse = two
    _choose(client, b, tiny, better)
    client.force_login(ta)
    assert "Changes of counted submissions" in client.get(reverse("gradebook:index")).content.decode()
    page = client.get(reverse("gradebook:counted_log")).content.decode()
    assert b.name in page and group.name in page
    assert f"submission {worse.pk}" in page and f"submission {better.pk}" in page
    client.force_login(a)
    assert client.get(reverse("gradebook:counted_log")).status_code == 403


def test_no_change_after_the_group_cut_off_unless_an_extension_moves_it(client, tiny, pair, two):
    a, b, group = pair
    better, _ = two
    tiny.item.due_at = timezone.now() - dt.timedelta(days=tiny.cutoff_days + 1)
    tiny.item.save()
    page = _choose(client, a, tiny, better).content.decode()
    assert "The choice closed at the cut-off" in page and not models.CountedChoice.objects.exists()
    assert "Count this one" not in page
    Extension.objects.create(item=tiny.item, group=group, due_at=timezone.now() - DAY)  # cut-off in 6 days
    _choose(client, b, tiny, better)
    assert models.CountedChoice.objects.get().submission_id == better.pk


def test_a_student_cannot_choose_another_groups_submission(client, tiny, pair, two, solo):
    better, _ = two
    response = _choose(client, solo, tiny, better)
    assert "only choose among your own group" in response.content.decode()
    assert not models.CountedChoice.objects.exists()
