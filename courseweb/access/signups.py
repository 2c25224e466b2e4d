"""Who may see and change sign-ups: enrolled people see the sheets of the current offering; group members drop
their own group's sign-ups; staff manage every sheet.  Each helper fetches and checks in one call."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q
from django.http import Http404

from courseweb.access.groups import access_offering, access_staff_offering
from courseweb.signups.models import ACTIVE, Sheet, Signup, Slot, SwapRequest

if TYPE_CHECKING:
    from courseweb.access import SiteUser


def access_sheet(user: SiteUser, sheet_id: int) -> Sheet:
    offering = access_offering(user)
    sheet = Sheet.objects.select_related("offering").filter(offering=offering, pk=sheet_id).first()
    if sheet is None:
        raise Http404("No such sign-up sheet.")
    return sheet


def access_slot(user: SiteUser, slot_id: int) -> Slot:
    offering = access_offering(user)
    slot = Slot.objects.select_related("sheet__offering", "session").filter(
        sheet__offering=offering, pk=slot_id
    )
    found = slot.first()
    if found is None:
        raise Http404("No such slot.")
    return found


def access_signup_own(user: SiteUser, signup_id: int) -> Signup:
    """A sign-up of a group the user belongs to (anyone else gets 404)."""
    offering = access_offering(user)
    signup = (
        Signup.objects.select_related("sheet", "group", "slot")
        .filter(offering=offering, pk=signup_id, group__memberships__user=user.pk)
        .first()
    )
    if signup is None:
        raise Http404("No such sign-up.")
    return signup


def access_sheet_staff(user: SiteUser, sheet_id: int) -> Sheet:
    offering = access_staff_offering(user)
    sheet = Sheet.objects.select_related("offering").filter(offering=offering, pk=sheet_id).first()
    if sheet is None:
        raise Http404("No such sign-up sheet.")
    return sheet


def access_signup_in_offering(user: SiteUser, signup_id: int) -> Signup:
    """Any active sign-up of the user's offering (the sheet shows them all), e.g. the place asked for a swap."""
    offering = access_offering(user)
    signup = (
        Signup.objects.select_related("sheet", "group", "slot")
        .filter(offering=offering, pk=signup_id, status__in=ACTIVE)
        .first()
    )
    if signup is None:
        raise Http404("No such sign-up.")
    return signup


def access_swap_request(user: SiteUser, request_id: int) -> SwapRequest:
    """A swap request made or received by a group the user belongs to (anyone else gets 404)."""
    offering = access_offering(user)
    request = (
        SwapRequest.objects.select_related(
            "sheet", "from_signup__group", "to_signup__group", "from_slot", "to_slot"
        )
        .filter(
            Q(from_signup__group__memberships__user=user) | Q(to_signup__group__memberships__user=user),
            sheet__offering=offering,
            pk=request_id,
        )
        .distinct()
        .first()
    )
    if request is None:
        raise Http404("No such swap request.")
    return request
