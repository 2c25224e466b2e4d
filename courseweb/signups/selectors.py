"""Reads for sign-up sheets: the board of slots with live availability, a group's sign-ups, the groups that
have none, and the papers still free.  Each read runs a fixed number of queries, whatever the number of slots.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import F, Prefetch, Q, QuerySet
from django.utils import timezone

from courseweb.courses.models import Offering
from courseweb.groups.models import Group, Membership

from .models import ACTIVE, Sheet, SheetKind, Signup, SignupStatus, Slot, SwapRequest, SwapStatus
from .services import sheet_state


@dataclass
class SlotRow:
    slot: Slot
    confirmed: list[Signup] = field(default_factory=list)
    waitlist: list[Signup] = field(default_factory=list)
    mine: Signup | None = None
    waitlist_position: int | None = None

    @property
    def free(self) -> int:
        return max(0, self.slot.capacity - len(self.confirmed))

    @property
    def is_full(self) -> bool:
        return self.free == 0


@dataclass
class Board:
    sheet: Sheet
    state: str
    rows: list[SlotRow]
    my_signup: Signup | None
    can_drop: bool

    @property
    def free_places(self) -> int:
        return sum(r.free for r in self.rows)


def sheet_list(*, offering: Offering) -> QuerySet[Sheet]:
    return Sheet.objects.filter(offering=offering).order_by("opens_at", "id")


def sheet_get(*, offering: Offering, sheet_id: int) -> Sheet:
    return Sheet.objects.select_related("offering").get(offering=offering, pk=sheet_id)


def _active_signups() -> Prefetch:
    qs = (
        Signup.objects.filter(status__in=ACTIVE)
        .select_related("group", "paper")
        .prefetch_related(Prefetch("group__memberships", queryset=Membership.objects.select_related("user")))
        .order_by("status", "place", "created_at", "id")
    )
    return Prefetch("signups", queryset=qs, to_attr="active_signups")


def sheet_board(*, sheet: Sheet, group: Group | None = None, now: datetime | None = None) -> Board:
    """Every slot of the sheet with who holds it, who waits, and this group's own entry."""
    now = now or timezone.now()
    slots = (
        Slot.objects.filter(sheet=sheet)
        .select_related("session", "sheet")
        .prefetch_related(_active_signups())
    )
    rows: list[SlotRow] = []
    my_signup = None
    for slot in slots.order_by("session__number", "position"):
        row = SlotRow(slot=slot)
        for s in slot.active_signups:
            if s.status == SignupStatus.CONFIRMED:
                row.confirmed.append(s)
            else:
                row.waitlist.append(s)
        row.waitlist.sort(key=lambda s: (s.created_at, s.pk))
        if group is not None:
            for s in slot.active_signups:
                if s.group_id == group.pk:
                    row.mine = my_signup = s
                    if s.status == SignupStatus.WAITLISTED:
                        row.waitlist_position = row.waitlist.index(s) + 1
        rows.append(row)
    return Board(
        sheet=sheet,
        state=sheet_state(sheet=sheet, now=now),
        rows=rows,
        my_signup=my_signup,
        can_drop=now <= sheet.drop_deadline,
    )


def waitlist_position(*, signup: Signup) -> int | None:
    if signup.status != SignupStatus.WAITLISTED:
        return None
    ahead = Signup.objects.filter(slot=signup.slot_id, status=SignupStatus.WAITLISTED).order_by(
        "created_at", "id"
    )
    return list(ahead.values_list("pk", flat=True)).index(signup.pk) + 1


def signup_list_for_group(*, group: Group) -> list[Signup]:
    """The group's active sign-ups on every sheet, for its group page."""
    signups = list(
        Signup.objects.filter(group=group, status__in=ACTIVE)
        .select_related("sheet", "slot__session", "slot__sheet", "paper")
        .order_by("sheet__opens_at", "sheet_id")
    )
    for s in signups:
        s.waitlist_position = waitlist_position(signup=s)
    return signups


def groups_without_signup(*, sheet: Sheet) -> QuerySet[Group]:
    """Groups of the offering with no place or waitlist entry on this sheet (e.g. who has not chosen a session)."""
    holding = Signup.objects.filter(sheet=sheet, status__in=ACTIVE).values("group_id")
    return (
        Group.objects.filter(offering=sheet.offering)
        .exclude(pk__in=holding)
        .prefetch_related(Prefetch("memberships", queryset=Membership.objects.select_related("user")))
        .order_by("name")
    )


def paper_choices(*, sheet: Sheet) -> list[Any]:
    """Eligible papers of the catalogue that no group has claimed in this offering."""
    if sheet.kind != SheetKind.PAPER:
        return []
    from courseweb.papers.selectors import paper_list_eligible

    claimed = Signup.objects.filter(
        offering=sheet.offering_id, status__in=ACTIVE, paper__isnull=False
    ).values("paper_id")
    return list(paper_list_eligible(offering=sheet.offering).exclude(pk__in=claimed))


def slot_get(*, offering: Offering, slot_id: int) -> Slot:
    return Slot.objects.select_related("sheet", "session").get(sheet__offering=offering, pk=slot_id)


def signup_get(*, offering: Offering, signup_id: int) -> Signup:
    return Signup.objects.select_related("sheet", "slot", "group").get(offering=offering, pk=signup_id)


def swap_requests_open(
    *, sheet: Sheet, group: Group | None, now: datetime | None = None
) -> list[SwapRequest]:
    """The group's open swap requests on this sheet, made or received, that could still be accepted.

    A request whose places were dropped, moved or swapped since, or whose sheet no longer accepts changes, is
    not listed (the services cancel such requests, and an accept re-checks under the slot locks).
    """
    now = now or timezone.now()
    if group is None or sheet_state(sheet=sheet, now=now) != "open" or now > sheet.drop_deadline:
        return []
    return list(
        SwapRequest.objects.filter(
            Q(from_signup__group=group) | Q(to_signup__group=group),
            sheet=sheet,
            status=SwapStatus.PENDING,
            from_signup__status=SignupStatus.CONFIRMED,
            to_signup__status=SignupStatus.CONFIRMED,
            from_signup__slot=F("from_slot"),
            to_signup__slot=F("to_slot"),
        )
        .select_related("from_signup__group", "to_signup__group", "from_slot__session", "to_slot__session")
        .order_by("created_at", "id")
    )


def signup_drop_preview(*, signup: Signup) -> dict[str, Any]:
    """What dropping this sign-up would do: who takes the place, and how many other places are free."""
    first_waiting = None
    if signup.status == SignupStatus.CONFIRMED:
        first_waiting = (
            Signup.objects.filter(slot=signup.slot_id, status=SignupStatus.WAITLISTED)
            .select_related("group")
            .order_by("created_at", "id")
            .first()
        )
    return {
        "first_waiting": first_waiting,
        "waitlist_position": waitlist_position(signup=signup),
        "open_requests": SwapRequest.objects.filter(
            Q(from_signup=signup) | Q(to_signup=signup), status=SwapStatus.PENDING
        ).count(),
    }
