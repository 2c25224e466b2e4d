"""Staff pages for sign-up sheets: create sheets, edit windows, assign, move, swap, drop, capacity, CSV export."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from courseweb.access import require_staff
from courseweb.access.groups import access_staff_offering
from courseweb.access.signups import access_sheet_staff

from . import staff
from .export import sheet_csv
from .forms import (
    AssignForm,
    CapacityForm,
    MoveForm,
    SheetCreateForm,
    SheetUpdateForm,
    SignupRefForm,
    SwapForm,
)
from .models import Sheet
from .selectors import groups_without_signup, paper_choices, sheet_board, sheet_list
from .services import SignupError
from .views import paper_lookup


@require_staff
def manage(request: HttpRequest) -> HttpResponse:
    """All sheets of the offering, and the form to create one."""
    offering = access_staff_offering(request.user)
    form = SheetCreateForm(request.POST or None, offering=offering)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sheet = staff.sheet_create(
                offering=offering,
                staff=request.user,
                kind=data["kind"],
                title=data["title"],
                description=data["description"],
                opens_at=data["opens_at"],
                closes_at=data["closes_at"],
                locks_at=data["locks_at"],
                sessions=list(data["sessions"]),
                slots_per_session=data["slots_per_session"],
                slot_minutes=data["slot_minutes"],
                capacity=data["capacity"],
                one_per_group=data["one_per_group"],
                waitlist_enabled=data["waitlist_enabled"],
            )
        except SignupError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Sheet “{sheet.title}” created with {sheet.slots.count()} slots.")
            return redirect("signups:manage_sheet", sheet_id=sheet.pk)
    return render(request, "signups/manage.html", {"sheets": sheet_list(offering=offering), "form": form})


def _sheet_forms(sheet: Sheet) -> dict:
    return {
        "update_form": SheetUpdateForm(
            initial={
                "title": sheet.title,
                "description": sheet.description,
                "opens_at": sheet.opens_at,
                "closes_at": sheet.closes_at,
                "locks_at": sheet.locks_at,
                "waitlist_enabled": sheet.waitlist_enabled,
            }
        ),
        "swap_form": SwapForm(sheet=sheet),
        "move_targets": list(sheet.slots.select_related("session", "sheet")),
    }


@require_staff
def manage_sheet(request: HttpRequest, sheet_id: int) -> HttpResponse:
    sheet = access_sheet_staff(request.user, sheet_id)
    return render(
        request,
        "signups/manage_sheet.html",
        {
            "sheet": sheet,
            "board": sheet_board(sheet=sheet),
            "idle_groups": list(groups_without_signup(sheet=sheet)),
            "papers": paper_choices(sheet=sheet),
            **_sheet_forms(sheet),
        },
    )


def _act(request: HttpRequest, sheet: Sheet, form, action: Callable[[dict], str]) -> HttpResponse:
    """Validate a staff form, run the service and report its outcome on the sheet's management page."""
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, errors or "Please check the form.")
    else:
        try:
            messages.success(request, action(form.cleaned_data))
        except SignupError as exc:
            messages.error(request, str(exc))
    return redirect("signups:manage_sheet", sheet_id=sheet.pk)


@require_POST
@require_staff
def sheet_update(request: HttpRequest, sheet_id: int) -> HttpResponse:
    sheet = access_sheet_staff(request.user, sheet_id)

    def run(d: dict) -> str:
        staff.sheet_update(
            sheet=sheet,
            staff=request.user,
            title=d["title"],
            description=d["description"],
            opens_at=d["opens_at"],
            closes_at=d["closes_at"],
            locks_at=d["locks_at"],
            waitlist_enabled=d["waitlist_enabled"],
        )
        return "Sheet updated."

    return _act(request, sheet, SheetUpdateForm(request.POST), run)


@require_POST
@require_staff
def assign(request: HttpRequest, sheet_id: int) -> HttpResponse:
    sheet = access_sheet_staff(request.user, sheet_id)

    def run(d: dict) -> str:
        paper = paper_lookup(paper_id=d.get("paper"))
        staff.signup_assign(staff=request.user, slot=d["slot"], group=d["group"], paper=paper)
        return f"“{d['group'].name}” assigned to {d['slot']}."

    return _act(request, sheet, AssignForm(request.POST, sheet=sheet), run)


@require_POST
@require_staff
def move(request: HttpRequest, sheet_id: int) -> HttpResponse:
    sheet = access_sheet_staff(request.user, sheet_id)

    def run(d: dict) -> str:
        staff.signup_move(staff=request.user, signup=d["signup"], to_slot=d["to_slot"])
        return f"“{d['signup'].group.name}” moved to {d['to_slot']}."

    return _act(request, sheet, MoveForm(request.POST, sheet=sheet), run)


@require_POST
@require_staff
def swap(request: HttpRequest, sheet_id: int) -> HttpResponse:
    sheet = access_sheet_staff(request.user, sheet_id)

    def run(d: dict) -> str:
        staff.signup_swap(staff=request.user, first=d["first"], second=d["second"])
        return f"Swapped “{d['first'].group.name}” and “{d['second'].group.name}”."

    return _act(request, sheet, SwapForm(request.POST, sheet=sheet), run)


@require_POST
@require_staff
def staff_drop(request: HttpRequest, sheet_id: int) -> HttpResponse:
    sheet = access_sheet_staff(request.user, sheet_id)

    def run(d: dict) -> str:
        staff.signup_staff_drop(staff=request.user, signup=d["signup"])
        return f"“{d['signup'].group.name}” dropped from {d['signup'].slot}."

    return _act(request, sheet, SignupRefForm(request.POST, sheet=sheet), run)


@require_POST
@require_staff
def capacity(request: HttpRequest, sheet_id: int) -> HttpResponse:
    sheet = access_sheet_staff(request.user, sheet_id)

    def run(d: dict) -> str:
        staff.slot_capacity_set(staff=request.user, slot=d["slot"], capacity=d["capacity"])
        return f"{d['slot']} now holds {d['capacity']} group(s)."

    return _act(request, sheet, CapacityForm(request.POST, sheet=sheet), run)


@require_staff
def export_csv(request: HttpRequest, sheet_id: int) -> HttpResponse:
    sheet = access_sheet_staff(request.user, sheet_id)
    # The byte-order mark lets spreadsheet programs read the UTF-8 names correctly.
    response = HttpResponse("\ufeff" + sheet_csv(sheet=sheet), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{sheet.offering.slug}-{sheet.kind}-{sheet.pk}.csv"'
    )
    return response
