"""Who may see buddy evaluations: a member sees and changes only their own answer to their own group's
evaluation; a student never sees the buddy's ratings or anyone's comment for staff; staff see everything."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import Http404

from courseweb.access import is_course_staff, role_in

if TYPE_CHECKING:
    from courseweb.access import SiteUser
    from courseweb.courses.models import CourseworkItem, Offering
    from courseweb.peer.models import PeerEvaluation

ERROR_NOT_ENROLLED = "You are not enrolled in this course."
ERROR_STAFF_ONLY = "Buddy evaluation results are for the course staff."


def _offering() -> Offering:
    from courseweb.courses.selectors import offering_current

    offering = offering_current()
    if offering is None:
        raise Http404("No course offering yet.")
    return offering


def access_peer_home(user: SiteUser) -> Offering:
    offering = _offering()
    if not is_course_staff(user, offering) and role_in(user, offering) is None:
        raise PermissionDenied(ERROR_NOT_ENROLLED)
    return offering


def access_peer_staff(user: SiteUser) -> Offering:
    offering = _offering()
    if not is_course_staff(user, offering):
        raise PermissionDenied(ERROR_STAFF_ONLY)
    return offering


def access_own_evaluation(user: SiteUser, pk: int) -> PeerEvaluation:
    """An evaluation of the user's own group that the user rates (they were a member and have not left)."""
    from courseweb.peer.models import PeerEvaluation

    offering = access_peer_home(user)
    evaluation = PeerEvaluation.objects.filter(pk=pk, offering=offering).select_related("item").first()
    if evaluation is None or user.pk not in evaluation.raters:
        raise Http404("No such buddy evaluation for you.")
    return evaluation


def access_peer_item(user: SiteUser, slug: str) -> CourseworkItem:
    from courseweb.courses.models import CourseworkItem

    offering = access_peer_staff(user)
    item = CourseworkItem.objects.filter(offering=offering, slug=slug).first()
    if item is None:
        raise Http404("No such coursework item.")
    return item
