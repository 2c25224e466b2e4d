"""Template context shared by every page: the current offering and the visitor's role in it."""

from __future__ import annotations

from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    from courseweb.access import is_course_staff, role_in
    from courseweb.courses.selectors import offering_current

    offering = offering_current()
    user = getattr(request, "user", None)
    role = role_in(user, offering) if offering and user and user.is_authenticated else None
    return {
        "offering": offering,
        "course_role": role,
        "is_staff_view": bool(user and user.is_authenticated and is_course_staff(user, offering)),
    }
