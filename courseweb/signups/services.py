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

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from courseweb.groups.models import AuditAction, Group
from courseweb.groups.services import audit_record
from courseweb.lectures.models import Session

from .models import ACTIVE, Sheet, SheetKind, Signup, SignupStatus, Slot, SwapRequest, SwapStatus

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
ERROR_OTHER_SHEET = "Both places must be on the same sheet."
ERROR_CHANGED = "This sign-up changed in the meantime; reload the sheet and try again."
ERROR_MOVE_FULL = "Sorry, that slot is full: every place is taken. Your group keeps its place on {slot}."
ERROR_SWAP_CONFIRMED = "Only confirmed places can be swapped."
ERROR_SWAP_SAME_SLOT = "Choose a place on another slot."
ERROR_SWAP_OWN = "That place is your own group's."
ERROR_SWAP_CLOSED = "This swap request is no longer open ({status})."
ERROR_SWAP_STALE = "This swap request was cancelled: {reason}"


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
    return Slot.objects.select_for_update(of=("self",)).select_related("sheet", "session").get(pk=slot_id)


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
        _promotion_notify(signup)
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


def _members(group: Any) -> list[Any]:
    return [m.user for m in group.memberships.select_related("user")]


def _promotion_notify(signup: Signup) -> None:
    """Tell the members of a promoted group that they now hold a place (after commit, per their preferences)."""
    from courseweb.notifications.models import Kind
    from courseweb.notifications.services import notify

    slot, group = signup.slot, signup.group
    notify(
        users=_members(group),
        kind=Kind.WAITLIST,
        title=f"{slot.sheet.offering.code}: your group moved up from the waitlist",
        body=(
            f"Your group “{group.name}” now holds a place on {slot.sheet.title}: {slot}, "
            f"{_hkt(slot.starts_at or slot.session.starts_at)} (Hong Kong time)."
        ),
        url=reverse("groups:index"),
    )


def staff_change_notify(*, signup: Signup, staff: Any, what: str) -> None:
    """Tell a group's members that the staff changed their sign-up (`what` says how)."""
    from courseweb.notifications.models import Kind
    from courseweb.notifications.services import notify

    notify(
        users=_members(signup.group),
        kind=Kind.SIGNUP_CHANGED,
        title=f"{signup.sheet.title}: the staff changed your group's sign-up",
        body=f"{staff.name} {what}",
        url=reverse("signups:sheet", args=[signup.sheet_id]),
    )


def release_signup(*, signup_id: int, actor: Any, by_staff: bool = False) -> Signup:
    """Drop a sign-up and promote the waitlist (call inside a transaction).

    The returned sign-up carries `promoted`: the waitlisted sign-ups that moved up into the freed place.
    """
    slot_id = Signup.objects.values_list("slot_id", flat=True).get(pk=signup_id)
    slot = lock_slot(slot_id)
    signup = Signup.objects.select_for_update(of=("self",)).select_related("group").get(pk=signup_id)
    if signup.status not in ACTIVE:
        raise SignupError(ERROR_NOT_ACTIVE)
    if signup.slot_id != slot.pk:
        raise SignupError(ERROR_CHANGED)
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
    swap_requests_cancel(signup_ids=[signup.pk], reason="a place in it was dropped")
    signup.promoted = []
    if was_confirmed:
        signup.promoted = promote_waitlist(slot=slot, actor=actor)
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


def _check_change_window(sheet: Sheet, now: datetime) -> None:
    """Students move or swap only while the sheet is open and before its lock time."""
    _check_window(sheet, now)
    if now > sheet.drop_deadline:
        raise SignupError(ERROR_LOCKED.format(when=_hkt(sheet.drop_deadline)))


def lock_slot_pair(first_id: int, second_id: int) -> tuple[Slot, Slot]:
    """Lock two slots in id order, so two changes in opposite directions cannot deadlock."""
    locked = {pk: lock_slot(pk) for pk in sorted({first_id, second_id})}
    return locked[first_id], locked[second_id]


def swap_requests_cancel(*, signup_ids: list[int], reason: str) -> int:
    """Cancel every open swap request that involves one of these sign-ups (their place changed)."""
    return SwapRequest.objects.filter(
        Q(from_signup__in=signup_ids) | Q(to_signup__in=signup_ids), status=SwapStatus.PENDING
    ).update(status=SwapStatus.CANCELLED, decided_at=timezone.now(), note=reason[:200])


def move_signup(
    *, signup_id: int, from_slot_id: int, to_slot_id: int, actor: Any, by_staff: bool = False
) -> Signup:
    """Move a sign-up from the slot it was seen on to the lowest free place of another slot of its sheet.

    Call inside a transaction.  Both slots are locked (in id order) before anything is read, exactly like a
    sign-up locks its slot, so a concurrent sign-up or move for the target's last place is served before or
    after this one, never at the same time.  When the target has no free place this raises `SignupFull` and
    nothing changes: the group keeps its place.  If the entry is no longer on `from_slot_id` (it was swapped or
    moved meanwhile) nothing changes either.  The old slot's waitlist moves up into the freed place.
    """
    sheets = dict(Slot.objects.filter(pk__in=[from_slot_id, to_slot_id]).values_list("pk", "sheet_id"))
    if sheets[from_slot_id] != sheets[to_slot_id]:
        raise SignupError(ERROR_OTHER_SHEET)
    source, target = lock_slot_pair(from_slot_id, to_slot_id)
    signup = Signup.objects.select_for_update(of=("self",)).select_related("group").get(pk=signup_id)
    if signup.status not in ACTIVE:
        raise SignupError(ERROR_NOT_ACTIVE)
    if signup.slot_id != source.pk:
        raise SignupError(ERROR_CHANGED)
    if source.pk == target.pk:
        return signup
    if target.signups.filter(group=signup.group_id, status__in=ACTIVE).exists():
        raise SignupError(ERROR_ALREADY_ON_SLOT)
    full = SignupFull(ERROR_FULL if by_staff else ERROR_MOVE_FULL.format(slot=source))
    free = free_places(target)
    if not free:
        raise full
    was_confirmed = signup.status == SignupStatus.CONFIRMED
    signup.slot, signup.status, signup.place = target, SignupStatus.CONFIRMED, free[0]
    if not was_confirmed:
        signup.confirmed_at = timezone.now()
    try:
        with transaction.atomic():
            signup.save(update_fields=["slot", "status", "place", "confirmed_at"])
    except IntegrityError:
        raise full from None
    who = f"{actor.name} (staff)" if by_staff else actor.name
    audit_record(
        offering=target.sheet.offering,
        action=AuditAction.SIGNUP,
        actor=actor,
        group=signup.group,
        message=f"{who} moved “{signup.group.name}” from {source} to {target} on {target.sheet.title}.",
        detail={"signup": signup.pk, "status": "moved", "from_slot": source.pk, "to_slot": target.pk},
    )
    swap_requests_cancel(signup_ids=[signup.pk], reason="a place in it was moved")
    signup.promoted = promote_waitlist(slot=source, actor=actor) if was_confirmed else []
    if target.sheet.kind == SheetKind.SCRIBING:
        scribing_sync(session=source.session)
        scribing_sync(session=target.session)
    return signup


def signup_move(*, signup: Signup, to_slot: Slot, user: Any, now: datetime | None = None) -> Signup:
    """A group member moves the group's entry to a free place on another slot of the same open sheet."""
    _check_member(signup.group, user)
    _check_change_window(signup.sheet, now or timezone.now())
    with transaction.atomic():
        return move_signup(
            signup_id=signup.pk, from_slot_id=signup.slot_id, to_slot_id=to_slot.pk, actor=user
        )


def swap_places(
    *, first_id: int, second_id: int, actor: Any, by_staff: bool = False
) -> tuple[Signup, Signup]:
    """Exchange the places of two confirmed sign-ups on different slots of one sheet (call in a transaction)."""
    slots = dict(Signup.objects.filter(pk__in=[first_id, second_id]).values_list("pk", "slot_id"))
    if slots[first_id] == slots[second_id]:
        raise SignupError(ERROR_SWAP_SAME_SLOT)
    slot_a, slot_b = lock_slot_pair(slots[first_id], slots[second_id])
    a = Signup.objects.select_for_update(of=("self",)).select_related("group").get(pk=first_id)
    b = Signup.objects.select_for_update(of=("self",)).select_related("group").get(pk=second_id)
    if a.sheet_id != b.sheet_id:
        raise SignupError(ERROR_OTHER_SHEET)
    if a.status != SignupStatus.CONFIRMED or b.status != SignupStatus.CONFIRMED:
        raise SignupError(ERROR_SWAP_CONFIRMED)
    if a.slot_id != slot_a.pk or b.slot_id != slot_b.pk:
        raise SignupError(ERROR_CHANGED)
    if (
        slot_b.signups.filter(group=a.group_id, status__in=ACTIVE).exclude(pk=b.pk).exists()
        or slot_a.signups.filter(group=b.group_id, status__in=ACTIVE).exclude(pk=a.pk).exists()
    ):
        raise SignupError(ERROR_ALREADY_ON_SLOT)
    place_a, place_b = a.place, b.place
    # Free a's place first: the one-holder-per-place constraint is checked on every statement.
    a.place = None
    a.save(update_fields=["place"])
    b.slot, b.place = slot_a, place_a
    b.save(update_fields=["slot", "place"])
    a.slot, a.place = slot_b, place_b
    a.save(update_fields=["slot", "place"])
    who = f"{actor.name} (staff)" if by_staff else actor.name
    audit_record(
        offering=slot_a.sheet.offering,
        action=AuditAction.SIGNUP,
        actor=actor,
        group=a.group,
        message=f"{who} swapped “{a.group.name}” ({slot_a}) and “{b.group.name}” ({slot_b}) "
        f"on {slot_a.sheet.title}.",
        detail={"signups": [a.pk, b.pk], "status": "swapped"},
    )
    swap_requests_cancel(signup_ids=[a.pk, b.pk], reason="a place in it was swapped")
    if slot_a.sheet.kind == SheetKind.SCRIBING:
        scribing_sync(session=slot_a.session)
        scribing_sync(session=slot_b.session)
    return a, b


def _swap_problem(mine: Signup, theirs: Signup) -> str | None:
    """Why these two places cannot be swapped by request, or None."""
    if mine.sheet_id != theirs.sheet_id:
        return ERROR_OTHER_SHEET
    if mine.group_id == theirs.group_id:
        return ERROR_SWAP_OWN
    if mine.status != SignupStatus.CONFIRMED or theirs.status != SignupStatus.CONFIRMED:
        return ERROR_SWAP_CONFIRMED
    if mine.slot_id == theirs.slot_id:
        return ERROR_SWAP_SAME_SLOT
    return None


def swap_request_create(
    *, signup: Signup, with_signup: Signup, user: Any, now: datetime | None = None
) -> SwapRequest:
    """A member of group A asks group B to exchange places; replaces A's earlier open request for that place."""
    _check_member(signup.group, user)
    _check_change_window(signup.sheet, now or timezone.now())
    problem = _swap_problem(signup, with_signup)
    if problem:
        raise SignupError(problem)
    with transaction.atomic():
        slot_a, slot_b = lock_slot_pair(signup.slot_id, with_signup.slot_id)
        mine = Signup.objects.select_for_update(of=("self",)).select_related("group").get(pk=signup.pk)
        theirs = Signup.objects.select_for_update(of=("self",)).select_related("group").get(pk=with_signup.pk)
        problem = _swap_problem(mine, theirs)
        if problem:
            raise SignupError(problem)
        if mine.slot_id != slot_a.pk or theirs.slot_id != slot_b.pk:
            raise SignupError(ERROR_CHANGED)
        SwapRequest.objects.filter(from_signup=mine, status=SwapStatus.PENDING).update(
            status=SwapStatus.WITHDRAWN,
            decided_by=user,
            decided_at=timezone.now(),
            note="replaced by a new request",
        )
        request = SwapRequest.objects.create(
            sheet_id=mine.sheet_id,
            from_signup=mine,
            to_signup=theirs,
            from_slot=slot_a,
            to_slot=slot_b,
            requested_by=user,
        )
        audit_record(
            offering=slot_a.sheet.offering,
            action=AuditAction.SIGNUP,
            actor=user,
            group=mine.group,
            message=f"{user.name} asked “{theirs.group.name}” to swap {slot_b} for “{mine.group.name}”’s "
            f"{slot_a} on {slot_a.sheet.title}.",
            detail={"swap_request": request.pk, "status": "requested"},
        )
        _swap_request_notify(request.pk)
    return request


def _swap_request_notify(request_id: int) -> None:
    """Tell the members of the asked group that a swap is waiting for their answer."""
    from courseweb.notifications.models import Kind
    from courseweb.notifications.services import notify

    request = SwapRequest.objects.select_related(
        "from_signup__group", "to_signup__group", "from_slot__session", "to_slot__session", "sheet__offering"
    ).get(pk=request_id)
    group = request.to_signup.group
    notify(
        users=_members(group),
        kind=Kind.SWAP_REQUEST,
        title=f"{request.sheet.offering.code}: “{request.from_signup.group.name}” asks to swap slots",
        body=(
            f"“{request.from_signup.group.name}” asks your group “{group.name}” to swap places on "
            f"{request.sheet.title}: you would take {request.from_slot} and they would take your "
            f"{request.to_slot}. Accept or decline on the sheet."
        ),
        url=reverse("signups:sheet", args=[request.sheet_id]),
    )


def _lock_request(request_id: int) -> SwapRequest:
    """Lock the request's two slots (id order), then the request row."""
    slots = SwapRequest.objects.values_list("from_slot_id", "to_slot_id").get(pk=request_id)
    lock_slot_pair(*slots)
    return (
        SwapRequest.objects.select_for_update(of=("self",))
        .select_related("from_signup__group", "to_signup__group", "sheet")
        .get(pk=request_id)
    )


def _stale_reason(request: SwapRequest, now: datetime) -> str | None:
    mine, theirs = request.from_signup, request.to_signup
    if mine.status != SignupStatus.CONFIRMED or theirs.status != SignupStatus.CONFIRMED:
        return "one of the places was dropped."
    if mine.slot_id != request.from_slot_id or theirs.slot_id != request.to_slot_id:
        return "one of the places changed slot."
    sheet = request.sheet
    if sheet_state(sheet=sheet, now=now) != "open" or now > sheet.drop_deadline:
        return "the sheet no longer accepts changes."
    return None


def swap_request_accept(*, request: SwapRequest, user: Any, now: datetime | None = None) -> SwapRequest:
    """A member of the asked group accepts: the two places are exchanged atomically, or nothing changes."""
    _check_member(request.to_signup.group, user)
    now = now or timezone.now()
    stale = None
    with transaction.atomic():
        request = _lock_request(request.pk)
        if request.status != SwapStatus.PENDING:
            raise SignupError(ERROR_SWAP_CLOSED.format(status=request.get_status_display().lower()))
        stale = _stale_reason(request, now)
        if stale:
            request.status, request.decided_at, request.note = SwapStatus.CANCELLED, timezone.now(), stale
            request.save(update_fields=["status", "decided_at", "note"])
        else:
            swap_places(first_id=request.from_signup_id, second_id=request.to_signup_id, actor=user)
            # swap_places cancelled every open request on both places, this one included: mark it accepted.
            request.status, request.decided_by, request.decided_at, request.note = (
                SwapStatus.ACCEPTED,
                user,
                timezone.now(),
                "",
            )
            request.save(update_fields=["status", "decided_by", "decided_at", "note"])
    if stale:
        raise SignupError(ERROR_SWAP_STALE.format(reason=stale))
    return request


def swap_request_answer(*, request: SwapRequest, user: Any, decline: bool) -> SwapRequest:
    """The asked group declines, or the asking group withdraws, an open request."""
    group = request.to_signup.group if decline else request.from_signup.group
    _check_member(group, user)
    with transaction.atomic():
        request = (
            SwapRequest.objects.select_for_update(of=("self",))
            .select_related(
                "from_signup__group", "to_signup__group", "sheet__offering", "from_slot", "to_slot"
            )
            .get(pk=request.pk)
        )
        if request.status != SwapStatus.PENDING:
            raise SignupError(ERROR_SWAP_CLOSED.format(status=request.get_status_display().lower()))
        request.status = SwapStatus.DECLINED if decline else SwapStatus.WITHDRAWN
        request.decided_by, request.decided_at = user, timezone.now()
        request.save(update_fields=["status", "decided_by", "decided_at"])
        verb = "declined" if decline else "withdrew"
        audit_record(
            offering=request.sheet.offering,
            action=AuditAction.SIGNUP,
            actor=user,
            group=group,
            message=f"{user.name} {verb} the request of “{request.from_signup.group.name}” to swap "
            f"{request.from_slot} with “{request.to_signup.group.name}”’s {request.to_slot}.",
            detail={"swap_request": request.pk, "status": request.status},
        )
    return request
