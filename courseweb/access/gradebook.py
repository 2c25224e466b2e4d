"""Who may see grades: staff see the whole gradebook and export it; a student sees only their own row and the
class distribution of each item (histograms, no names)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import Http404

from courseweb.access import is_course_staff, role_in

if TYPE_CHECKING:
    from courseweb.access import SiteUser
    from courseweb.courses.models import CourseworkItem, Offering

ERROR_NOT_ENROLLED = "You are not enrolled in this course."


def _offering() -> Offering:
    from courseweb.courses.selectors import offering_current

    offering = offering_current()
    if offering is None:
        raise Http404("No course offering yet.")
    return offering


def can_see_gradebook(user: SiteUser, offering: Offering | None) -> bool:
    return is_course_staff(user, offering)


def access_gradebook_staff(user: SiteUser) -> Offering:
    offering = _offering()
    if not is_course_staff(user, offering):
        raise PermissionDenied("The gradebook is for the course staff.")
    return offering


def access_own_grades(user: SiteUser) -> Offering:
    """The offering whose grades the user may see for themselves (any enrolled role)."""
    offering = _offering()
    if not is_course_staff(user, offering) and role_in(user, offering) is None:
        raise PermissionDenied(ERROR_NOT_ENROLLED)
    return offering


def access_item_distribution(user: SiteUser, slug: str) -> CourseworkItem:
    """An item of the current offering whose score distribution the user may see (staff and enrolled students)."""
    from courseweb.courses.models import CourseworkItem

    offering = access_own_grades(user)
    item = CourseworkItem.objects.filter(offering=offering, slug=slug).first()
    if item is None:
        raise Http404("No such coursework item.")
    return item
