"""Defect 3: the points and comment staff save for a manual cell reach the student's group at once, and the
staff form shows what was saved."""

from __future__ import annotations

import pytest
from django.urls import reverse

from courseweb.homework.models import GradingJob
from courseweb.homework.services import grading
from courseweb.homework.services.submissions import submission_create
from tests.courseweb.homework.notebooks import to_bytes

COMMENT = "Clear argument, but say why the mean is biased."


@pytest.fixture
def graded(tiny, released, pair):
    job = submission_create(user=pair[0], assignment=tiny, filename="tiny.ipynb", data=to_bytes(released)).job
    claim = grading.job_claim(job_id=job.pk, worker="w1@host")
    cells = {
        "test_means": {"status": "passed", "score": 2, "max_score": 2, "message": ""},
        "test_scale": {"status": "passed", "score": 1, "max_score": 1, "message": ""},
        "explain": {"status": "needs_manual", "score": None, "max_score": 2, "message": ""},
    }
    grading.job_complete(
        job_id=job.pk, token=claim.token,
        outcome={"score": 3.0, "max_score": 5.0, "needs_manual": True, "cells": {"tiny": cells}, "flags": []},
    )  # fmt: skip
    return GradingJob.objects.get(pk=job.pk)


def _grade(client, ta, graded, points="1.5", comment=COMMENT):
    client.force_login(ta)
    url = reverse("homework:manual_grade", args=[graded.submission_id])
    return client.post(url, {"grade_id": "explain", "points": points, "comment": comment})


def test_before_grading_the_manual_points_show_as_pending(client, graded, pair):
    client.force_login(pair[1])
    page = client.get(reverse("homework:submission", args=[graded.submission_id])).content.decode()
    assert "Score: 3 / 5" in page and "2 points pending" in page


@pytest.mark.parametrize("member", [0, 1])
def test_both_members_see_the_staff_points_and_comment_as_soon_as_saved(client, graded, pair, ta, member):
    _grade(client, ta, graded)
    client.force_login(pair[member])
    for name in ("homework:submission", "homework:submission_status"):
        page = client.get(reverse(name, args=[graded.submission_id])).content.decode()
        assert COMMENT in page
        assert "Score: 4.5 / 5" in page
        assert "pending" not in page
        assert 'name="points"' not in page  # students get no grading form


def test_staff_form_shows_the_saved_points_and_comment_on_reload(client, graded, ta):
    _grade(client, ta, graded)
    page = client.get(reverse("homework:submission", args=[graded.submission_id])).content.decode()
    assert (
        'name="points" required value="1.5"' in page
        or 'value="1.5"' in page.split('id="pts-explain"')[1][:200]
    )
    assert f">{COMMENT}</textarea>" in page


def test_the_assignment_page_shows_the_score_with_manual_points(client, graded, pair, ta):
    _grade(client, ta, graded)
    client.force_login(pair[1])
    page = client.get(reverse("homework:assignment", args=["tiny"])).content.decode()
    assert "4.5 / 5" in page


def test_item_grading_form_shows_the_saved_grade_and_the_group_sees_it(client, offering, pair, ta):
    from courseweb.homework.models import RubricCriterion
    from tests.factories import CourseworkItemFactory

    item = CourseworkItemFactory(
        offering=offering, slug="proposal", kind="project", category="project", points=20
    )
    c1 = RubricCriterion.objects.create(item=item, name="Question", max_points=10, position=1)
    _, b, group = pair
    client.force_login(ta)
    prefix = f"g{group.pk}"
    client.post(
        reverse("homework:item_grade", args=["proposal", group.pk]),
        {f"{prefix}-c{c1.pk}": "8", f"{prefix}-comment": COMMENT},
    )
    page = client.get(reverse("homework:item_grading", args=["proposal"])).content.decode()
    field = page.split(f'name="{prefix}-c{c1.pk}"')[1].split(">")[0]
    assert 'value="8' in field
    assert f"{COMMENT}</textarea>" in page
    client.force_login(b)
    page = client.get(reverse("homework:item", args=["proposal"])).content.decode()
    assert "8 / 20" in page and COMMENT in page
