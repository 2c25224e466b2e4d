"""What each part of the site tells its users, in one place: small functions the call sites use, each building
a notification's words and link and handing them to `services.notify` (inside the caller's transaction, so the
e-mail goes out only after it commits)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from .models import Kind
from .services import notify


def _members(*, group_id: int | None, user_id: int | None) -> list[Any]:
    from courseweb.accounts.models import User

    if group_id:
        return list(User.objects.filter(memberships__group_id=group_id))
    return list(User.objects.filter(pk=user_id)) if user_id else []


def _item_url(item: Any) -> str:
    from courseweb.homework.models import Assignment

    key = Assignment.objects.filter(item_id=item.pk).values_list("key", flat=True).first()
    return reverse("homework:assignment", args=[key]) if key else reverse("homework:item", args=[item.slug])


def _points(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"


def job_graded(job: Any) -> None:
    """A notebook was graded: its owners get the score and a link to the submission's feedback."""
    submission = job.submission
    title = submission.assignment.item.title
    users = [m.user for m in submission.memberships.select_related("user")]
    notify(
        users=users,
        kind=Kind.GRADED,
        title=f"{title} graded: {_points(job.score)} of {_points(job.max_score)} points",
        body=(
            "The grader finished your submission"
            + (" (some answers are graded by hand later)" if job.needs_manual else "")
            + "; the feedback shows each test."
        ),
        url=reverse("homework:submission", args=[submission.pk]),
    )


def manual_grade_saved(grade: Any) -> None:
    """A TA saved points or a comment: for a written answer (a submission's cell) or a whole item."""
    item = grade.item
    if grade.submission_id:
        submission = grade.submission
        users = [m.user for m in submission.memberships.select_related("user")]
        url = reverse("homework:submission", args=[submission.pk])
        what = f"{item.title}, answer {grade.grade_id}"
    else:
        users = _members(group_id=grade.group_id, user_id=grade.user_id)
        url = _item_url(item)
        what = item.title
    body = f"Points: {grade.points:g}."
    if grade.comment:
        body += f"\nComment from {grade.grader.name if grade.grader else 'the staff'}: {grade.comment}"
    notify(
        users=users,
        kind=Kind.MANUAL_GRADE,
        title=f"{what}: points or a comment from the staff",
        body=body,
        url=url,
    )


def extension_granted(extension: Any) -> None:
    due = timezone.localtime(extension.due_at)
    notify(
        users=_members(group_id=extension.group_id, user_id=extension.user_id),
        kind=Kind.EXTENSION,
        title=f"Extension granted for {extension.item.title}",
        body=(
            f"Your new due time is {due:%a %d %b %Y, %H:%M} (Hong Kong time)."
            + (f"\nReason: {extension.reason}" if extension.reason else "")
        ),
        url=_item_url(extension.item),
    )


def note_reviewed(*, note: Any, published: bool, body: str = "") -> None:
    """The staff asked for changes to a scribed note, or published it."""
    if not note.group_id:
        return
    session = note.session
    if published:
        title = f"Your scribed note for {session} is published"
        text = "It is now part of the course's lecture notes."
    else:
        title = f"The staff asked for changes to your scribed note for {session}"
        text = "Read the comments and submit a new version."
    if body:
        text += f"\n\n{body}"
    notify(
        users=_members(group_id=note.group_id, user_id=None),
        kind=Kind.NOTE_REVIEWED,
        title=title,
        body=text,
        url=reverse("notes:note_detail", args=[note.pk]),
    )
