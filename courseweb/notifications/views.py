"""Notifications: the list with mark-read, opening one (marks it read), and the e-mail preferences."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from courseweb.access import require_login

from .forms import PreferencesForm
from .models import Notification
from .selectors import notification_list, preferences_for
from .services import notification_mark_read, notifications_mark_all_read, preferences_set


@require_login
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request, "notifications/index.html", {"notifications": notification_list(user=request.user)}
    )


def _own(request: HttpRequest, pk: int) -> Notification:
    try:
        return notification_mark_read(user=request.user, notification_id=pk)
    except Notification.DoesNotExist as exc:
        raise Http404("No such notification.") from exc


@require_login
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark it read and go to its page (only a page of this site)."""
    notification = _own(request, pk)
    url = notification.url
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=False):
        return redirect(url)
    return redirect("notifications:index")


@require_login
@require_POST
def read(request: HttpRequest, pk: int) -> HttpResponse:
    _own(request, pk)
    return redirect("notifications:index")


@require_login
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    count = notifications_mark_all_read(user=request.user)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} as read.")
    return redirect("notifications:index")


@require_login
def preferences(request: HttpRequest) -> HttpResponse:
    current = {kind: delivery for kind, _label, delivery in preferences_for(user=request.user)}
    if request.method == "POST":
        form = PreferencesForm(request.POST, initial_choices=current)
        if form.is_valid():
            preferences_set(user=request.user, choices=form.cleaned_data)
            messages.success(request, "Your notification settings are saved.")
            return redirect("notifications:preferences")
    else:
        form = PreferencesForm(initial_choices=current)
    return render(request, "notifications/preferences.html", {"form": form})
