"""A page's query count does not grow with the class: each page is counted at 10 and at 200 students.

The class is built with `bulk_create` (no engine run): students in pairs, every homework with a graded submission
per group (the first homework has written answers waiting for manual grading and its solutions shared with the
class), an extension for one group, a staff grade per group for the project. The same student and the same TA
look at each page before and after the class grows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courseweb.accounts.models import User
from courseweb.courses.models import Enrollment, Role
from courseweb.groups.models import Group, Membership
from courseweb.homework.models import (
    Assignment,
    Extension,
    GradingJob,
    ManualGrade,
    SharedSolution,
    Submission,
    SubmissionMember,
)
from tests.courseweb.gradebook.factories import homework_assignment
from tests.courseweb.homework.conftest import offering, sessions, ta  # noqa: F401
from tests.factories import CourseworkItemFactory

DAY = dt.timedelta(days=1)
SIZES = (10, 200)


@dataclass
class Course:
    offering: Any
    assignments: list[Assignment]
    project: Any
    built: int = 0  # students so far


@pytest.fixture
def course(offering, sessions) -> Course:  # noqa: F811
    now = timezone.now()
    past = homework_assignment(offering=offering, slug="hw-past", due_at=now - 10 * DAY)
    past.notebooks = {
        "nb": {
            "grade_ids": ["q1", "explain"],
            "tests": ["q1"],
            "manual": ["explain"],
            "points": {"q1": 8, "explain": 2},
        }
    }
    past.sharing_enabled = True  # its cut-off has passed: every published solution is listed on its page
    past.save()
    assignments = [
        past,
        homework_assignment(offering=offering, slug="hw-open", due_at=now + 5 * DAY),
        homework_assignment(offering=offering, slug="hw-practice", due_at=now + 9 * DAY, counted=False),
    ]
    project = CourseworkItemFactory(
        offering=offering,
        slug="proposal",
        kind="project",
        category="project",
        points=20,
        due_at=now + 20 * DAY,
    )
    return Course(offering=offering, assignments=assignments, project=project)


def _grow(course: Course, *, to: int) -> None:
    """Add students in pairs until the class has `to`, each group with everything the pages show."""
    first, count = course.built, to - course.built
    off = course.offering
    users = User.objects.bulk_create(
        User(
            username=f"qc{n}",
            email=f"qc{n}@link.example.edu",
            display_name=f"Student {n:03d}",
            student_number=f"2299{n:06d}",
            password="!",
        )
        for n in range(first, first + count)
    )
    Enrollment.objects.bulk_create(Enrollment(user=u, offering=off, role=Role.STUDENT) for u in users)
    pairs = [users[i : i + 2] for i in range(0, count, 2)]
    groups = Group.objects.bulk_create(
        Group(offering=off, name=f"Team {first // 2 + k + 1}", created_by=pair[0])
        for k, pair in enumerate(pairs)
    )
    Membership.objects.bulk_create(
        Membership(group=g, user=u, offering=off) for g, pair in zip(groups, pairs, strict=True) for u in pair
    )
    Extension.objects.create(
        item=course.assignments[1].item, group=groups[0], due_at=timezone.now() + 8 * DAY
    )
    subs = []
    for assignment in course.assignments:
        for g, pair in zip(groups, pairs, strict=True):
            digest = hashlib.sha256(f"{assignment.pk}-{g.pk}".encode()).hexdigest()
            subs.append(
                Submission(
                    assignment=assignment,
                    group=g,
                    submitted_by=pair[0],
                    stem="nb",
                    filename="nb.ipynb",
                    content_hash=digest,
                    size=1,
                    storage_path=f"submissions/{digest[:2]}/{digest}.ipynb",
                    submitted_at=assignment.item.due_at - DAY,
                )
            )
    subs = Submission.objects.bulk_create(subs)
    owners = {g.pk: pair for g, pair in zip(groups, pairs, strict=True)}
    SubmissionMember.objects.bulk_create(
        SubmissionMember(submission=s, user=u) for s in subs for u in owners[s.group_id]
    )
    now = timezone.now()
    GradingJob.objects.bulk_create(
        GradingJob(
            submission=s,
            created_at=now,
            state="graded",
            score=(s.pk % 8) + 1,
            max_score=s.assignment.max_score,
            cells={"nb": {"q1": {"status": "passed", "score": 5, "max_score": 8}}},
        )
        for s in subs
    )
    past = course.assignments[0]
    shared = [s for s in subs if s.assignment_id == past.pk][::2]
    SharedSolution.objects.bulk_create(
        SharedSolution(
            assignment=past, group_id=s.group_id, submission=s, published_by=s.submitted_by, published_at=now
        )
        for s in shared
    )
    ManualGrade.objects.bulk_create(ManualGrade(item=course.project, group=g, points=15) for g in groups)
    course.built = to


def _student() -> User:
    return User.objects.get(username="qc0")


PAGES = {
    # page: (who looks, the URL name and arguments)
    "staff gradebook": ("ta", "gradebook:index", []),
    "student grades page": ("student", "gradebook:index", []),
    "histogram": ("student", "gradebook:histogram", ["hw-past"]),
    "homework index": ("student", "homework:index", []),
    "homework index (staff)": ("ta", "homework:index", []),
    "assignment page": ("student", "homework:assignment", ["hw-past"]),
    "assignment page (staff)": ("ta", "homework:assignment", ["hw-past"]),
    "assignment submissions (staff)": ("ta", "homework:staff", ["hw-past"]),
    "home": ("student", "home", []),
    "home (staff)": ("ta", "home", []),
}


def test_query_count_of_each_page_is_the_same_at_10_and_200_students(client, course, ta, settings, tmp_path):  # noqa: F811
    settings.GRADEBOOK_PLOT_DIR = tmp_path / "plots"
    counts: dict[str, list[int]] = {page: [] for page in PAGES}
    for size in SIZES:
        _grow(course, to=size)
        for page, (who, name, args) in PAGES.items():
            url = reverse(name, args=args)
            client.force_login(ta if who == "ta" else _student())
            assert (
                client.get(url).status_code == 200
            )  # warm-up: sessions, content types, a histogram drawn once
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url)
            assert response.status_code == 200, page
            counts[page].append(len(ctx.captured_queries))
    grown = {
        page: f"{n[0]} queries at {SIZES[0]} students, {n[1]} at {SIZES[1]}"
        for page, n in counts.items()
        if n[0] != n[1]
    }
    assert grown == {}
