"""Who may read and write announcements: staff write; members read all; everyone reads the public ones."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.shortcuts import get_object_or_404

from courseweb.access import check_staff, is_course_staff, role_in

if TYPE_CHECKING:
    from courseweb.access import SiteUser
    from courseweb.announcements.models import Announcement
    from courseweb.courses.models import Offering


def can_read_all(user: SiteUser, offering: Offering) -> bool:
    return is_course_staff(user, offering) or role_in(user, offering) is not None


def can_write(user: SiteUser, offering: Offering) -> bool:
    return is_course_staff(user, offering)


def access_announcement_read(user: SiteUser, offering: Offering, pk: int) -> Announcement:
    """The announcement if the user may read it; a 404 otherwise (a members-only one does not leak its title)."""
    from courseweb.announcements.models import Announcement

    qs = Announcement.objects.filter(offering=offering)
    if not can_read_all(user, offering):
        qs = qs.filter(public=True)
    return get_object_or_404(qs, pk=pk)


def access_announcement_write(user: SiteUser, offering: Offering, pk: int) -> Announcement:
    from courseweb.announcements.models import Announcement

    check_staff(user, offering)
    return get_object_or_404(Announcement, offering=offering, pk=pk)
