"""Sharing solutions with the class after the deadline (the course's rule that students open their homework code
to classmates).

Off by default per assignment; staff turn it on (`sharing_set`). Once every owner's hard cut-off has passed
(`deadlines.last_cutoff`: the due time plus the late window, each group's and student's extension included),
either member of a group (or a student without a group) may publish the group's counted submission to the class
(`solution_publish`) and withdraw it again (`solution_withdraw`, hidden at once). Before that moment nothing is
published and nothing is shown (`shared_solutions` in `courseweb.homework.selectors_sharing`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from courseweb.groups.selectors import group_for_user
from courseweb.homework.deadlines import last_cutoff
from courseweb.homework.models import Assignment, SharedSolution

if TYPE_CHECKING:
    from courseweb.accounts.models import User

ERR_SHARING_OFF = "Sharing solutions is off for this homework; the course staff decide when to turn it on."
ERR_NEVER = "This homework has no hard cut-off yet, so its solutions cannot be shared."
ERR_TOO_EARLY = (
    "Solutions can be shared only after every group's submissions have closed: after {cutoff} (Hong Kong time), "
    "extensions included. Nothing was published."
)
ERR_NOTHING = "Your group has no submission that counts for this homework, so there is nothing to share."
ERR_NOT_SHARED = "Your group's solution is not shared, so there is nothing to withdraw."


class SharingRefused(ValueError):
    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def sharing_set(*, assignment: Assignment, enabled: bool) -> Assignment:
    """Turn sharing on or off for one assignment (staff; the view checks who). Turning it off hides every
    published solution without withdrawing it."""
    Assignment.objects.filter(pk=assignment.pk).update(sharing_enabled=enabled)
    assignment.sharing_enabled = enabled
    return assignment


def sharing_open(*, assignment: Assignment, at: datetime) -> tuple[bool, datetime | None]:
    """(whether solutions may be shared and read at `at`, the last cut-off that decides it)."""
    cutoff = last_cutoff(item=assignment.item)
    return bool(assignment.sharing_enabled and cutoff is not None and at > cutoff), cutoff


def solution_owner(*, user: User, assignment: Assignment) -> dict[str, int | None]:
    """The owner a student publishes for: their group in the offering, else the student alone."""
    group = group_for_user(user=user.pk, offering=assignment.offering_id, members=False)
    group_id = group.pk if group else None
    return {"group_id": group_id, "user_id": None} if group_id else {"group_id": None, "user_id": user.pk}


def _check_open(*, assignment: Assignment, at: datetime) -> None:
    if not assignment.sharing_enabled:
        raise SharingRefused(ERR_SHARING_OFF, status=403)
    is_open, cutoff = sharing_open(assignment=assignment, at=at)
    if cutoff is None:
        raise SharingRefused(ERR_NEVER, status=403)
    if not is_open:
        shown = timezone.localtime(cutoff).strftime("%Y-%m-%d %H:%M")
        raise SharingRefused(ERR_TOO_EARLY.format(cutoff=shown), status=403)


def solution_publish(*, user: User, assignment: Assignment, now: datetime | None = None) -> SharedSolution:
    """Publish the counted submission of the user's group (the grade pipeline's choice); publishing again keeps
    the row already published. Raises SharingRefused with one of the module's messages."""
    from courseweb.gradebook.grades import grade_inputs_load, item_grade

    at = now or timezone.now()
    _check_open(assignment=assignment, at=at)
    owner = solution_owner(user=user, assignment=assignment)
    inputs = grade_inputs_load(offering=assignment.offering, items=[assignment.item], users=[user])
    counted = item_grade(inputs=inputs, item=assignment.item, user_id=user.pk).submission_id
    if counted is None:
        raise SharingRefused(ERR_NOTHING, status=403)
    with transaction.atomic():
        Assignment.objects.select_for_update().filter(pk=assignment.pk).first()  # one change at a time
        existing = SharedSolution.objects.filter(
            assignment=assignment, withdrawn_at__isnull=True, **owner
        ).first()
        if existing is not None:
            return existing
        return SharedSolution.objects.create(
            assignment=assignment, submission_id=counted, published_by=user, published_at=at, **owner
        )


def solution_withdraw(*, user: User, assignment: Assignment, now: datetime | None = None) -> SharedSolution:
    """Hide the user's group's published solution at once (the row stays, marked withdrawn)."""
    at = now or timezone.now()
    owner = solution_owner(user=user, assignment=assignment)
    with transaction.atomic():
        shared = (
            SharedSolution.objects.select_for_update()
            .filter(assignment=assignment, withdrawn_at__isnull=True, **owner)
            .first()
        )
        if shared is None:
            raise SharingRefused(ERR_NOT_SHARED, status=404)
        shared.withdrawn_at, shared.withdrawn_by = at, user
        shared.save(update_fields=["withdrawn_at", "withdrawn_by"])
        return shared
