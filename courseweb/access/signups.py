"""Who may see and change sign-ups: enrolled people see the sheets of the current offering; group members drop
their own group's sign-ups; staff manage every sheet.  Each helper fetches and checks in one call."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from courseweb.access.groups import access_offering, access_staff_offering
from courseweb.signups.models import Sheet, Signup, Slot


def access_sheet(user: Any, sheet_id: int) -> Sheet:
    offering = access_offering(user)
    sheet = Sheet.objects.select_related("offering").filter(offering=offering, pk=sheet_id).first()
    if sheet is None:
        raise Http404("No such sign-up sheet.")
    return sheet


def access_slot(user: Any, slot_id: int) -> Slot:
    offering = access_offering(user)
    slot = Slot.objects.select_related("sheet__offering", "session").filter(
        sheet__offering=offering, pk=slot_id
    )
    found = slot.first()
    if found is None:
        raise Http404("No such slot.")
    return found


def access_signup_own(user: Any, signup_id: int) -> Signup:
    """A sign-up of a group the user belongs to (anyone else gets 404)."""
    offering = access_offering(user)
    signup = (
        Signup.objects.select_related("sheet", "group", "slot")
        .filter(offering=offering, pk=signup_id, group__memberships__user=user)
        .first()
    )
    if signup is None:
        raise Http404("No such sign-up.")
    return signup


def access_sheet_staff(user: Any, sheet_id: int) -> Sheet:
    offering = access_staff_offering(user)
    sheet = Sheet.objects.select_related("offering").filter(offering=offering, pk=sheet_id).first()
    if sheet is None:
        raise Http404("No such sign-up sheet.")
    return sheet
