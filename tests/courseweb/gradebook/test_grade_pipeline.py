"""The one grade pipeline (counted submission → automatic + manual points, pending apart → late penalty → cap →
best N of M → weights) and defect 7: pending manual points are shown as pending and never counted as lost."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.urls import reverse

from courseweb.gradebook.selectors import gradebook_build
from courseweb.homework.models import Extension, ManualGrade
from tests.courseweb.gradebook.factories import graded_submission

DAY = dt.timedelta(days=1)


def _row(offering, user):
    return next(r for r in gradebook_build(offering=offering).rows if r.user.pk == user.pk)


def _details(client, user, slug):
    text = client.get(reverse("gradebook:details_csv")).content.decode()
    return next(
        r for r in csv.DictReader(io.StringIO(text)) if r["SIS Login ID"] == user.username and r["Item"].endswith(f"({slug})")
    )  # fmt: skip


def test_pending_manual_points_are_not_counted_as_lost(tiny, solo):
    """tiny: 5 points, of which 2 for the written answer 'explain'; the automatic 3 are all earned."""
    tiny.offering.category_weights = {"homework": 100}
    tiny.offering.homework_count = 1
    tiny.offering.save()
    graded_submission(assignment=tiny, members=[solo], score=3, at=tiny.item.due_at - DAY)
    row = _row(tiny.offering, solo)
    assert row.current == 100.0  # 3 of the 3 graded points, not 3 of 5
    assert row.final == 60.0  # final so far: pending points are not earned yet
    cell = row.cells[tiny.item_id]
    assert cell.score == 3 and cell.pending_points == 2


def test_pending_points_show_as_pending_on_every_page_and_export(client, tiny, solo, ta):
    graded_submission(assignment=tiny, members=[solo], score=3, at=tiny.item.due_at - DAY)
    client.force_login(solo)
    page = client.get(reverse("gradebook:index")).content.decode()
    assert "+ 2 pending" in page and "2 points pending" in page
    client.force_login(ta)
    assert "+2 pending" in client.get(reverse("gradebook:index")).content.decode()
    row = _details(client, solo, "tiny")
    assert row["Pending points"] == "2" and row["Adjusted grade"] == "3" and row["State"] == "graded"


def test_one_pipeline_late_penalty_manual_points_cap_and_choice_agree_everywhere(client, tiny, solo, ta):
    due = tiny.item.due_at
    early = graded_submission(assignment=tiny, members=[solo], score=2, at=due - DAY)
    late = graded_submission(assignment=tiny, members=[solo], score=3, at=due + DAY - dt.timedelta(hours=1))
    ManualGrade.objects.create(item=tiny.item, submission=late, grade_id="explain", points=2, comment="ok")
    cell = _row(tiny.offering, solo).cells[tiny.item_id]
    assert cell.submission_id == early.pk and cell.score == 2 and cell.pending_points == 2  # default: on time
    from courseweb.homework.services.counted import counted_choose

    counted_choose(user=solo, assignment=tiny, submission=late)
    cell = _row(tiny.offering, solo).cells[tiny.item_id]
    assert (cell.submission_id, cell.auto_points, cell.manual_points, cell.pending_points) == (
        late.pk,
        3,
        2,
        0,
    )
    assert cell.late and cell.penalty == 0.1 and cell.original == 5 and cell.score == 4.5
    client.force_login(ta)
    row = _details(client, solo, "tiny")
    assert (row["Original grade"], row["Late penalty %"], row["Adjusted grade"]) == ("5", "10", "4.5")
    assert row["Counted submission"] == str(late.pk) and row["Counts toward best N"] == "yes"
    client.force_login(solo)
    assert ">4.5</a>" in client.get(reverse("gradebook:index")).content.decode()
    assert "Score: 4.5 / 5" in client.get(reverse("homework:submission", args=[late.pk])).content.decode()
    assert "4.5 / 5" in client.get(reverse("homework:index")).content.decode()
    assert "4.5 / 5" in client.get(reverse("homework:assignment", args=["tiny"])).content.decode()
    # the deadline comes from the deadline rule: an extension removes the penalty everywhere
    Extension.objects.create(item=tiny.item, user=solo, due_at=due + DAY)
    cell = _row(tiny.offering, solo).cells[tiny.item_id]
    assert not cell.late and cell.score == 5
    assert "Score: 5 / 5" in client.get(reverse("homework:submission", args=[late.pk])).content.decode()


def test_points_are_capped_at_the_items_maximum(tiny, solo):
    sub = graded_submission(assignment=tiny, members=[solo], score=5, at=tiny.item.due_at - DAY)
    ManualGrade.objects.create(item=tiny.item, submission=sub, grade_id="explain", points=2)
    cell = _row(tiny.offering, solo).cells[tiny.item_id]
    assert cell.score == 5 and cell.original == 7
