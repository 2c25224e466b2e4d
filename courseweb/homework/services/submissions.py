"""Accept a homework notebook: validate it, store it immutably, record it for every group member, queue grading.

Checks, each with its own message: size, JSON, nbformat validity, that the notebook belongs to this assignment
(its name and nbgrader grade ids against the source), the hard cut-off. A second upload of the same bytes by
the same group within a short window (a double click) returns the first submission instead of a new one.
The file is on disk and the rows are committed before this returns; on any failure nothing is left behind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Any

import nbformat
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from courseweb.groups.models import Membership
from courseweb.homework import storage
from courseweb.homework.deadlines import deadline_for_user
from courseweb.homework.models import Assignment, GradingJob, Submission, SubmissionMember
from courseweb.homework.services.grading import job_create

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_DUPLICATE_WINDOW_S = 120
# Jupyter's notebooks nest about 6 levels; outputs' JSON and metadata add a few. Deeper is refused before nbformat's
# validator (recursive) sees it.
MAX_JSON_DEPTH = 64

ERR_EMPTY = "The upload is empty: choose your .ipynb file."
ERR_TOO_LARGE = (
    "The notebook is {size_mb:.1f} MB; the limit is {limit_mb:.0f} MB. Clear large outputs and try again."
)
ERR_NOT_JSON = "This file is not a Jupyter notebook: it is not valid JSON ({detail})."
ERR_TOO_DEEP = (
    "This file is not a Jupyter notebook: its JSON is nested too deeply (more than {limit} levels of lists and "
    "objects inside each other). Upload the notebook Jupyter saved."
)
ERR_NOT_NOTEBOOK = "This file is JSON but not a valid Jupyter notebook (nbformat 4): {detail}"
ERR_WRONG_NOTEBOOK = "This assignment expects {expected}; you uploaded {name}."
ERR_WRONG_ASSIGNMENT = (
    "This notebook does not belong to {title}: none of its graded cells match this assignment. "
    "Download the assignment's notebook and work in it."
)
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
    return int(getattr(settings, "HOMEWORK_MAX_UPLOAD_BYTES", DEFAULT_MAX_BYTES))


def check_size(*, size: int) -> None:
    limit = max_upload_bytes()
    if size > limit:
        raise SubmissionRejected(
            ERR_TOO_LARGE.format(size_mb=size / 2**20, limit_mb=limit / 2**20), status=413
        )
    if size == 0:
        raise SubmissionRejected(ERR_EMPTY)


def check_declared_length(*, length: int, slack: int = 64 * 1024) -> None:
    """Refuse a request whose Content-Length alone shows the file is too big, before reading the body."""
    if length > max_upload_bytes() + slack:
        check_size(size=length - slack)


def _json_depth_exceeds(value: Any, limit: int) -> bool:
    """Whether lists and objects nest deeper than `limit` (iterative: any depth is safe to measure)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _parse(*, data: bytes) -> dict[str, Any]:
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SubmissionRejected(ERR_NOT_JSON.format(detail=str(exc)[:120])) from exc
    except RecursionError as exc:  # the decoder's own limit, far deeper than MAX_JSON_DEPTH
        raise SubmissionRejected(ERR_TOO_DEEP.format(limit=MAX_JSON_DEPTH)) from exc
    if _json_depth_exceeds(raw, MAX_JSON_DEPTH):
        raise SubmissionRejected(ERR_TOO_DEEP.format(limit=MAX_JSON_DEPTH))
    if not isinstance(raw, dict) or raw.get("nbformat") != 4:
        raise SubmissionRejected(ERR_NOT_NOTEBOOK.format(detail="the nbformat version is not 4"))
    try:
        nb = nbformat.from_dict(raw)
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        raise SubmissionRejected(ERR_NOT_NOTEBOOK.format(detail=str(exc.message)[:200])) from exc
    return raw


def _grade_ids(nb: dict[str, Any]) -> set[str]:
    ids = set()
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader")
        if isinstance(meta, dict) and isinstance(meta.get("grade_id"), str):
            ids.add(meta["grade_id"])
    return ids


def match_notebook(*, assignment: Assignment, filename: str, nb: dict[str, Any]) -> str:
    """The source notebook stem this upload is for; rejects notebooks of another assignment."""
    stems = list(assignment.notebooks)
    stem = PurePath(filename or "").stem
    if stem not in assignment.notebooks:
        if len(stems) != 1:
            expected = ", ".join(f"{s}.ipynb" for s in stems)
            raise SubmissionRejected(ERR_WRONG_NOTEBOOK.format(expected=expected, name=filename or "a file"))
        stem = stems[0]
    expected_ids = set(assignment.notebooks[stem]["grade_ids"])
    found = _grade_ids(nb)
    matching = found & expected_ids
    if not matching or len(found - expected_ids) > len(matching):
        raise SubmissionRejected(ERR_WRONG_ASSIGNMENT.format(title=assignment.item.title))
    return stem


def _group_of(*, user: Any, assignment: Assignment) -> tuple[int | None, list[int]]:
    membership = (
        Membership.objects.filter(offering_id=assignment.offering_id, user=user)
        .select_related("group")
        .first()
    )
    if membership is None:
        return None, [user.pk]
    members = list(Membership.objects.filter(group_id=membership.group_id).values_list("user_id", flat=True))
    return membership.group_id, members


def submission_create(
    *,
    user: Any,
    assignment: Assignment,
    filename: str,
    data: bytes,
    via: str = "web",
    now: datetime | None = None,
) -> SubmissionOutcome:
    """Validate and store one upload; raises SubmissionRejected (nothing stored) or returns the submission."""
    check_size(size=len(data))
    nb = _parse(data=data)
    stem = match_notebook(assignment=assignment, filename=filename, nb=nb)
    group_id, member_ids = _group_of(user=user, assignment=assignment)
    window = timedelta(
        seconds=int(getattr(settings, "HOMEWORK_DUPLICATE_WINDOW_S", DEFAULT_DUPLICATE_WINDOW_S))
    )
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
            owner = {"group_id": group_id} if group_id else {"group__isnull": True, "submitted_by": user}
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
