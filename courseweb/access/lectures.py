"""Who may do what with lecture materials.

- The schedule is public; a session's page (its materials) and the materials' files are for people enrolled in
  the offering (students, TAs, instructors) and site superusers.
- Adding, reordering and removing materials: the course staff (TAs and instructors).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import Http404

from courseweb.access import is_course_staff, role_in
from courseweb.courses.models import Offering
from courseweb.lectures.models import Material

if TYPE_CHECKING:
    from courseweb.access import SiteUser

ERROR_NOT_ENROLLED = "Lecture materials are for the students and staff enrolled in this course."
ERROR_MATERIALS_STAFF = "Only the course staff can change a session's materials."


def can_download_materials(user: SiteUser, offering: Offering) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return user.is_superuser or role_in(user, offering) is not None


def check_session_page(user: SiteUser, offering: Offering) -> None:
    if not can_download_materials(user, offering):
        raise PermissionDenied(ERROR_NOT_ENROLLED)


def can_manage_materials(user: SiteUser, offering: Offering) -> bool:
    return is_course_staff(user, offering)


def access_material_download(
    user: SiteUser, *, offering: Offering, number: int, material_id: int
) -> Material:
    material = (
        Material.objects.select_related("session")
        .filter(pk=material_id, session__offering=offering, session__number=number)
        .first()
    )
    if material is None or not material.file:
        raise Http404("No such file.")
    if not can_download_materials(user, offering):
        raise PermissionDenied(ERROR_NOT_ENROLLED)
    return material


def check_manage_materials(user: SiteUser, offering: Offering) -> None:
    if not can_manage_materials(user, offering):
        raise PermissionDenied(ERROR_MATERIALS_STAFF)


def access_material_manage(user: SiteUser, *, offering: Offering, number: int, material_id: int) -> Material:
    check_manage_materials(user, offering)
    material = (
        Material.objects.select_related("session")
        .filter(pk=material_id, session__offering=offering, session__number=number)
        .first()
    )
    if material is None:
        raise Http404("No such material.")
    return material
