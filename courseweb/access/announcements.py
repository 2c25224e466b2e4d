"""Who may read and write announcements: staff write; members read all; everyone reads the public ones."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404

from courseweb.access import check_staff, is_course_staff, role_in


def can_read_all(user: Any, offering) -> bool:
    return is_course_staff(user, offering) or role_in(user, offering) is not None


def can_write(user: Any, offering) -> bool:
    return is_course_staff(user, offering)


def access_announcement_read(user: Any, offering, pk: int):
    """The announcement if the user may read it; a 404 otherwise (a members-only one does not leak its title)."""
    from courseweb.announcements.models import Announcement

    qs = Announcement.objects.filter(offering=offering)
    if not can_read_all(user, offering):
        qs = qs.filter(public=True)
    return get_object_or_404(qs, pk=pk)


def access_announcement_write(user: Any, offering, pk: int):
    from courseweb.announcements.models import Announcement

    check_staff(user, offering)
    return get_object_or_404(Announcement, offering=offering, pk=pk)
