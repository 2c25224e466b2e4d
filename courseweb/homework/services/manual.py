"""Hand-ins that are not notebooks, manual grades with a rubric, and per-group extensions.

Files are checked by size and by their first bytes (PDF, zip — which covers pptx/docx —, PNG, JPEG, GIF), which must
match the type the file name claims (a `.html` starting with `%PDF-` is refused), stored
content-addressed and read-only like notebooks; links must be http(s). Manual grades are bounded by the cell's
points (notebook answers) or the rubric (whole items) and replace the previous grade of the same target.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import PurePath
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from courseweb.groups.selectors import group_for_user
from courseweb.homework import storage
from courseweb.homework.models import (
    Deliverable,
    DeliverableKind,
    Extension,
    ManualGrade,
    RubricCriterion,
    Submission,
)
from courseweb.notifications.events import extension_granted, manual_grade_saved

if TYPE_CHECKING:
    from courseweb.accounts.models import User
    from courseweb.courses.models import CourseworkItem

SIGNATURES = {
    b"%PDF-": "PDF",
    b"PK\x03\x04": "zip",
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"GIF87a": "GIF",
    b"GIF89a": "GIF",
}
ERR_FILE_TYPE = (
    "Only PDF, zip (also pptx/docx), PNG, JPEG or GIF files are accepted; {name} is none of these."
)
# What each accepted file name claims to be: its bytes must start like that (zip also covers Office files).
CLAIMED_KINDS = {
    ".pdf": "PDF",
    ".zip": "zip",
    ".pptx": "zip",
    ".docx": "zip",
    ".xlsx": "zip",
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".gif": "GIF",
}
ERR_FILE_MISMATCH = (
    "{name} does not match its type: its name says {claimed}, but its content is {actual}. "
    "Export it again, or give it the right extension ({extensions})."
)
ERR_FILE_SIZE = "{name} is {size_mb:.1f} MB; the limit is {limit_mb:.0f} MB."
ERR_FILE_EMPTY = "The file is empty."
ERR_LINK = "Links must start with http:// or https:// (e.g. your repository or slides)."
ERR_LABEL = "Say what this is (e.g. 'report', 'slides', 'code'), up to 120 characters."
ERR_POINTS = "Points for {what} must be between 0 and {max_points:g}."
ERR_UNKNOWN_CELL = "{grade_id} is not a manually graded cell of this notebook."
ERR_EXTENSION_OWNER = "An extension is for one group or one student."


def _group_id(*, user: User, offering_id: int) -> int | None:
    group = group_for_user(user=user, offering=offering_id, members=False)
    return group.pk if group else None


def deliverable_file_create(
    *, user: User, item: CourseworkItem, label: str, filename: str, data: bytes
) -> Deliverable:
    label = (label or "").strip()
    if not label or len(label) > 120:
        raise ValueError(ERR_LABEL)
    name = PurePath(filename or "file").name[:255]
    limit = settings.HOMEWORK_MAX_FILE_BYTES
    if not data:
        raise ValueError(ERR_FILE_EMPTY)
    if len(data) > limit:
        raise ValueError(ERR_FILE_SIZE.format(name=name, size_mb=len(data) / 2**20, limit_mb=limit / 2**20))
    actual = next((kind for sig, kind in SIGNATURES.items() if data.startswith(sig)), None)
    if actual is None:
        raise ValueError(ERR_FILE_TYPE.format(name=name))
    claimed = CLAIMED_KINDS.get(PurePath(name).suffix.lower())
    if claimed != actual:
        raise ValueError(
            ERR_FILE_MISMATCH.format(
                name=name,
                claimed=f"a {claimed} file" if claimed else "no accepted type",
                actual=f"a {actual} file",
                extensions=", ".join(sorted(CLAIMED_KINDS)),
            )
        )
    blob = storage.blob_store(data=data, kind="deliverables", suffix=PurePath(name).suffix.lower()[:10])
    try:
        with transaction.atomic():
            return Deliverable.objects.create(
                item=item,
                group_id=_group_id(user=user, offering_id=item.offering_id),
                submitted_by=user,
                kind=DeliverableKind.FILE,
                label=label,
                storage_path=blob.name,
                filename=name,
                content_hash=blob.sha256,
                size=blob.size,
                submitted_at=timezone.now(),
            )
    except BaseException:
        if not Deliverable.objects.filter(content_hash=blob.sha256).exists():
            storage.blob_discard(blob=blob)
        raise


def deliverable_link_create(*, user: User, item: CourseworkItem, label: str, url: str) -> Deliverable:
    label = (label or "").strip()
    if not label or len(label) > 120:
        raise ValueError(ERR_LABEL)
    parsed = urlparse((url or "").strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(ERR_LINK)
    return Deliverable.objects.create(
        item=item,
        group_id=_group_id(user=user, offering_id=item.offering_id),
        submitted_by=user,
        kind=DeliverableKind.LINK,
        label=label,
        url=parsed.geturl()[:500],
        submitted_at=timezone.now(),
    )


def manual_cell_grade_set(
    *, grader: User, submission: Submission, grade_id: str, points: float, comment: str = ""
) -> ManualGrade:
    """A TA's score for a written answer (a cell the engine marks needs_manual)."""
    summary = submission.assignment.notebooks.get(submission.stem, {})
    if grade_id not in summary.get("manual", []):
        raise ValueError(ERR_UNKNOWN_CELL.format(grade_id=grade_id))
    max_points = float(summary.get("points", {}).get(grade_id, 0))
    if not 0 <= points <= max_points:
        raise ValueError(ERR_POINTS.format(what=grade_id, max_points=max_points))
    with transaction.atomic():
        grade, _ = ManualGrade.objects.update_or_create(
            submission=submission,
            grade_id=grade_id,
            defaults={
                "item_id": submission.assignment.item_id,
                "points": points,
                "comment": comment,
                "grader": grader,
            },
        )
        manual_grade_saved(grade)
    return grade


def item_grade_set(
    *,
    grader: User,
    item: CourseworkItem,
    group_id: int | None,
    user_id: int | None,
    criteria: dict[int, float],
    comment: str,
) -> ManualGrade:
    """Grade a whole item for a group (or a student without one) against its rubric; the points are the sum."""
    if bool(group_id) == bool(user_id):
        raise ValueError(ERR_EXTENSION_OWNER)
    rubric = {c.pk: c for c in RubricCriterion.objects.filter(item=item)}
    if rubric:
        for cid, value in criteria.items():
            criterion = rubric.get(int(cid))
            if criterion is None or not 0 <= value <= criterion.max_points:
                raise ValueError(
                    ERR_POINTS.format(
                        what=getattr(criterion, "name", cid), max_points=getattr(criterion, "max_points", 0)
                    )
                )
        total = sum(criteria.values())
    else:
        total = float(criteria.get(0, 0))
        if not 0 <= total <= float(item.points):
            raise ValueError(ERR_POINTS.format(what=item.title, max_points=float(item.points)))
    owner: dict[str, Any] = {"group_id": group_id} if group_id else {"user_id": user_id}
    with transaction.atomic():
        grade, _ = ManualGrade.objects.update_or_create(
            item=item,
            submission=None,
            **owner,
            defaults={
                "points": total,
                "criteria": {str(k): v for k, v in criteria.items()},
                "comment": comment,
                "grader": grader,
            },
        )
        manual_grade_saved(grade)
    return grade


def extension_grant(
    *,
    by: User,
    item: CourseworkItem,
    due_at: datetime,
    group_id: int | None = None,
    user_id: int | None = None,
    reason: str = "",
) -> Extension:
    if bool(group_id) == bool(user_id):
        raise ValueError(ERR_EXTENSION_OWNER)
    owner: dict[str, Any] = {"group_id": group_id} if group_id else {"user_id": user_id}
    with transaction.atomic():
        Extension.objects.filter(item=item, **owner).delete()
        extension = Extension.objects.create(
            item=item, due_at=due_at, reason=reason[:200], granted_by=by, **owner
        )
        extension_granted(extension)
        return extension
