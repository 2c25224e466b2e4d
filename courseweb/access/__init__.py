"""Who may do what: the one place that decides permissions.

Core checks live here; each app adds `courseweb/access/<app>.py` with `access_*` helpers that fetch an object and
check the user in one call.  Views and templates never test roles themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

if TYPE_CHECKING:
    from typing import TypeAlias

    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

    from courseweb.accounts.models import User
    from courseweb.courses.models import Offering

    # Whoever makes a request: a user of the site or an anonymous visitor (`request.user`).
    SiteUser: TypeAlias = User | AnonymousUser
    View: TypeAlias = Callable[..., HttpResponse]

ERROR_STAFF_ONLY = "This page is for the course staff."


def role_in(user: SiteUser | None, offering: Offering | None) -> str | None:
    """The user's role in the offering ("student", "ta", "instructor") or None."""
    if user is None or not user.is_authenticated or offering is None:
        return None
    cache = user.__dict__.setdefault("_course_roles", {})
    if offering.pk not in cache:
        from courseweb.courses.models import Enrollment

        cache[offering.pk] = (
            Enrollment.objects.filter(user=user, offering=offering).values_list("role", flat=True).first()
        )
    return cache[offering.pk]


def _has_role(user: SiteUser | None, offering: Offering | None, roles: tuple[str, ...] | None) -> bool:
    """Logged in and holding one of `roles` in the offering (the current one by default; `roles=None`: any
    role); site superusers always."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if offering is None:
        from courseweb.courses.selectors import offering_current

        offering = offering_current()
    role = role_in(user, offering)
    return role is not None if roles is None else role in roles


def is_course_staff(user: SiteUser | None, offering: Offering | None = None) -> bool:
    """Instructors and TAs of the offering, and site superusers."""
    return _has_role(user, offering, ("ta", "instructor"))


def is_instructor(user: SiteUser | None, offering: Offering | None = None) -> bool:
    return _has_role(user, offering, ("instructor",))


ERROR_NOT_ENROLLED = "This page is for the students and staff enrolled in this course."


def is_enrolled(user: SiteUser | None, offering: Offering | None = None) -> bool:
    """Enrolled in the offering in any role (student, TA, instructor), or a site superuser."""
    return _has_role(user, offering, None)


def check_enrolled(user: SiteUser | None, offering: Offering | None = None) -> None:
    """Enrollment gates every read of a course's content; a logged-in outsider gets 403."""
    if not is_enrolled(user, offering):
        raise PermissionDenied(ERROR_NOT_ENROLLED)


def check_staff(user: SiteUser | None, offering: Offering | None = None) -> None:
    if not is_course_staff(user, offering):
        raise PermissionDenied(ERROR_STAFF_ONLY)


MSG_SESSION_EXPIRED = "Your session expired, so that was not saved. Log in and do it again."


def login_redirect(request: HttpRequest) -> HttpResponseRedirect:
    """Send an anonymous visitor to log in. A GET comes back to its own URL; a form sent after the session expired
    comes back to the page it was sent from (never to a POST-only URL, which would answer 405) and says so."""
    if request.method in ("GET", "HEAD"):
        return redirect_to_login(request.get_full_path())
    from urllib.parse import urlparse

    from django.contrib import messages
    from django.utils.http import url_has_allowed_host_and_scheme

    referer = request.META.get("HTTP_REFERER", "")
    back = "/"
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parsed = urlparse(referer)
        back = (parsed.path or "/") + (f"?{parsed.query}" if parsed.query else "")
    messages.warning(request, MSG_SESSION_EXPIRED)
    return redirect_to_login(back)


def require_login(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return login_redirect(request)
        return view(request, *args, **kwargs)

    return wrapper


def require_staff(view: View) -> View:
    """Anonymous visitors are sent to log in; logged-in non-staff get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return login_redirect(request)
        check_staff(request.user)
        return view(request, *args, **kwargs)

    return wrapper
