"""Reads for the home page: a student's to-do list with their own deadlines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.urls import reverse

from courseweb.courses.models import CourseworkItem, Offering
from courseweb.groups.models import Membership
from courseweb.groups.selectors import group_for_user
from courseweb.homework.deadlines import EffectiveDeadline, deadlines_for
from courseweb.homework.models import Assignment, Deliverable, Submission
from courseweb.homework.selectors import HANDIN_KINDS


@dataclass(frozen=True)
class TodoEntry:
    item: CourseworkItem
    url: str
    deadline: EffectiveDeadline
    late: bool  # past the user's due time, still accepted until the cut-off
    handed_in: bool
    label: str = ""  # shown instead of the item's title (a buddy evaluation of the item)


def todo_list(*, offering: Offering, user: Any, now: datetime) -> list[TodoEntry]:
    """Released homework still open to the user (before their cut-off) and project/replication hand-ins that
    are not yet past their due time (or have none), soonest first, undated last; a fixed number of queries."""
    assignments = {a.item_id: a for a in Assignment.objects.filter(offering=offering).select_related("item")}
    handins = list(
        CourseworkItem.objects.filter(offering=offering, kind__in=HANDIN_KINDS, assignment__isnull=True)
    )
    items = [a.item for a in assignments.values()] + handins
    items = [i for i in items if i.released_at is None or i.released_at <= now]
    own = deadlines_for(offering=offering, items=items, users=[user])
    submitted = set(
        Submission.objects.filter(assignment__offering=offering, memberships__user_id=user.pk).values_list(
            "assignment__item_id", flat=True
        )
    )
    group = group_for_user(user=user, offering=offering, members=False)
    group_id = group.pk if group else None
    owner = {"group_id": group_id} if group_id else {"submitted_by": user}
    delivered = set(
        Deliverable.objects.filter(item__offering=offering, **owner).values_list("item_id", flat=True)
    )
    entries = []
    for item in items:
        deadline = own[(item.pk, user.pk)]
        assignment = assignments.get(item.pk)
        if assignment is not None:
            if deadline.is_closed(at=now):
                continue
            url = reverse("homework:assignment", args=[assignment.key])
            handed_in = item.pk in submitted
        else:
            if deadline.due_at is not None and deadline.due_at < now:
                continue
            url = reverse("homework:item", args=[item.slug])
            handed_in = item.pk in delivered
        entries.append(
            TodoEntry(
                item=item, url=url, deadline=deadline, late=deadline.is_late(at=now), handed_in=handed_in
            )
        )
    entries += _peer_entries(offering=offering, user=user, now=now)
    entries.sort(key=lambda e: (e.deadline.due_at is None, e.deadline.due_at or now, e.item.title))
    return entries


def _peer_entries(*, offering: Offering, user: Any, now: datetime) -> list[TodoEntry]:
    """Open buddy evaluations the user has not answered yet, due when their window closes."""
    from courseweb.peer.selectors import owed_evaluations

    return [
        TodoEntry(
            item=e.item,
            url=reverse("peer:evaluate", args=[e.pk]),
            deadline=EffectiveDeadline(
                due_at=e.closes_at, cutoff_at=e.closes_at, policy="", late_percent=0.0
            ),
            late=False,
            handed_in=False,
            label=f"Buddy evaluation: {e.item.title}",
        )
        for e, answered in owed_evaluations(offering=offering, user=user, now=now)
        if not answered
    ]


@dataclass(frozen=True)
class TodoExtras:
    """The rest of the home to-do: for a student, work graded since they last looked (unread grade
    notifications) and pending group invitations; for staff, manual grading still to do, the grading engine's
    flags and failures, and students without a group after the registration deadline."""

    graded: list[Any]
    invitations: list[Any]
    ungraded: list[dict[str, Any]]
    flagged: list[Any]
    ungrouped: list[Any]

    def __bool__(self) -> bool:
        return any((self.graded, self.invitations, self.ungraded, self.flagged, self.ungrouped))


def todo_extras(*, offering: Offering, user: Any, now: datetime, staff: bool) -> TodoExtras:
    from courseweb.courses.models import Enrollment, Role
    from courseweb.groups.models import Invitation, InvitationStatus
    from courseweb.notifications.models import Kind, Notification
    from courseweb.notifications.reminders import flagged_jobs, ungraded_work

    if not staff:
        graded = list(
            Notification.objects.filter(
                user=user, kind__in=[Kind.GRADED, Kind.MANUAL_GRADE], read_at__isnull=True
            )[:20]
        )
        invitations = list(
            Invitation.objects.filter(
                offering=offering, invitee=user, status=InvitationStatus.PENDING
            ).select_related("group", "invited_by")
        )
        return TodoExtras(graded=graded, invitations=invitations, ungraded=[], flagged=[], ungrouped=[])
    deadline = offering.group_registration_deadline
    ungrouped = []
    if deadline is not None and deadline <= now:
        grouped = Membership.objects.filter(offering=offering).values_list("user_id", flat=True)
        ungrouped = [
            e.user
            for e in Enrollment.objects.filter(offering=offering, role=Role.STUDENT)
            .exclude(user_id__in=grouped)
            .select_related("user")
            .order_by("user__display_name", "user__username")
        ]
    return TodoExtras(
        graded=[],
        invitations=[],
        ungraded=ungraded_work(offering=offering),
        flagged=flagged_jobs(offering=offering),
        ungrouped=ungrouped,
    )
