"""Account pages: log-in (with the lockout page axes shows), profile and the staff roster import."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import LoginView, LogoutView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from courseweb.access import is_instructor, require_login, require_staff
from courseweb.courses.selectors import offering_current

from .forms import LoginForm, RosterUploadForm, lockout_minutes, lockout_rule
from .selectors import lockout_ends_at, role_change_list
from .services import roster_import


class CourseLoginView(LoginView):
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "lockout_rule": lockout_rule()}


class CourseLogoutView(LogoutView):
    """Log out of the site, then of the course's JupyterHub: the hub's `/hub/logout` clears its log-in cookie and
    revokes this browser session's tokens (the single-user server's cookie too), then sends the browser back to
    the site (the hub's `logout_redirect_url`, course_hub.config).  Without a hub, the site's home page."""

    def get_success_url(self) -> str:
        from courseweb.hub.client import hub_configured

        if hub_configured():
            return f"{settings.HUB_URL}/hub/logout"
        return super().get_success_url()


def lockout(request: HttpRequest, original_response=None, credentials: dict | None = None) -> HttpResponse:
    """axes' AXES_LOCKOUT_CALLABLE: the log-in page again, saying why and until when, with HTTP 429."""
    typed = request.POST.get("username", "")
    ends_at = lockout_ends_at(request=request, credentials=credentials)
    context = {
        "form": LoginForm(request, initial={"username": typed}),
        "next": request.POST.get("next", request.GET.get("next", "")),
        "locked_out": True,
        "lockout_minutes": lockout_minutes(),
        "lockout_ends_at": timezone.localtime(ends_at) if ends_at else None,
        "lockout_rule": lockout_rule(),
    }
    return render(request, "registration/login.html", context, status=429)


@require_login
def profile(request):
    from courseweb.notifications.forms import PreferencesForm
    from courseweb.notifications.selectors import preferences_for

    current = {kind: delivery for kind, _label, delivery in preferences_for(user=request.user)}
    return render(
        request, "accounts/profile.html", {"notification_form": PreferencesForm(initial_choices=current)}
    )


@require_staff
def roster(request):
    offering = offering_current()
    report = None
    if request.method == "POST":
        form = RosterUploadForm(request.POST, request.FILES)
        if form.is_valid():
            report = roster_import(
                offering=offering,
                csv_text=form.cleaned_data["roster"],
                send_invitations=form.cleaned_data["send_invitations"],
                actor=request.user,
            )
            if not report.errors:
                messages.success(request, f"Roster imported ({report.summary()}).")
                return redirect("roster")
    else:
        form = RosterUploadForm()
    from courseweb.courses.selectors import enrollment_list

    return render(
        request,
        "accounts/roster.html",
        {
            "form": form,
            "report": report,
            "enrollments": enrollment_list(offering=offering) if offering else [],
            "role_changes": (
                role_change_list(offering=offering)
                if offering and is_instructor(request.user, offering)
                else None
            ),
            "can_change_roles": bool(offering) and is_instructor(request.user, offering),
        },
    )
