"""Auto-match: after the registration deadline, staff group the students who are in no group, by major.

`automatch_preview` only reads: it proposes groups of `offering.group_size_max` students, same major first,
then same department, then anyone, always in student-number order (so the proposal is deterministic), and
lists the students left over.  Staff may edit the proposal; `automatch_apply` then creates exactly the groups
it is given, in one transaction, after checking each student is still unmatched and appears once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from courseweb.courses.models import Offering

from .models import AuditAction, Group, Membership
from .selectors import student_list_unmatched
from .services import ERROR_NAME_EMPTY, ERROR_NAME_TAKEN, GroupError, audit_record, registration_open

ERROR_STUDENT_TWICE = "{name} appears in more than one proposed group."
ERROR_STUDENT_MATCHED = "{name} is already in a group; refresh the preview."
ERROR_PROPOSAL_TOO_BIG = "Proposed group “{group}” has more than {limit} members."
ERROR_TOO_EARLY = (
    "Group registration is still open; auto-match runs after the deadline (or confirm running it early)."
)
ERROR_PROPOSAL_EMPTY = "Proposed group “{group}” has no members."

NAME_PREFIX = "Auto-match"


@dataclass(frozen=True)
class ProposedGroup:
    name: str
    members: tuple[Any, ...]
    reason: str  # "same major", "same department" or "mixed"


@dataclass
class MatchPreview:
    groups: list[ProposedGroup] = field(default_factory=list)
    leftover: list[Any] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = []
        for g in self.groups:
            people = "; ".join(
                f"{m.name} ({m.student_number or '-'}, {m.major or 'no major'})" for m in g.members
            )
            out.append(f"{g.name} [{g.reason}]: {people}")
        out += [
            f"left over: {m.name} ({m.student_number or '-'}, {m.major or 'no major'})" for m in self.leftover
        ]
        return out


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _sort_key(user: Any) -> tuple:
    # Students without a student number come last, then by username, so the order is total.
    return (user.student_number == "", user.student_number, user.username.casefold(), user.pk)


def _chunk_by(
    students: list[Any], key: Callable[[Any], str], size: int, reason: str
) -> tuple[list[tuple[tuple[Any, ...], str]], list[Any]]:
    """Full chunks of `size` students sharing a non-empty key; the rest are returned in student order."""
    buckets: dict[str, list[Any]] = defaultdict(list)
    rest: list[Any] = []
    for s in students:
        k = key(s)
        (buckets[k] if k else rest).append(s)
    chunks: list[tuple[tuple[Any, ...], str]] = []
    # Buckets in order of their first (lowest) student number: the proposal does not depend on dict order.
    for bucket in sorted(buckets.values(), key=lambda b: _sort_key(b[0])):
        full = len(bucket) - len(bucket) % size
        chunks += [(tuple(bucket[i : i + size]), reason) for i in range(0, full, size)]
        rest += bucket[full:]
    return chunks, sorted(rest, key=_sort_key)


def automatch_propose(*, students: Sequence[Any], size: int, taken_names: set[str]) -> MatchPreview:
    """The pure matching rule, on any list of users (with student_number, major, department, username)."""
    size = max(1, size)
    pool = sorted(students, key=_sort_key)
    chunks, pool = _chunk_by(pool, lambda s: _norm(s.major), size, "same major")
    more, pool = _chunk_by(pool, lambda s: _norm(s.department), size, "same department")
    chunks += more
    full = len(pool) - len(pool) % size
    chunks += [(tuple(pool[i : i + size]), "mixed") for i in range(0, full, size)]
    chunks.sort(key=lambda c: _sort_key(c[0][0]))
    preview = MatchPreview(leftover=pool[full:])
    taken = {_norm(n) for n in taken_names}
    n = 0
    for members, reason in chunks:
        n += 1
        while _norm(f"{NAME_PREFIX} {n}") in taken:
            n += 1
        preview.groups.append(ProposedGroup(name=f"{NAME_PREFIX} {n}", members=members, reason=reason))
    return preview


def automatch_preview(*, offering: Offering) -> MatchPreview:
    """What auto-match would do now; writes nothing."""
    students = list(student_list_unmatched(offering=offering))
    names = set(Group.objects.filter(offering=offering).values_list("name", flat=True))
    return automatch_propose(students=students, size=offering.group_size_max, taken_names=names)


def automatch_apply(
    *,
    offering: Offering,
    staff: Any,
    groups: Sequence[ProposedGroup],
    force: bool = False,
    now: datetime | None = None,
) -> list[Group]:
    """Create the (possibly edited) proposed groups; all or nothing.

    Auto-match is for after the registration deadline; `force=True` lets staff run it earlier on purpose.
    """
    if not force and registration_open(offering=offering, now=now):
        raise GroupError(ERROR_TOO_EARLY)
    limit = offering.group_size_max
    seen: set[int] = set()
    for g in groups:
        if not g.name.strip():
            raise GroupError(ERROR_NAME_EMPTY)
        if not g.members:
            raise GroupError(ERROR_PROPOSAL_EMPTY.format(group=g.name))
        if len(g.members) > limit:
            raise GroupError(ERROR_PROPOSAL_TOO_BIG.format(group=g.name, limit=limit))
        for m in g.members:
            if m.pk in seen:
                raise GroupError(ERROR_STUDENT_TWICE.format(name=m.name))
            seen.add(m.pk)
    unmatched = {u.pk for u in student_list_unmatched(offering=offering)}
    created: list[Group] = []
    with transaction.atomic():
        for g in groups:
            for m in g.members:
                if m.pk not in unmatched:
                    raise GroupError(ERROR_STUDENT_MATCHED.format(name=m.name))
            name = " ".join(g.name.split())
            try:
                with transaction.atomic():
                    group = Group.objects.create(offering=offering, name=name, created_by=staff)
            except IntegrityError as exc:
                raise GroupError(f"{ERROR_NAME_TAKEN} ({name})") from exc
            for m in g.members:
                try:
                    with transaction.atomic():
                        Membership.objects.create(group=group, user=m, offering=offering)
                except IntegrityError as exc:
                    raise GroupError(ERROR_STUDENT_MATCHED.format(name=m.name)) from exc
            people = " and ".join(m.name for m in g.members)
            audit_record(
                offering=offering,
                action=AuditAction.AUTOMATCHED,
                actor=staff,
                group=group,
                message=f"Auto-match placed {people} in “{name}”.",
                detail={"members": [m.pk for m in g.members], "reason": g.reason},
            )
            created.append(group)
    return created
