"""Which submission counts: either member of a group (or a student without one) picks one of the group's
submissions, or goes back to the default, until the group's hard cut-off. Every change is a new `CountedChoice`
row (who, when, from, to), which is the log staff read.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from courseweb.groups.selectors import group_for_user
from courseweb.homework.deadlines import deadline_for_user
from courseweb.homework.models import Assignment, CountedChoice, Submission, SubmissionMember

if TYPE_CHECKING:
    from courseweb.accounts.models import User

ERR_NOT_YOURS = "You can only choose among your own group's submissions."
ERR_CLOSED = (
    "The choice closed at the cut-off, {cutoff} (Hong Kong time); the counted submission stays as it is."
)


class ChoiceRejected(ValueError):
    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _owner(*, user: User, assignment: Assignment) -> dict[str, Any]:
    group = group_for_user(user=user, offering=assignment.offering_id, members=False)
    group_id = group.pk if group else None
    return {"group_id": group_id, "user": None} if group_id else {"group_id": None, "user": user}


def counted_choose(
    *, user: User, assignment: Assignment, submission: Submission | None, now: datetime | None = None
) -> CountedChoice:
    """Make `submission` (None: the default) the one that counts for the user's group; raises ChoiceRejected."""
    from courseweb.gradebook.grades import grade_inputs_load, item_grade

    at = now or timezone.now()
    owner = _owner(user=user, assignment=assignment)
    if submission is not None:
        is_member = SubmissionMember.objects.filter(submission=submission, user=user).exists()
        same_owner = (
            submission.group_id == owner["group_id"]
            if owner["group_id"]
            else submission.group_id is None and submission.submitted_by_id == user.pk
        )
        if submission.assignment_id != assignment.pk or not is_member or not same_owner:
            raise ChoiceRejected(ERR_NOT_YOURS, status=403)
    deadline = deadline_for_user(item=assignment.item, user=user)
    if deadline.is_closed(at=at):
        cutoff = timezone.localtime(deadline.cutoff_at).strftime("%Y-%m-%d %H:%M")
        raise ChoiceRejected(ERR_CLOSED.format(cutoff=cutoff), status=403)
    with transaction.atomic():
        # one change at a time
        Assignment.objects.select_for_update(of=("self",)).filter(pk=assignment.pk).first()
        inputs = grade_inputs_load(offering=assignment.offering, items=[assignment.item], users=[user])
        previous = item_grade(inputs=inputs, item=assignment.item, user_id=user.pk).submission_id
        return CountedChoice.objects.create(
            assignment=assignment,
            submission=submission,
            previous_id=previous,
            chosen_by=user,
            chosen_at=at,
            **owner,
        )
