"""Staff writes for sign-up sheets: create a sheet and its slots from sessions, edit its window, assign, move,
swap and drop groups, and change a slot's capacity.  Staff act outside the open/close window; capacity and the
database's rules still hold.  Every change is written to the groups audit log.

Presentation slots (paper replication, final project) are timed: `slots_per_session` slots of `slot_minutes`
in the last `presentation_minutes` of each session (an offering rule, 30 by default).  Scribing has one slot per
session with a capacity.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from courseweb.courses.models import Offering
from courseweb.groups.models import AuditAction, Group
from courseweb.groups.services import audit_record
from courseweb.lectures.models import Session

from .models import Sheet, SheetKind, Signup, SignupStatus, Slot
from .services import (
    SignupError,
    lock_slot,
    move_signup,
    place_group,
    promote_waitlist,
    release_signup,
    staff_change_notify,
    swap_places,
)

DEFAULT_PRESENTATION_MINUTES = 30
ERROR_SLOTS_TOO_LONG = (
    "{count} slots of {minutes} minutes do not fit in the {window}-minute presentation block."
)
ERROR_WINDOW = "The sheet must close after it opens, and lock no earlier than it opens."
ERROR_NO_SESSIONS = "Choose at least one session for the sheet."
ERROR_OTHER_SHEET = "Both places must be on the same sheet."
ERROR_SWAP_SAME_SLOT = "Choose two sign-ups on different slots."
ERROR_SWAP_CONFIRMED = "Only confirmed places can be swapped."
ERROR_ACTIVE = "This sign-up is no longer active."
ERROR_CAPACITY = (
    "A slot holds at least one group, and no fewer than the {held} groups already confirmed on it."
)


def presentation_minutes(*, offering: Offering) -> int:
    try:
        return int((offering.rules or {}).get("presentation_minutes", DEFAULT_PRESENTATION_MINUTES))
    except (TypeError, ValueError):
        return DEFAULT_PRESENTATION_MINUTES


def _check_window(opens_at: dt.datetime, closes_at: dt.datetime, locks_at: dt.datetime | None) -> None:
    if closes_at <= opens_at or (locks_at is not None and locks_at < opens_at):
        raise SignupError(ERROR_WINDOW)


def sheet_create(
    *,
    offering: Offering,
    staff: Any,
    kind: str,
    title: str,
    opens_at: dt.datetime,
    closes_at: dt.datetime,
    sessions: Sequence[Session],
    locks_at: dt.datetime | None = None,
    slots_per_session: int = 1,
    slot_minutes: int | None = None,
    capacity: int = 1,
    one_per_group: bool = True,
    waitlist_enabled: bool = True,
    description: str = "",
) -> Sheet:
    """A sheet with its slots: one per session for scribing, timed presentation slots otherwise."""
    _check_window(opens_at, closes_at, locks_at)
    if not sessions:
        raise SignupError(ERROR_NO_SESSIONS)
    if capacity < 1:
        raise SignupError(ERROR_CAPACITY.format(held=0))
    timed = kind in (SheetKind.PAPER, SheetKind.PROJECT)
    window = presentation_minutes(offering=offering)
    count = max(1, slots_per_session)
    if timed:
        minutes = slot_minutes or window // count
        if minutes < 1 or count * minutes > window:
            raise SignupError(ERROR_SLOTS_TOO_LONG.format(count=count, minutes=minutes, window=window))
    else:
        minutes = None
    with transaction.atomic():
        sheet = Sheet.objects.create(
            offering=offering,
            kind=kind,
            title=title,
            description=description,
            opens_at=opens_at,
            closes_at=closes_at,
            locks_at=locks_at,
            one_per_group=one_per_group,
            waitlist_enabled=waitlist_enabled,
            slots_per_session=count,
            slot_minutes=minutes,
            default_capacity=capacity,
        )
        slots = []
        for session in sorted(sessions, key=lambda s: s.number):
            block_start = session.ends_at - dt.timedelta(minutes=window)
            for i in range(count):
                slots.append(
                    Slot(
                        sheet=sheet,
                        session=session,
                        position=i + 1,
                        starts_at=block_start + dt.timedelta(minutes=i * minutes)
                        if timed and minutes
                        else None,
                        minutes=minutes,
                        capacity=capacity,
                    )
                )
        Slot.objects.bulk_create(slots)
        audit_record(
            offering=offering,
            action=AuditAction.SIGNUP,
            actor=staff,
            message=f"{staff.name if staff else 'A management command'} created the sheet “{title}” with {len(slots)} slots.",
        )
    return sheet


def sheet_update(
    *,
    sheet: Sheet,
    staff: Any,
    title: str,
    opens_at: dt.datetime,
    closes_at: dt.datetime,
    locks_at: dt.datetime | None,
    waitlist_enabled: bool,
    description: str = "",
) -> Sheet:
    """Change a sheet's title, window, lock time or waitlist (its one-per-group rule is fixed at creation)."""
    _check_window(opens_at, closes_at, locks_at)
    with transaction.atomic():
        sheet.title, sheet.description = title, description
        sheet.opens_at, sheet.closes_at, sheet.locks_at = opens_at, closes_at, locks_at
        sheet.waitlist_enabled = waitlist_enabled
        sheet.save()
        audit_record(
            offering=sheet.offering,
            action=AuditAction.SIGNUP,
            actor=staff,
            message=f"{staff.name} updated the sheet “{title}”.",
        )
    return sheet


def signup_assign(*, staff: Any, slot: Slot, group: Group, paper: Any = None) -> Signup:
    """Staff put a group on a slot, whether or not the sheet is open; the slot must have a free place."""
    with transaction.atomic():
        signup = place_group(
            slot_id=slot.pk, group=group, actor=staff, paper=paper, allow_waitlist=False, by_staff=True
        )
        staff_change_notify(signup=signup, staff=staff, what=f"put your group on {slot}.")
        return signup


def signup_staff_drop(*, staff: Any, signup: Signup) -> Signup:
    """Staff drop a sign-up at any time; the waitlist moves up."""
    with transaction.atomic():
        dropped = release_signup(signup_id=signup.pk, actor=staff, by_staff=True)
        staff_change_notify(signup=dropped, staff=staff, what=f"dropped your group's place on {signup.slot}.")
        return dropped


def signup_move(*, staff: Any, signup: Signup, to_slot: Slot) -> Signup:
    """Move a sign-up to a free place on another slot of the same sheet; the old slot's waitlist moves up."""
    if to_slot.sheet_id != signup.sheet_id:
        raise SignupError(ERROR_OTHER_SHEET)
    with transaction.atomic():
        moved = move_signup(
            signup_id=signup.pk,
            from_slot_id=signup.slot_id,
            to_slot_id=to_slot.pk,
            actor=staff,
            by_staff=True,
        )
        staff_change_notify(
            signup=moved, staff=staff, what=f"moved your group from {signup.slot} to {to_slot}."
        )
        return moved


def signup_swap(*, staff: Any, first: Signup, second: Signup) -> tuple[Signup, Signup]:
    """Exchange the places of two confirmed sign-ups on different slots of one sheet."""
    if first.sheet_id != second.sheet_id:
        raise SignupError(ERROR_OTHER_SHEET)
    if first.slot_id == second.slot_id:
        raise SignupError(ERROR_SWAP_SAME_SLOT)
    with transaction.atomic():
        pair = swap_places(first_id=first.pk, second_id=second.pk, actor=staff, by_staff=True)
        for before, after in ((first, second), (second, first)):
            staff_change_notify(
                signup=before,
                staff=staff,
                what=f"swapped your group's place on {before.slot} for {after.slot}.",
            )
        return pair


def slot_capacity_set(*, staff: Any, slot: Slot, capacity: int) -> Slot:
    """Change a slot's capacity; confirmed places are renumbered 1..n and the waitlist fills new places."""
    with transaction.atomic():
        slot = lock_slot(slot.pk)
        confirmed = list(slot.signups.filter(status=SignupStatus.CONFIRMED).order_by("place", "id"))
        if capacity < max(1, len(confirmed)):
            raise SignupError(ERROR_CAPACITY.format(held=len(confirmed)))
        for s in confirmed:  # clear, then renumber, so no two rows ever share a place
            s.place = None
            s.save(update_fields=["place"])
        for n, s in enumerate(confirmed, start=1):
            s.place = n
            s.save(update_fields=["place"])
        old, slot.capacity = slot.capacity, capacity
        slot.save(update_fields=["capacity"])
        audit_record(
            offering=slot.sheet.offering,
            action=AuditAction.SIGNUP,
            actor=staff,
            message=f"{staff.name} changed the capacity of {slot} on {slot.sheet.title} from {old} to {capacity}.",
        )
        promote_waitlist(slot=slot, actor=staff)
    return slot


STANDARD_TITLES = {
    SheetKind.SCRIBING: "Lecture-note scribing",
    SheetKind.PAPER: "Paper replication and presentation",
    SheetKind.PROJECT: "Final project presentation",
}


def _rule(offering: Offering, key: str, default: int) -> int:
    try:
        return max(1, int((offering.rules or {}).get(key, default)))
    except (TypeError, ValueError):
        return default


def sheets_create_standard(
    *, offering: Offering, staff: Any, opens_at: dt.datetime, closes_at: dt.datetime
) -> list[Sheet]:
    """The course's three sheets from its sessions, skipping kinds the offering already has (idempotent).

    Offering rules (all optional): `scribing_capacity` (1), `presentation_slots_per_session` (2),
    `replication_first_session` (2: session 1 introduces the course), `project_slots` (3, in the last session).
    """
    sessions = list(Session.objects.filter(offering=offering).order_by("number"))
    if not sessions:
        raise SignupError(ERROR_NO_SESSIONS)
    existing = set(Sheet.objects.filter(offering=offering).values_list("kind", flat=True))
    first_paper = _rule(offering, "replication_first_session", 2)
    plans = [
        (SheetKind.SCRIBING, sessions, 1, _rule(offering, "scribing_capacity", 1)),
        (
            SheetKind.PAPER,
            [s for s in sessions if s.number >= first_paper] or sessions,
            _rule(offering, "presentation_slots_per_session", 2),
            1,
        ),
        (SheetKind.PROJECT, sessions[-1:], _rule(offering, "project_slots", 3), 1),
    ]
    created = []
    for kind, chosen, per_session, capacity in plans:
        if kind in existing:
            continue
        created.append(
            sheet_create(
                offering=offering,
                staff=staff,
                kind=kind,
                title=STANDARD_TITLES[kind],
                opens_at=opens_at,
                closes_at=closes_at,
                sessions=chosen,
                slots_per_session=per_session,
                capacity=capacity,
            )
        )
    return created
