"""Best 5 of the counted homework (issue 12): which count, ties, optional practice, and how the grades page and
the details CSV explain the choice. Eleven counted assignments and three optional ones, made with factories."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courseweb.gradebook.selectors import gradebook_build
from tests.courseweb.gradebook.factories import graded_submission, homework_assignment

DAY = dt.timedelta(days=1)
# points out of 10 for hw01..hw11 (None: nothing handed in)
SCORES = [9, 4, 10, None, 9, 6, 8.5, 9, 3, None, 7]


@pytest.fixture
def season(offering, solo):
    """Eleven counted homework due a week apart (the earliest first) and three optional ones, all past due."""
    offering.homework_count = 5
    offering.category_weights = {"homework": 100}
    offering.save()
    start = timezone.now() - 100 * DAY
    counted = [
        homework_assignment(offering=offering, slug=f"hw{n:02d}", due_at=start + 7 * n * DAY)
        for n in range(1, 12)
    ]
    optional = [
        homework_assignment(offering=offering, slug=f"opt{n}", due_at=start + n * DAY, counted=False)
        for n in range(1, 4)
    ]
    return counted, optional


def _grade(assignments, scores, user):
    for assignment, score in zip(assignments, scores, strict=True):
        if score is not None:
            graded_submission(
                assignment=assignment, members=[user], score=score, at=assignment.item.due_at - DAY
            )


def _row(offering, user):
    return next(r for r in gradebook_build(offering=offering).rows if r.user.pk == user.pk)


def test_the_best_five_counted_homework_count_ties_to_the_earlier_and_optional_never(season, solo):
    counted, optional = season
    _grade(counted, SCORES, solo)
    _grade(optional, [10, 10, 10], solo)  # perfect optional practice still never counts
    row = _row(counted[0].offering, solo)
    kept = {a.key for a in counted + optional if a.item_id in row.counted_homework}
    # 100 % (hw03), 90 % (hw01, hw05, hw08), 85 % (hw07); then 70 % (hw11) and lower do not count
    assert kept == {"hw03", "hw01", "hw05", "hw08", "hw07"}
    assert not {a.item_id for a in optional} & row.counted_homework
    assert row.categories["homework"] == pytest.approx((100 + 90 + 90 + 90 + 85) / 5)
    notes = {a.key: row.homework_notes[a.item_id] for a in counted + optional}
    assert notes["hw03"] == "counts: one of your best 5 (100%, rank 1 of 11)"
    assert notes["hw07"] == "counts: one of your best 5 (85%, rank 5 of 11)"
    assert notes["hw11"] == "does not count: your best 5 are higher (70%, rank 6 of 11)"
    assert notes["hw04"].startswith("does not count yet: no grade")
    assert notes["opt1"] == "optional practice: graded, never counts toward the best 5"


def test_a_tie_at_the_edge_goes_to_the_earlier_due_date(season, solo):
    counted, _ = season
    # six equal grades: the five due first count, the sixth does not
    _grade(counted, [8, 8, 8, 8, 8, 8, None, None, None, None, None], solo)
    row = _row(counted[0].offering, solo)
    assert {a.key for a in counted if a.item_id in row.counted_homework} == {f"hw0{n}" for n in range(1, 6)}
    assert row.homework_notes[counted[5].item_id].startswith("does not count: your best 5 are higher (80%")


def test_without_five_grades_the_missing_ones_count_as_zero_in_final_only(season, solo):
    counted, _ = season
    _grade(counted, [10, None, 5, None, None, None, None, None, None, None, None], solo)
    row = _row(counted[0].offering, solo)
    kept = [a.key for a in counted if a.item_id in row.counted_homework]
    assert kept == ["hw01", "hw02", "hw03", "hw04", "hw05"]  # two graded, then the earliest without a grade
    assert row.homework_notes[counted[1].item_id] == (
        "counts as 0 until it has a grade: fewer than 5 of your homework have one"
    )
    assert row.categories["homework"] == pytest.approx(75.0)  # current: the graded ones only
    assert row.final == pytest.approx((100 + 50) / 5)  # final: missing work as zero


def test_the_course_file_may_let_optional_practice_count(season, solo):
    counted, optional = season
    _grade(counted, SCORES, solo)
    _grade(optional, [10, 10, 10], solo)
    offering = counted[0].offering
    offering.rules = {"optional_homework_counts": True}
    offering.save()
    row = _row(offering, solo)
    assert {a.item_id for a in optional} <= row.counted_homework
    assert row.homework_notes[optional[0].item_id].startswith("counts: one of your best 5 (100%")


def test_grades_page_and_details_csv_say_which_count_and_why(client, season, solo, ta):
    counted, optional = season
    _grade(counted, SCORES, solo)
    _grade(optional[:1], [10], solo)
    client.force_login(solo)
    page = client.get(reverse("gradebook:index")).content.decode()
    counting = page.split('<ol id="counting-now">')[1].split("</ol>")[0]
    assert [t for t in ("hw03", "hw01", "hw05", "hw08", "hw07") if f"Homework {t}" in counting] == [
        "hw03", "hw01", "hw05", "hw08", "hw07"
    ]  # fmt: skip
    assert counting.index("Homework hw03") < counting.index("Homework hw01") < counting.index("Homework hw07")
    assert "Homework hw11" not in counting and "Homework opt1" not in counting
    assert "The best 5 of your 11 counted homework count" in page
    assert "optional practice</span>" in page and "does not count: your best 5 are higher (70%" in page
    client.force_login(ta)
    rows = list(csv.DictReader(io.StringIO(client.get(reverse("gradebook:details_csv")).content.decode())))
    mine = {r["Item"]: r for r in rows if r["SIS Login ID"] == solo.username}
    assert mine["Homework hw07 (hw07)"]["Counts toward best N"] == "yes"
    assert mine["Homework hw07 (hw07)"]["Best N note"] == "counts: one of your best 5 (85%, rank 5 of 11)"
    assert mine["Homework opt1 (opt1)"]["Counts toward best N"] == "no"
    assert mine["Homework opt1 (opt1)"]["Best N note"].startswith("optional practice")


def test_the_grades_page_costs_the_same_queries_with_more_homework(client, offering, solo):
    offering.homework_count = 5
    offering.save()
    client.force_login(solo)
    start = timezone.now() - 100 * DAY

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("gradebook:index")).status_code == 200
        return len(ctx.captured_queries)

    few = [homework_assignment(offering=offering, slug=f"a{n}", due_at=start + n * DAY) for n in range(3)]
    _grade(few, [5, 6, 7], solo)
    before = queries()
    more = [homework_assignment(offering=offering, slug=f"b{n}", due_at=start + n * DAY) for n in range(9)]
    _grade(more, [1, 2, 3, 4, 5, 6, 7, 8, 9], solo)
    more[0].item.counted = False
    more[0].item.save()
    assert queries() == before
