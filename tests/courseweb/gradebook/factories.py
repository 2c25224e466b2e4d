"""Graded homework rows made directly (no engine run): for gradebook arithmetic and query-count tests."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.utils import timezone

from courseweb.homework.models import Assignment, GradingJob, Submission, SubmissionMember


def graded_submission(
    *, assignment: Assignment, members: list[Any], score: float | None, at: dt.datetime, group: Any = None
) -> Submission:
    """A stored submission for these members with one graded job (or a queued one when score is None)."""
    digest = hashlib.sha256(f"{assignment.pk}-{members[0].pk}-{at.isoformat()}".encode()).hexdigest()
    sub = Submission.objects.create(
        assignment=assignment,
        group=group,
        submitted_by=members[0],
        stem=next(iter(assignment.notebooks)),
        filename="nb.ipynb",
        content_hash=digest,
        size=1,
        storage_path=f"submissions/{digest[:2]}/{digest}.ipynb",
        submitted_at=at,
    )
    SubmissionMember.objects.bulk_create([SubmissionMember(submission=sub, user=m) for m in members])
    GradingJob.objects.create(
        submission=sub,
        created_at=timezone.now(),
        state="queued" if score is None else "graded",
        score=score,
        max_score=assignment.max_score,
    )
    return sub


def homework_assignment(
    *, offering: Any, slug: str, due_at: dt.datetime, counted: bool = True, max_score: float = 10
) -> Assignment:
    """A synced-looking homework (item and assignment rows, one notebook, no files) for best-N arithmetic."""
    from tests.factories import CourseworkItemFactory

    item = CourseworkItemFactory(
        offering=offering,
        slug=slug,
        title=f"Homework {slug}",
        points=max_score,
        due_at=due_at,
        counted=counted,
    )
    return Assignment.objects.create(
        item=item,
        offering=offering,
        key=slug,
        source_dir="x",
        source_hash="h",
        release_dir="x",
        notebooks={"nb": {"grade_ids": [], "tests": [], "manual": [], "points": {}}},
        max_score=max_score,
        synced_at=due_at,
        cutoff_days=7,
    )
