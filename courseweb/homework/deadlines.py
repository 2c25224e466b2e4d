"""One answer to "when is this due for me?": a user's deadline for a coursework item, extensions applied.

`deadline_for_user` answers for one user and one item; `deadlines_for` answers for a whole offering (or some of
its items and users) with a fixed number of queries. Both gather plain facts and hand them to the same pure rule,
`policy.grant_choice` (which extension applies) and `policy.deadline_for` (due time, cut-off, late rule), so the
pages, the API, the to-do list, the calendars, the upload check and the gradebook cannot disagree.

Homework items take their cut-off and late rule from their synced `Assignment`; other items (project,
replication, scribing) have no hard cut-off and no late penalty.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from courseweb.courses.models import CourseworkItem, Enrollment, Offering, Role
from courseweb.groups.models import Membership
from courseweb.groups.selectors import group_for_user
from courseweb.homework import policy
from courseweb.homework.models import Assignment, Extension, LatePolicy


@dataclass(frozen=True)
class EffectiveDeadline(policy.Deadline):
    """A user's deadline for one item: `extension` is the Extension that applied (None: the course's due time)."""

    extension: Extension | None = None
    source: str = policy.COURSE_SOURCE
    group_id: int | None = None

    @property
    def has_due_date(self) -> bool:
        return self.due_at is not None

    def note(self) -> str:
        """One line for staff: the due time that applied and where it came from."""
        if self.due_at is None:
            return "no due date set"
        from django.utils import timezone

        due = timezone.localtime(self.due_at, policy.HKT).strftime("%Y-%m-%d %H:%M")
        return f"due {due} (Hong Kong time), {self.source}"[:300]


def _rules(assignment: Assignment | None) -> dict[str, Any]:
    if assignment is None:
        return {"cutoff_days": None, "policy": LatePolicy.NONE, "late_percent": 0.0}
    return {
        "cutoff_days": assignment.cutoff_days,
        "policy": assignment.late_policy,
        "late_percent": assignment.late_percent,
    }


def _grant(ext: Extension) -> policy.Grant:
    owner = ext.group.name if ext.group_id else ext.user.name
    return policy.Grant(
        key=ext.pk,
        due_at=ext.due_at,
        group_id=ext.group_id,
        user_id=ext.user_id,
        granted_at=ext.created_at,
        owner_name=owner,
    )


def _decide(
    *,
    item: CourseworkItem,
    assignment: Assignment | None,
    user_id: int,
    group_id: int | None,
    group_name: str,
    joined_at: dict[int, datetime],
    extensions: dict[int, Extension],
    grants: list[policy.Grant],
) -> EffectiveDeadline:
    grant, source = policy.grant_choice(
        course_due_at=item.due_at,
        user_id=user_id,
        group_id=group_id,
        group_name=group_name,
        joined_at=joined_at,
        grants=grants,
    )
    base = policy.deadline_for(
        due_at=item.due_at,
        extension_due_at=grant.due_at if grant else None,
        **_rules(assignment),
    )
    return EffectiveDeadline(
        due_at=base.due_at,
        cutoff_at=base.cutoff_at,
        policy=base.policy,
        late_percent=base.late_percent,
        extension=extensions[grant.key] if grant else None,
        source=source,
        group_id=group_id,
    )


def _assignment_of(item: CourseworkItem) -> Assignment | None:
    try:
        return item.assignment
    except Assignment.DoesNotExist:
        return None


def deadline_for_user(*, item: CourseworkItem, user: Any) -> EffectiveDeadline:
    """The user's deadline for `item` (their group's, extensions applied); at most four queries."""
    user_id = user if isinstance(user, int) else user.pk
    assignment = _assignment_of(item)
    group = group_for_user(user=user_id, offering=item.offering_id)
    joined_at: dict[int, datetime] = {}
    group_id, group_name = None, ""
    if group is not None:
        group_id, group_name = group.pk, group.name
        joined_at = {m.user_id: m.joined_at for m in group.memberships.all()}
    extensions = {
        e.pk: e
        for e in Extension.objects.filter(item_id=item.pk).select_related("group", "user").order_by("pk")
    }
    return _decide(
        item=item,
        assignment=assignment,
        user_id=user_id,
        group_id=group_id,
        group_name=group_name,
        joined_at=joined_at,
        extensions=extensions,
        grants=[_grant(e) for e in extensions.values()],
    )


def deadlines_for(
    *,
    offering: Offering,
    items: Iterable[CourseworkItem] | None = None,
    users: Iterable[Any] | None = None,
) -> dict[tuple[int, int], EffectiveDeadline]:
    """Every (item id, user id) pair's deadline: the same answers as `deadline_for_user`, in five queries.

    `items` defaults to all the offering's coursework, `users` (User objects or ids) to its enrolled students.
    """
    item_list = list(items) if items is not None else list(CourseworkItem.objects.filter(offering=offering))
    if users is None:
        user_ids = list(
            Enrollment.objects.filter(offering=offering, role=Role.STUDENT).values_list("user_id", flat=True)
        )
    else:
        user_ids = [u if isinstance(u, int) else u.pk for u in users]
    item_ids = [i.pk for i in item_list]
    assignments = {a.item_id: a for a in Assignment.objects.filter(item_id__in=item_ids)}
    memberships = Membership.objects.filter(offering=offering).select_related("group")
    if users is not None:  # only these users' groups, with every member (join times choose the extension)
        mine = Membership.objects.filter(offering=offering, user_id__in=user_ids).values("group_id")
        memberships = memberships.filter(group_id__in=mine)
    memberships = list(memberships)
    group_of = {m.user_id: m for m in memberships}
    joined_by_group: dict[int, dict[int, datetime]] = {}
    for m in memberships:
        joined_by_group.setdefault(m.group_id, {})[m.user_id] = m.joined_at
    by_item: dict[int, dict[int, Extension]] = {}
    for ext in Extension.objects.filter(item_id__in=item_ids).select_related("group", "user").order_by("pk"):
        by_item.setdefault(ext.item_id, {})[ext.pk] = ext
    grants = {item_id: [_grant(e) for e in exts.values()] for item_id, exts in by_item.items()}
    out: dict[tuple[int, int], EffectiveDeadline] = {}
    for item in item_list:
        by_group: dict[int, EffectiveDeadline] = {}  # a group's members share its deadline (not their own id)
        for user_id in user_ids:
            m = group_of.get(user_id)
            if m is not None and m.group_id in by_group:
                out[(item.pk, user_id)] = by_group[m.group_id]
                continue
            out[(item.pk, user_id)] = _decide(
                item=item,
                assignment=assignments.get(item.pk),
                user_id=user_id,
                group_id=m.group_id if m else None,
                group_name=m.group.name if m else "",
                joined_at=joined_by_group.get(m.group_id, {}) if m else {},
                extensions=by_item.get(item.pk, {}),
                grants=grants.get(item.pk, []),
            )
            if m is not None:
                by_group[m.group_id] = out[(item.pk, user_id)]
    return out


_LOOK_UP: Any = object()


def course_deadline(*, item: CourseworkItem, assignment: Assignment | None = _LOOK_UP) -> EffectiveDeadline:
    """The deadline as the course sets it (no extension): for course-wide views such as `/schedule.ics`.

    Pass `assignment` (the item's Assignment, or None for items without one) to spare the look-up.
    """
    if assignment is _LOOK_UP:
        assignment = _assignment_of(item)
    base = policy.deadline_for(due_at=item.due_at, extension_due_at=None, **_rules(assignment))
    return EffectiveDeadline(
        due_at=base.due_at, cutoff_at=base.cutoff_at, policy=base.policy, late_percent=base.late_percent
    )


def last_cutoff(*, item: CourseworkItem) -> datetime | None:
    """The latest hard cut-off of `item` over every owner: the course's own and each enrolled student's (their
    group's and personal extensions included), from `deadlines_for` in its fixed number of queries. None when
    some owner has no cut-off (no due date, or an item without one): that moment never comes.
    """
    course = course_deadline(item=item)
    cutoffs = [course.cutoff_at] + [
        d.cutoff_at for d in deadlines_for(offering=item.offering, items=[item]).values()
    ]
    if any(c is None for c in cutoffs):
        return None
    return max(c for c in cutoffs if c is not None)
