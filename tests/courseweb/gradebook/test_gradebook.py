"""Gradebook arithmetic, rules and pages: late penalties, extensions, counting rule, best N, weights, CSV, plots."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courseweb.courses.models import Role
from courseweb.gradebook.selectors import gradebook_build
from courseweb.homework.models import Assignment, Extension, ManualGrade
from tests.courseweb.gradebook.factories import graded_submission
from tests.factories import CourseworkItemFactory, EnrollmentFactory, UserFactory

DAY = dt.timedelta(days=1)


def _row(book, user):
    return next(r for r in book.rows if r.user.pk == user.pk)


def test_group_grade_is_recorded_for_both_members(tiny, pair):
    a, b, group = pair
    graded_submission(assignment=tiny, members=[a, b], group=group, score=4, at=tiny.item.due_at - DAY)
    book = gradebook_build(offering=tiny.offering)
    assert _row(book, a).cells[tiny.item_id].score == 4 == _row(book, b).cells[tiny.item_id].score


def test_late_penalty_per_started_day_and_extension(tiny, pair, solo):
    a, b, group = pair
    # 1 day and 1 minute late: two started days at 10 % each
    graded_submission(
        assignment=tiny, members=[solo], score=5, at=tiny.item.due_at + DAY + dt.timedelta(minutes=1)
    )
    graded_submission(assignment=tiny, members=[a, b], group=group, score=5, at=tiny.item.due_at + DAY)
    book = gradebook_build(offering=tiny.offering)
    assert _row(book, solo).cells[tiny.item_id].score == 4.0 and _row(book, solo).cells[tiny.item_id].late
    assert _row(book, a).cells[tiny.item_id].score == 4.5
    Extension.objects.create(item=tiny.item, group=group, due_at=tiny.item.due_at + 2 * DAY)
    book = gradebook_build(offering=tiny.offering)
    assert _row(book, a).cells[tiny.item_id].score == 5.0 and not _row(book, a).cells[tiny.item_id].late


def test_latest_on_time_counts_unless_rule_is_best(tiny, solo):
    due = tiny.item.due_at
    graded_submission(assignment=tiny, members=[solo], score=5, at=due - 3 * DAY)
    graded_submission(assignment=tiny, members=[solo], score=2, at=due - DAY)
    graded_submission(assignment=tiny, members=[solo], score=5, at=due + DAY)  # late, better, not counted
    assert _row(gradebook_build(offering=tiny.offering), solo).cells[tiny.item_id].score == 2
    tiny.offering.rules = {"homework_submission_rule": "best"}
    tiny.offering.save()
    assert _row(gradebook_build(offering=tiny.offering), solo).cells[tiny.item_id].score == 5


def test_only_late_submission_counts_with_penalty_and_zero_policy(synced, solo):
    other = synced["other"]  # late_policy "zero"
    graded_submission(assignment=other, members=[solo], score=1, at=other.item.due_at + dt.timedelta(hours=1))
    assert _row(gradebook_build(offering=other.offering), solo).cells[other.item_id].score == 0


def test_manual_cell_grades_add_to_the_automatic_score(tiny, solo):
    sub = graded_submission(assignment=tiny, members=[solo], score=3, at=tiny.item.due_at - DAY)
    ManualGrade.objects.create(item=tiny.item, submission=sub, grade_id="explain", points=1.5)
    assert _row(gradebook_build(offering=tiny.offering), solo).cells[tiny.item_id].score == 4.5


def test_best_n_of_m_and_category_weights(offering, sessions, hw_media, solo):
    offering.homework_count = 2
    offering.category_weights = {"homework": 50, "project": 50}
    offering.save()
    items = [CourseworkItemFactory(offering=offering, slug=f"hw{n}", points=10) for n in range(3)]
    assignments = [
        Assignment.objects.create(
            item=item, offering=offering, key=item.slug, source_dir="x", source_hash="h", release_dir="x",
            notebooks={"nb": {"grade_ids": [], "tests": [], "manual": [], "points": {}}}, max_score=10,
            synced_at=item.due_at,
        )
        for item in items
    ]  # fmt: skip
    for assignment, score in zip(assignments, (10, 4, 8), strict=True):
        graded_submission(assignment=assignment, members=[solo], score=score, at=assignment.item.due_at - DAY)
    project = CourseworkItemFactory(
        offering=offering, slug="proposal", kind="project", category="project", points=20
    )
    book = gradebook_build(offering=offering)
    row = _row(book, solo)
    assert row.categories["homework"] == 90.0  # best 2 of 3: 100 % and 80 %
    assert row.categories["project"] is None and row.current == 90.0 and row.final == 45.0
    ManualGrade.objects.create(item=project, user=solo, points=15)
    row = _row(gradebook_build(offering=offering), solo)
    assert row.categories["project"] == 75.0 and row.current == row.final == 82.5


def test_csv_has_canvas_columns_and_points_row(client, tiny, pair, ta):
    a, b, group = pair
    graded_submission(assignment=tiny, members=[a, b], group=group, score=4, at=tiny.item.due_at - DAY)
    client.force_login(ta)
    response = client.get(reverse("gradebook:csv"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    # only Canvas's columns: Canvas would turn any other column (totals, notes) into a new assignment
    items = gradebook_build(offering=tiny.offering).items
    assert rows[0][5:] == [f"{i.title} ({i.slug})" for i in items] and "Tiny homework (tiny)" in rows[0]
    assert "Current Score" not in rows[0] and "Final Score" not in rows[0]
    assert rows[1][0].strip() == "Points Possible" and rows[1][rows[0].index("Tiny homework (tiny)")] == "5"
    by_login = {r[3]: r for r in rows[2:]}
    assert by_login[a.username][rows[0].index("Tiny homework (tiny)")] == "4"
    assert by_login[b.username][2] == b.student_number


def test_students_see_only_their_own_grades_and_the_distribution(client, tiny, pair, solo):
    a, b, group = pair
    graded_submission(assignment=tiny, members=[a, b], group=group, score=4, at=tiny.item.due_at - DAY)
    graded_submission(assignment=tiny, members=[solo], score=1, at=tiny.item.due_at - DAY)
    client.force_login(solo)
    page = client.get(reverse("gradebook:index")).content.decode()
    assert "Your grades" in page and a.name not in page and b.name not in page
    assert client.get(reverse("gradebook:csv")).status_code == 403
    png = client.get(reverse("gradebook:histogram", args=["tiny"]))
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")


def test_staff_matrix_sorts_and_filters(client, tiny, pair, solo, ta):
    a, b, group = pair
    graded_submission(assignment=tiny, members=[a, b], group=group, score=4, at=tiny.item.due_at - DAY)
    graded_submission(assignment=tiny, members=[solo], score=1, at=tiny.item.due_at - DAY)
    client.force_login(ta)
    page = client.get(reverse("gradebook:index"), {"sort": "tiny", "order": "desc"}).content.decode()
    assert page.index(a.name) < page.index(solo.name)
    page = client.get(reverse("gradebook:index"), {"sort": "tiny"}).content.decode()
    assert page.index(solo.name) < page.index(a.name)
    page = client.get(reverse("gradebook:index"), {"q": solo.student_number}).content.decode()
    assert solo.name in page and a.name not in page


def _class(offering, tiny, n: int) -> None:
    users = UserFactory.create_batch(n)
    for i, user in enumerate(users):
        EnrollmentFactory(user=user, offering=offering, role=Role.STUDENT)
        graded_submission(assignment=tiny, members=[user], score=i % 6, at=tiny.item.due_at - DAY)


@pytest.mark.parametrize("view", ["gradebook:index", "gradebook:csv", "gradebook:details_csv"])
def test_query_count_is_the_same_for_10_and_200_students(client, offering, tiny, ta, view):
    client.force_login(ta)
    counts = []
    for n in (10, 190):
        _class(offering, tiny, n)
        client.get(reverse(view))  # warm caches (sessions, content types)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse(view)).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_gradebook_build_query_count(django_assert_num_queries, offering, tiny):
    _class(offering, tiny, 10)
    with django_assert_num_queries(12):
        gradebook_build(offering=offering)
    _class(offering, tiny, 190)
    with django_assert_num_queries(12):
        gradebook_build(offering=offering)
