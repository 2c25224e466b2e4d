"""Accept a homework notebook: validate it, store it immutably, record it for every group member, queue grading.

The notebook is checked by the engine (`graders.check`: size, JSON with or without a byte-order mark, nesting
depth, nbformat validity, that it is this assignment's notebook), each failure with its own message; then the
hard cut-off. A second upload of the same bytes by the same group within a short window (a double click)
returns the first submission instead of a new one.
The file is on disk and the rows are committed before this returns; on any failure nothing is left behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from courseweb.groups.selectors import group_for_user
from courseweb.homework import storage
from courseweb.homework.deadlines import deadline_for_user
from courseweb.homework.engine import SubmissionError, engine_check_size, engine_check_upload
from courseweb.homework.models import Assignment, GradingJob, Submission, SubmissionMember
from courseweb.homework.services.grading import job_create

if TYPE_CHECKING:
    from courseweb.accounts.models import User

ERR_CLOSED = "Submissions for {title} closed at {cutoff} (Hong Kong time); nothing was stored."


class SubmissionRejected(ValueError):
    """An upload that was refused; the message is meant for the student and nothing was stored."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class SubmissionOutcome:
    submission: Submission
    job: GradingJob | None
    duplicate: bool


def max_upload_bytes() -> int:
    return int(settings.HOMEWORK_MAX_UPLOAD_BYTES)


@contextmanager
def _refusal() -> Iterator[None]:
    """The engine's refusal of an upload as this service's (413 for the size limit, else 400)."""
    try:
        yield
    except SubmissionError as exc:
        raise SubmissionRejected(str(exc), status=413 if exc.too_large else 400) from exc


def check_size(*, size: int) -> None:
    with _refusal():
        engine_check_size(size=size, max_bytes=max_upload_bytes())


def check_declared_length(*, length: int, slack: int = 64 * 1024) -> None:
    """Refuse a request whose Content-Length alone shows the file is too big, before reading the body."""
    if length > max_upload_bytes() + slack:
        check_size(size=length - slack)


def notebook_check(*, assignment: Assignment, filename: str, data: bytes) -> str:
    """The engine's upload check (`graders.check`) against the assignment's release; returns the notebook's
    stem, or raises SubmissionRejected with the engine's message."""
    with _refusal():
        checked = engine_check_upload(
            release_dir=Path(assignment.release_dir),
            data=data,
            filename=filename,
            title=assignment.item.title,
            max_bytes=max_upload_bytes(),
        )
    return checked.stem


def _group_of(*, user: User, assignment: Assignment) -> tuple[int | None, list[int]]:
    group = group_for_user(user=user, offering=assignment.offering_id)
    if group is None:
        return None, [user.pk]
    return group.pk, [m.user_id for m in group.memberships.all()]


def submission_create(
    *,
    user: User,
    assignment: Assignment,
    filename: str,
    data: bytes,
    via: str = "web",
    now: datetime | None = None,
) -> SubmissionOutcome:
    """Validate and store one upload; raises SubmissionRejected (nothing stored) or returns the submission."""
    stem = notebook_check(assignment=assignment, filename=filename, data=data)
    group_id, member_ids = _group_of(user=user, assignment=assignment)
    window = timedelta(seconds=settings.HOMEWORK_DUPLICATE_WINDOW_S)
    blob = storage.blob_store(data=data, kind="submissions", suffix=".ipynb")
    try:
        with transaction.atomic():
            # Serialises uploads to one assignment, so two clicks cannot both pass the duplicate check.
            locked = (
                Assignment.objects.select_for_update(of=("self",))
                .select_related("item")
                .get(pk=assignment.pk)
            )
            at = now or timezone.now()
            deadline = deadline_for_user(item=locked.item, user=user)
            if deadline.is_closed(at=at):
                cutoff = timezone.localtime(deadline.cutoff_at).strftime("%Y-%m-%d %H:%M")
                raise SubmissionRejected(
                    ERR_CLOSED.format(title=locked.item.title, cutoff=cutoff), status=403
                )
            owner: dict[str, object] = (
                {"group_id": group_id} if group_id else {"group__isnull": True, "submitted_by": user}
            )
            earlier = (
                Submission.objects.filter(
                    assignment=locked, content_hash=blob.sha256, submitted_at__gte=at - window, **owner
                )
                .order_by("-submitted_at")
                .first()
            )
            if earlier is not None:
                return SubmissionOutcome(submission=earlier, job=earlier.jobs.first(), duplicate=True)
            submission = Submission.objects.create(
                assignment=locked,
                group_id=group_id,
                submitted_by=user,
                stem=stem,
                filename=PurePath(filename or f"{stem}.ipynb").name[:255],
                content_hash=blob.sha256,
                size=blob.size,
                storage_path=blob.name,
                submitted_at=at,
                via=via,
                is_late=deadline.is_late(at=at),
                deadline_note=deadline.note(),
            )
            SubmissionMember.objects.bulk_create(
                [SubmissionMember(submission=submission, user_id=uid) for uid in member_ids]
            )
            job = job_create(submission=submission, reason="submission")
    except BaseException:
        if not Submission.objects.filter(content_hash=blob.sha256).exists():
            storage.blob_discard(blob=blob)
        raise
    return SubmissionOutcome(submission=submission, job=job, duplicate=False)
