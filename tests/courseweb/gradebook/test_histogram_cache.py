"""Defect 12: histograms are drawn once per distinct data (cached by a hash of what they plot), and a student's
grades page or an image request computes only what it shows, not the whole gradebook."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from courseweb.courses.models import Role
from courseweb.gradebook import plots, selectors
from courseweb.homework.models import ManualGrade
from tests.courseweb.gradebook.factories import graded_submission
from tests.factories import EnrollmentFactory, UserFactory

DAY = dt.timedelta(days=1)


@pytest.fixture
def plot_dir(settings, tmp_path):
    settings.GRADEBOOK_PLOT_DIR = tmp_path / "plots"
    return settings.GRADEBOOK_PLOT_DIR


@pytest.fixture
def renders(monkeypatch):
    """Counts matplotlib figures made by the plot module (one per drawn histogram)."""
    calls = []
    real = plots.Figure

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(plots, "Figure", counting)
    return calls


@pytest.fixture
def klass(offering, tiny):
    users = UserFactory.create_batch(12)
    for i, user in enumerate(users):
        EnrollmentFactory(user=user, offering=offering, role=Role.STUDENT)
        graded_submission(assignment=tiny, members=[user], score=i % 4, at=tiny.item.due_at - DAY)
    return users


def test_a_repeat_view_draws_nothing_and_new_numbers_draw_again(client, tiny, klass, plot_dir, renders):
    client.force_login(klass[0])
    url = reverse("gradebook:histogram", args=["tiny"])
    first = client.get(url)
    assert first.status_code == 200 and first.content.startswith(b"\x89PNG") and len(renders) == 1
    second = client.get(url)
    assert second.content == first.content and len(renders) == 1  # served from the cache: no drawing
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert len(list(plot_dir.glob("*.png"))) == 1
    sub = klass[1].homework_submissions.get()
    ManualGrade.objects.create(
        item=tiny.item, submission=sub, grade_id="explain", points=2
    )  # the data changes
    third = client.get(url)
    assert third.content != first.content and len(renders) == 2


def test_the_key_is_the_data_not_its_order(plot_dir):
    one = plots.histogram_key(scores=[1, 2, 3], max_score=5, title="T")
    assert one == plots.histogram_key(scores=[3, 1, 2], max_score=5, title="T")
    assert one != plots.histogram_key(scores=[1, 2, 4], max_score=5, title="T")
    assert one != plots.histogram_key(scores=[1, 2, 3], max_score=5, title="U")


@pytest.fixture
def rows_built(monkeypatch):
    built = []
    real = selectors.Row

    def counting(*args, **kwargs):
        row = real(*args, **kwargs)
        built.append(row.user.pk)
        return row

    monkeypatch.setattr(selectors, "Row", counting)
    return built


def test_a_students_grades_page_computes_only_their_row(client, tiny, klass, rows_built):
    me = klass[3]
    client.force_login(me)
    page = client.get(reverse("gradebook:index"))
    assert page.status_code == 200 and "Your grades" in page.content.decode()
    assert rows_built == [me.pk]


def test_an_image_request_computes_one_column_and_no_rows(
    client, tiny, klass, plot_dir, rows_built, monkeypatch
):
    from courseweb.gradebook import grades

    graded = []
    real = grades.item_grade

    def counting(**kwargs):
        graded.append(kwargs["item"].pk)
        return real(**kwargs)

    monkeypatch.setattr(selectors, "item_grade", counting)
    client.force_login(klass[0])
    assert client.get(reverse("gradebook:histogram", args=["tiny"])).status_code == 200
    assert rows_built == [] and graded == [tiny.item_id] * len(klass)
