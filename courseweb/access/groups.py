"""Who may see and change groups: enrolled people see the group pages; invitees answer their own invitations;
members withdraw their group's invitations; staff see everything and make moves.

Each `access_*` helper fetches the object and checks the user in one call, raising PermissionDenied (403) or
Http404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import Http404

from courseweb.access import ERROR_STAFF_ONLY, is_course_staff, role_in
from courseweb.courses.models import Offering
from courseweb.courses.selectors import offering_current
from courseweb.groups.models import Group, Invitation

if TYPE_CHECKING:
    from courseweb.access import SiteUser

ERROR_NOT_ENROLLED = "You are not enrolled in this course."
ERROR_NO_OFFERING = "No course offering is loaded yet."


def access_offering(user: SiteUser) -> Offering:
    """The current offering, for anyone enrolled in it (students, TAs, instructors) or a superuser."""
    offering = offering_current()
    if offering is None:
        raise Http404(ERROR_NO_OFFERING)
    if role_in(user, offering) is None and not is_course_staff(user, offering):
        raise PermissionDenied(ERROR_NOT_ENROLLED)
    return offering


def access_staff_offering(user: SiteUser) -> Offering:
    """The current offering, for its staff only."""
    offering = offering_current()
    if offering is None:
        raise Http404(ERROR_NO_OFFERING)
    if not is_course_staff(user, offering):
        raise PermissionDenied(ERROR_STAFF_ONLY)
    return offering


def is_student(user: SiteUser, offering: Offering) -> bool:
    return role_in(user, offering) == "student"


def access_invitation_received(user: SiteUser, invitation_id: int) -> Invitation:
    """An invitation addressed to this user (others get 404, so invitations cannot be probed)."""
    invitation = (
        Invitation.objects.select_related("group__offering", "offering")
        .filter(pk=invitation_id, invitee=user.pk)
        .first()
    )
    if invitation is None:
        raise Http404("No such invitation.")
    return invitation


def access_invitation_sent(user: SiteUser, invitation_id: int) -> Invitation:
    """An invitation sent by a group this user is a member of."""
    invitation = (
        Invitation.objects.select_related("group__offering", "invitee")
        .filter(pk=invitation_id, group__memberships__user=user.pk)
        .first()
    )
    if invitation is None:
        raise Http404("No such invitation.")
    return invitation


def access_group_staff(user: SiteUser, group_id: int) -> Group:
    """Any group of the current offering, for staff."""
    offering = access_staff_offering(user)
    group = Group.objects.filter(offering=offering, pk=group_id).first()
    if group is None:
        raise Http404("No such group.")
    return group
