"""Staff views (job phases, flags, regrade, extensions, manual grades) and non-notebook hand-ins with a rubric."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from courseweb.homework.models import Deliverable, Extension, GradingJob, ManualGrade, RubricCriterion
from courseweb.homework.services import grading
from courseweb.homework.services.manual import (
    ERR_FILE_TYPE,
    ERR_LINK,
    deliverable_file_create,
    deliverable_link_create,
)
from courseweb.homework.services.submissions import submission_create
from tests.courseweb.homework.notebooks import to_bytes
from tests.factories import CourseworkItemFactory

FLAG = "tiny: cell 3 patched numpy.allclose"


@pytest.fixture
def graded(tiny, released, pair):
    job = submission_create(user=pair[0], assignment=tiny, filename="tiny.ipynb", data=to_bytes(released)).job
    claim = grading.job_claim(job_id=job.pk, worker="w1@host")
    grading.job_progress(
        job_id=job.pk,
        token=claim.token,
        progress={"phase": "running"},
        event={"phase": "running", "notebook": "tiny"},
    )
    cells = {
        "test_means": {"status": "failed", "score": 0, "max_score": 2, "message": "column_means is wrong"},
        "explain": {"status": "needs_manual", "score": None, "max_score": 2, "message": ""},
    }
    grading.job_complete(
        job_id=job.pk, token=claim.token,
        outcome={"score": 0.0, "max_score": 5.0, "needs_manual": True, "cells": {"tiny": cells}, "flags": [FLAG]},
    )  # fmt: skip
    return GradingJob.objects.get(pk=job.pk)


def test_staff_see_phases_with_timestamps_and_flags_students_do_not(client, graded, pair, ta):
    url = reverse("homework:submission", args=[graded.submission_id])
    client.force_login(ta)
    page = client.get(url).content.decode()
    for phase in ("queued", "started", "running tiny", "finished"):
        assert phase in page
    assert FLAG in page and "w1@host" in page
    client.force_login(pair[0])
    page = client.get(url).content.decode()
    assert FLAG not in page and "w1@host" not in page
    assert "column_means is wrong" in page  # visible-test messages are shown


def test_manual_grade_adds_points_and_is_bounded(client, graded, ta):
    client.force_login(ta)
    url = reverse("homework:manual_grade", args=[graded.submission_id])
    client.post(url, {"grade_id": "explain", "points": "3", "comment": "too many"})
    assert not ManualGrade.objects.exists()
    client.post(url, {"grade_id": "explain", "points": "1.5", "comment": "good"})
    assert ManualGrade.objects.get().points == 1.5
    page = client.get(reverse("homework:submission", args=[graded.submission_id])).content.decode()
    assert "Score: 1.5 / 5" in page


def test_students_cannot_grade_or_regrade(client, graded, pair):
    client.force_login(pair[0])
    assert client.post(reverse("homework:manual_grade", args=[graded.submission_id]), {}).status_code == 403
    assert client.post(reverse("homework:regrade", args=["tiny"])).status_code == 403


def test_regrade_from_the_staff_page_keeps_results(client, graded, ta):
    client.force_login(ta)
    client.post(reverse("homework:regrade", args=["tiny"]))
    jobs = list(GradingJob.objects.order_by("id"))
    assert [j.state for j in jobs] == ["graded", "queued"] and jobs[0].flags == [FLAG]


def test_staff_grant_extension(client, tiny, pair, ta):
    client.force_login(ta)
    due = (tiny.item.due_at + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    client.post(
        reverse("homework:staff", args=["tiny"]),
        {"owner": f"group:{pair[2].pk}", "due_at": due, "reason": "ill"},
    )
    ext = Extension.objects.get()
    assert ext.group == pair[2] and ext.reason == "ill"


def test_hand_in_files_and_links_with_checks(offering, pair, hw_media):
    item = CourseworkItemFactory(
        offering=offering, slug="replication", kind="replication", category="replication"
    )
    pdf = deliverable_file_create(
        user=pair[0], item=item, label="summary", filename="s.pdf", data=b"%PDF-1.7\n..."
    )
    assert pdf.group == pair[2] and pdf.size == 12
    with pytest.raises(ValueError, match="Only PDF"):
        deliverable_file_create(user=pair[0], item=item, label="x", filename="evil.html", data=b"<script>")
    assert ERR_FILE_TYPE.startswith("Only PDF")
    with pytest.raises(ValueError, match=ERR_LINK.split(" (")[0]):
        deliverable_link_create(user=pair[0], item=item, label="code", url="javascript:alert(1)")
    deliverable_link_create(user=pair[1], item=item, label="code", url="https://github.com/x/y")
    assert Deliverable.objects.filter(group=pair[2]).count() == 2


def test_item_page_upload_and_rubric_grading(client, offering, pair, ta, hw_media):
    item = CourseworkItemFactory(
        offering=offering, slug="proposal", kind="project", category="project", points=20
    )
    c1 = RubricCriterion.objects.create(item=item, name="Question", max_points=10, position=1)
    c2 = RubricCriterion.objects.create(item=item, name="Method", max_points=10, position=2)
    client.force_login(pair[1])
    client.post(
        reverse("homework:item", args=["proposal"]),
        {"label": "proposal", "file": SimpleUploadedFile("p.pdf", b"%PDF-1.5 body")},
    )
    assert Deliverable.objects.get().group == pair[2]
    client.force_login(ta)
    page = client.get(reverse("homework:item_grading", args=["proposal"])).content.decode()
    assert "p.pdf" in page and "Question (of 10)" in page
    prefix = f"g{pair[2].pk}"
    client.post(
        reverse("homework:item_grade", args=["proposal", pair[2].pk]),
        {f"{prefix}-c{c1.pk}": "8", f"{prefix}-c{c2.pk}": "6.5", f"{prefix}-comment": "clear"},
    )
    grade = ManualGrade.objects.get(item=item)
    assert grade.points == 14.5 and grade.group == pair[2] and grade.comment == "clear"
    client.force_login(pair[0])  # the buddy sees the group's grade
    assert "14.5" in client.get(reverse("homework:item", args=["proposal"])).content.decode()
