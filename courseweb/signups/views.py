"""Student pages for sign-ups: the list of sheets, a sheet with live availability, sign up and drop.

A refused sign-up re-renders the sheet with the reason and an HTTP error status (409 when the slot is full),
so a click that lost a race gets a clear answer at once; a successful one redirects to the sheet.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from courseweb.access import require_login
from courseweb.access.groups import access_offering
from courseweb.access.signups import access_sheet, access_signup_own, access_slot
from courseweb.groups.selectors import group_for_user

from . import services
from .forms import SignupForm
from .models import Sheet, SignupStatus
from .selectors import paper_choices, sheet_board, sheet_list, signup_list_for_group
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
    return {
        "sheet": sheet,
        "board": board,
        "group": group,
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


@require_POST
@require_login
def drop(request: HttpRequest, signup_id: int) -> HttpResponse:
    own = access_signup_own(request.user, signup_id)
    try:
        services.signup_drop(signup=own, user=request.user)
    except SignupError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Your group gave up its entry on {own.slot}.")
    return redirect("signups:sheet", sheet_id=own.sheet_id)
