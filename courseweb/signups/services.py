"""Writes for sign-ups: a group claims a place, drops it, and waitlisted groups are promoted automatically.

First come, first served and correct under concurrent clicks: every write locks the slot row
(`select_for_update`) inside its own transaction, so requests for one slot are served one after another, and the
database's unique constraints (one holder per place, one entry per group per sheet, one group per paper) reject
anything that slips past, which is reported as the same clear message.  On SQLite the site's IMMEDIATE
transactions serialize writers instead.  Staff operations (assign, move, swap, capacity) live in `staff.py`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from courseweb.groups.models import AuditAction, Group
from courseweb.groups.services import audit_record
from courseweb.lectures.models import Session

from .models import ACTIVE, Sheet, SheetKind, Signup, SignupStatus, Slot

ERROR_FULL = "Sorry, this slot is full: every place is taken."
ERROR_NOT_OPEN = "This sheet opens on {when} (Hong Kong time)."
ERROR_CLOSED = "This sheet closed on {when} (Hong Kong time)."
ERROR_LOCKED = (
    "Sign-ups on this sheet are locked since {when} (Hong Kong time); ask the course staff to change them."
)
ERROR_NO_GROUP = "Register a group (even a group of one) before signing up."
ERROR_NOT_MEMBER = "Only members of the group can change its sign-ups."
ERROR_ALREADY_ON_SLOT = "Your group is already on this slot."
ERROR_ONE_PER_GROUP = "Your group already holds a place on this sheet; drop it first to choose another."
ERROR_PAPER_REQUIRED = "Choose a paper from the catalogue for this presentation slot."
ERROR_PAPER_NOT_ELIGIBLE = "That paper is not open for replication in this course."
ERROR_PAPER_TAKEN = "Another group has already chosen that paper."
ERROR_NOT_ACTIVE = "This sign-up is no longer active."
ERROR_WRONG_OFFERING = "That group belongs to another offering."


class SignupError(Exception):
    """A sign-up rule was broken; `str(error)` is the message for the user."""


class SignupFull(SignupError):
    """No free place and no waitlist."""


def _hkt(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%a %d %b %Y, %H:%M}"


def sheet_state(*, sheet: Sheet, now: datetime | None = None) -> str:
    """ "upcoming", "open" or "closed" for sign-ups."""
    now = now or timezone.now()
    if now < sheet.opens_at:
        return "upcoming"
    return "open" if now <= sheet.closes_at else "closed"


def _check_window(sheet: Sheet, now: datetime) -> None:
    state = sheet_state(sheet=sheet, now=now)
    if state == "upcoming":
        raise SignupError(ERROR_NOT_OPEN.format(when=_hkt(sheet.opens_at)))
    if state == "closed":
        raise SignupError(ERROR_CLOSED.format(when=_hkt(sheet.closes_at)))


def _check_member(group: Group | None, user: Any) -> Group:
    if group is None:
        raise SignupError(ERROR_NO_GROUP)
    if not group.memberships.filter(user=user).exists():
        raise SignupError(ERROR_NOT_MEMBER)
    return group


def lock_slot(slot_id: int) -> Slot:
    return Slot.objects.select_for_update().select_related("sheet", "session").get(pk=slot_id)


def free_places(slot: Slot) -> list[int]:
    """Place numbers 1..capacity not held by a confirmed sign-up (call with the slot locked)."""
    taken = set(slot.signups.filter(status=SignupStatus.CONFIRMED).values_list("place", flat=True))
    return [p for p in range(1, slot.capacity + 1) if p not in taken]


def scribing_sync(*, session: Session) -> None:
    """Session.scribing_group follows the first confirmed scribing sign-up for the session."""
    first = (
        Signup.objects.filter(
            slot__session=session, sheet__kind=SheetKind.SCRIBING, status=SignupStatus.CONFIRMED
        )
        .order_by("slot__position", "place", "id")
        .values_list("group_id", flat=True)
        .first()
    )
    Session.objects.filter(pk=session.pk).update(scribing_group_id=first)


def _paper_check(sheet: Sheet, paper: Any) -> Any:
    if sheet.kind != SheetKind.PAPER:
        return None
    if paper is None:
        raise SignupError(ERROR_PAPER_REQUIRED)
    from courseweb.papers.selectors import paper_is_eligible

    if not paper_is_eligible(paper=paper, offering=sheet.offering):
        raise SignupError(ERROR_PAPER_NOT_ELIGIBLE)
    if Signup.objects.filter(offering=sheet.offering_id, paper=paper, status__in=ACTIVE).exists():
        raise SignupError(ERROR_PAPER_TAKEN)
    return paper


def _explain_integrity(sheet: Sheet, group: Group, paper: Any) -> SignupError:
    """Which database rule a concurrent request hit, as the message the user should see."""
    active = Signup.objects.filter(status__in=ACTIVE)
    if paper is not None and active.filter(offering=sheet.offering_id, paper=paper).exists():
        return SignupError(ERROR_PAPER_TAKEN)
    if active.filter(sheet=sheet, group=group).exists():
        return SignupError(ERROR_ONE_PER_GROUP if sheet.one_per_group else ERROR_ALREADY_ON_SLOT)
    return SignupFull(ERROR_FULL)


def place_group(
    *, slot_id: int, group: Group, actor: Any, paper: Any = None, allow_waitlist: bool, by_staff: bool = False
) -> Signup:
    """Give the group the lowest free place of the slot, else a waitlist place, else raise SignupFull.

    The caller is inside a transaction; this locks the slot row first.
    """
    slot = lock_slot(slot_id)
    sheet = slot.sheet
    if group.offering_id != sheet.offering_id:
        raise SignupError(ERROR_WRONG_OFFERING)
    active = Signup.objects.filter(group=group, status__in=ACTIVE)
    if active.filter(slot=slot).exists():
        raise SignupError(ERROR_ALREADY_ON_SLOT)
    if sheet.one_per_group and active.filter(sheet=sheet).exists():
        raise SignupError(ERROR_ONE_PER_GROUP)
    paper = _paper_check(sheet, paper)
    free = free_places(slot)
    if free:
        status, place = SignupStatus.CONFIRMED, free[0]
    elif allow_waitlist:
        status, place = SignupStatus.WAITLISTED, None
    else:
        raise SignupFull(ERROR_FULL)
    now = timezone.now()
    try:
        with transaction.atomic():
            signup = Signup.objects.create(
                sheet=sheet,
                slot=slot,
                group=group,
                offering_id=sheet.offering_id,
                paper=paper,
                status=status,
                place=place,
                exclusive=sheet.one_per_group,
                created_by=actor,
                confirmed_at=now if status == SignupStatus.CONFIRMED else None,
            )
    except IntegrityError:
        raise _explain_integrity(sheet, group, paper) from None
    if status == SignupStatus.CONFIRMED and sheet.kind == SheetKind.SCRIBING:
        scribing_sync(session=slot.session)
    where = "a place" if status == SignupStatus.CONFIRMED else "the waitlist"
    who = f"{actor.name} (staff)" if by_staff else actor.name
    paper_text = f" with “{paper}”" if paper is not None else ""
    audit_record(
        offering=sheet.offering,
        action=AuditAction.SIGNUP,
        actor=actor,
        group=group,
        message=f"{who} put “{group.name}” on {where} of {sheet.title}, {slot}{paper_text}.",
        detail={"signup": signup.pk, "status": status},
    )
    return signup


def signup_create(
    *, slot: Slot, group: Group | None, user: Any, paper: Any = None, now: datetime | None = None
) -> Signup:
    """A group member claims a place (or a waitlist place) on an open sheet."""
    group = _check_member(group, user)
    _check_window(slot.sheet, now or timezone.now())
    with transaction.atomic():
        return place_group(
            slot_id=slot.pk, group=group, actor=user, paper=paper, allow_waitlist=slot.sheet.waitlist_enabled
        )


def promote_waitlist(*, slot: Slot, actor: Any = None) -> list[Signup]:
    """Fill free places from the waitlist, first come first served (call with the slot locked)."""
    promoted: list[Signup] = []
    free = free_places(slot)
    if not free:
        return promoted
    waiting = (
        slot.signups.filter(status=SignupStatus.WAITLISTED)
        .select_related("group")
        .order_by("created_at", "id")
    )
    now = timezone.now()
    for signup, place in zip(list(waiting[: len(free)]), free, strict=False):
        signup.status, signup.place, signup.confirmed_at = SignupStatus.CONFIRMED, place, now
        signup.save(update_fields=["status", "place", "confirmed_at"])
        promoted.append(signup)
        transaction.on_commit(lambda signup=signup: _promotion_mail(signup))
        audit_record(
            offering=slot.sheet.offering,
            action=AuditAction.SIGNUP,
            actor=actor,
            group=signup.group,
            message=f"“{signup.group.name}” moved up from the waitlist to a place on {slot.sheet.title}, {slot}.",
            detail={"signup": signup.pk, "status": "promoted"},
        )
    if promoted and slot.sheet.kind == SheetKind.SCRIBING:
        scribing_sync(session=slot.session)
    return promoted


def _promotion_mail(signup: Signup) -> None:
    """Tell the members of a promoted group that they now hold a place."""
    slot, group = signup.slot, signup.group
    emails = [m.user.email for m in group.memberships.select_related("user") if m.user.email]
    if not emails:
        return
    link = settings.SITE_URL.rstrip("/") + reverse("groups:index")
    send_mail(
        subject=f"{slot.sheet.offering.code}: your group moved up from the waitlist",
        message=(
            f"Your group “{group.name}” now holds a place on {slot.sheet.title}: {slot}, "
            f"{_hkt(slot.starts_at or slot.session.starts_at)} (Hong Kong time).\n\nSee your group page: {link}\n"
        ),
        from_email=None,
        recipient_list=emails,
        fail_silently=True,
    )


def release_signup(*, signup_id: int, actor: Any, by_staff: bool = False) -> Signup:
    """Drop a sign-up and promote the waitlist (call inside a transaction)."""
    slot_id = Signup.objects.values_list("slot_id", flat=True).get(pk=signup_id)
    slot = lock_slot(slot_id)
    signup = Signup.objects.select_for_update().select_related("group").get(pk=signup_id)
    if signup.status not in ACTIVE:
        raise SignupError(ERROR_NOT_ACTIVE)
    was_confirmed = signup.status == SignupStatus.CONFIRMED
    signup.status, signup.place, signup.dropped_at = SignupStatus.DROPPED, None, timezone.now()
    signup.save(update_fields=["status", "place", "dropped_at"])
    who = f"{actor.name} (staff)" if by_staff else actor.name
    audit_record(
        offering=slot.sheet.offering,
        action=AuditAction.SIGNUP,
        actor=actor,
        group=signup.group,
        message=f"{who} dropped “{signup.group.name}” from {slot.sheet.title}, {slot}.",
        detail={"signup": signup.pk, "status": "dropped"},
    )
    if was_confirmed:
        promote_waitlist(slot=slot, actor=actor)
        if slot.sheet.kind == SheetKind.SCRIBING:
            scribing_sync(session=slot.session)
    return signup


def signup_drop(*, signup: Signup, user: Any, now: datetime | None = None) -> Signup:
    """A group member gives up a place or a waitlist place, before the sheet's lock time."""
    _check_member(signup.group, user)
    sheet = signup.sheet
    if (now or timezone.now()) > sheet.drop_deadline:
        raise SignupError(ERROR_LOCKED.format(when=_hkt(sheet.drop_deadline)))
    with transaction.atomic():
        return release_signup(signup_id=signup.pk, actor=user)
