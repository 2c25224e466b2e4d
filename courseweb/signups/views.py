"""Student pages for sign-ups: the list of sheets, a sheet with live availability, sign up, drop (after a
confirmation page that works without JavaScript), move to a free slot, and swap places by mutual request.

A refused sign-up re-renders the sheet with the reason and an HTTP error status (409 when the slot is full),
so a click that lost a race gets a clear answer at once; a successful one redirects to the sheet.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from courseweb.access import require_login
from courseweb.access.groups import access_offering
from courseweb.access.signups import (
    access_sheet,
    access_signup_in_offering,
    access_signup_own,
    access_slot,
    access_swap_request,
)
from courseweb.groups.selectors import group_for_user

from . import services
from .forms import SignupForm
from .models import Sheet, SignupStatus
from .selectors import (
    paper_choices,
    sheet_board,
    sheet_list,
    signup_drop_preview,
    signup_list_for_group,
    swap_requests_open,
)
from .services import SignupError, SignupFull


def paper_lookup(*, paper_id: int | None) -> Any:
    """The catalogue paper with this id, or None (eligibility is checked by the service)."""
    if not paper_id:
        return None
    from courseweb.papers.models import Paper

    paper = Paper.objects.filter(pk=paper_id).first()
    if paper is None:
        raise SignupError(services.ERROR_PAPER_NOT_ELIGIBLE)
    return paper


@require_login
def index(request: HttpRequest) -> HttpResponse:
    offering = access_offering(request.user)
    group = group_for_user(user=request.user, offering=offering)
    sheets = [(s, services.sheet_state(sheet=s)) for s in sheet_list(offering=offering)]
    return render(
        request,
        "signups/index.html",
        {"sheets": sheets, "group": group, "mine": signup_list_for_group(group=group) if group else []},
    )


def _sheet_context(request: HttpRequest, sheet: Sheet) -> dict:
    group = group_for_user(user=request.user, offering=sheet.offering)
    board = sheet_board(sheet=sheet, group=group)
    mine = [row.mine for row in board.rows if row.mine is not None]
    # A group with exactly one entry on the sheet can move it to a free slot, or ask another group to swap.
    movable = mine[0] if len(mine) == 1 and board.state == "open" and board.can_drop else None
    requests = swap_requests_open(sheet=sheet, group=group)
    return {
        "sheet": sheet,
        "board": board,
        "group": group,
        "movable": movable,
        "swappable": movable if movable and movable.status == SignupStatus.CONFIRMED else None,
        "swap_incoming": [r for r in requests if r.to_signup.group_id == group.pk],
        "swap_outgoing": [r for r in requests if r.from_signup.group_id == group.pk],
        "asked": {r.to_signup_id for r in requests if r.from_signup.group_id == group.pk},
        "papers": paper_choices(sheet=sheet) if board.state == "open" else [],
        "may_sign_up": group is not None
        and board.state == "open"
        and (board.my_signup is None or not sheet.one_per_group),
    }


@require_login
def sheet_detail(request: HttpRequest, sheet_id: int) -> HttpResponse:
    sheet = access_sheet(request.user, sheet_id)
    return render(request, "signups/sheet.html", _sheet_context(request, sheet))


@require_login
def board(request: HttpRequest, sheet_id: int) -> HttpResponse:
    """The board alone, polled by the sheet page for live availability."""
    sheet = access_sheet(request.user, sheet_id)
    return render(request, "signups/_board.html", _sheet_context(request, sheet))


@require_POST
@require_login
def signup(request: HttpRequest, slot_id: int) -> HttpResponse:
    slot = access_slot(request.user, slot_id)
    form = SignupForm(request.POST)
    paper_id = form.cleaned_data.get("paper") if form.is_valid() else None
    group = group_for_user(user=request.user, offering=slot.sheet.offering)
    try:
        created = services.signup_create(
            slot=slot, group=group, user=request.user, paper=paper_lookup(paper_id=paper_id)
        )
    except SignupError as exc:
        messages.error(request, str(exc))
        status = 409 if isinstance(exc, SignupFull) else 400
        return render(request, "signups/sheet.html", _sheet_context(request, slot.sheet), status=status)
    if created.status == SignupStatus.CONFIRMED:
        messages.success(request, f"Done: your group has a place on {slot}.")
    else:
        messages.success(request, f"The slot is full; your group is on its waitlist for {slot}.")
    return redirect("signups:sheet", sheet_id=slot.sheet_id, permanent=False)


@require_http_methods(["GET", "POST"])
@require_login
def drop(request: HttpRequest, signup_id: int) -> HttpResponse:
    """GET: what dropping would do, and a button to confirm.  POST with `confirm`: drop, and say what happened."""
    own = access_signup_own(request.user, signup_id)
    if own.status not in (SignupStatus.CONFIRMED, SignupStatus.WAITLISTED):
        messages.info(request, "That entry was already dropped.")
        return redirect("signups:sheet", sheet_id=own.sheet_id)
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        was_confirmed = own.status == SignupStatus.CONFIRMED
        try:
            dropped = services.signup_drop(signup=own, user=request.user)
        except SignupError as exc:
            messages.error(request, str(exc))
            return redirect("signups:sheet", sheet_id=own.sheet_id)
        if not was_confirmed:
            text = f"Your group left the waitlist for {own.slot}."
        elif dropped.promoted:
            names = ", ".join(f"“{p.group.name}”" for p in dropped.promoted)
            text = f"Your group dropped its place on {own.slot}. {names} moved up from the waitlist and now holds it."
        else:
            text = f"Your group dropped its place on {own.slot}. The place is free again for any group."
        messages.success(request, text)
        return redirect("signups:sheet", sheet_id=own.sheet_id)
    sheet = own.sheet
    return render(
        request,
        "signups/drop_confirm.html",
        {
            "signup": own,
            "sheet": sheet,
            "can_drop": timezone.now() <= sheet.drop_deadline,
            "can_move": services.sheet_state(sheet=sheet) == "open" and timezone.now() <= sheet.drop_deadline,
            **signup_drop_preview(signup=own),
        },
    )


def _refused(request: HttpRequest, sheet: Sheet, exc: SignupError) -> HttpResponse:
    messages.error(request, str(exc))
    status = 409 if isinstance(exc, SignupFull) else 400
    return render(request, "signups/sheet.html", _sheet_context(request, sheet), status=status)


@require_POST
@require_login
def move(request: HttpRequest, signup_id: int) -> HttpResponse:
    """Move the group's entry to a free place on another slot in one step; refused, it keeps its place."""
    own = access_signup_own(request.user, signup_id)
    try:
        target = access_slot(request.user, int(request.POST.get("to_slot", "")))
    except ValueError:
        return _refused(request, own.sheet, SignupError("Choose the slot to move to."))
    old_slot = own.slot
    try:
        moved = services.signup_move(signup=own, to_slot=target, user=request.user)
    except SignupError as exc:
        return _refused(request, own.sheet, exc)
    text = f"Done: your group moved from {old_slot} to {target}."
    if moved.promoted:
        text += " " + ", ".join(f"“{p.group.name}”" for p in moved.promoted) + " moved up into the old place."
    messages.success(request, text)
    return redirect("signups:sheet", sheet_id=own.sheet_id)


@require_POST
@require_login
def swap_request(request: HttpRequest, signup_id: int) -> HttpResponse:
    """Ask the group holding another place to swap it for ours."""
    own = access_signup_own(request.user, signup_id)
    try:
        theirs = access_signup_in_offering(request.user, int(request.POST.get("with", "")))
    except ValueError:
        return _refused(request, own.sheet, SignupError("Choose the place to ask for."))
    try:
        services.swap_request_create(signup=own, with_signup=theirs, user=request.user)
    except SignupError as exc:
        return _refused(request, own.sheet, exc)
    messages.success(
        request,
        f"Asked “{theirs.group.name}” to swap their {theirs.slot} for your {own.slot}. "
        "Your group keeps its place until they accept.",
    )
    return redirect("signups:sheet", sheet_id=own.sheet_id)


@require_POST
@require_login
def swap_answer(request: HttpRequest, request_id: int, action: str) -> HttpResponse:
    """Accept or decline a request made to our group, or withdraw our own."""
    swap = access_swap_request(request.user, request_id)
    try:
        if action == "accept":
            services.swap_request_accept(request=swap, user=request.user)
            text = f"Swapped: your group now holds {swap.from_slot}, and “{swap.from_signup.group.name}” holds {swap.to_slot}."
        elif action == "decline":
            services.swap_request_answer(request=swap, user=request.user, decline=True)
            text = f"You declined the swap with “{swap.from_signup.group.name}”; your group keeps {swap.to_slot}."
        else:
            services.swap_request_answer(request=swap, user=request.user, decline=False)
            text = f"You withdrew your request to “{swap.to_signup.group.name}”."
    except SignupError as exc:
        return _refused(request, swap.sheet, exc)
    messages.success(request, text)
    return redirect("signups:sheet", sheet_id=swap.sheet_id)
