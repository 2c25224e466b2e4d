"""Personal calendars: a page to show, copy, regenerate and revoke the secret URL, and the feed behind it."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from courseweb.access import require_login
from courseweb.courses.selectors import offering_current

from .ical import personal_calendar_build
from .models import CalendarToken
from .services import calendar_token_regenerate, calendar_token_revoke


def _feed_url(token: CalendarToken) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{reverse('calendar_feed', args=[token.token])}"


@require_login
@never_cache
def calendar_page(request: HttpRequest) -> HttpResponse:
    token = CalendarToken.objects.filter(user=request.user).first()
    context = {
        "token": token,
        "feed_url": _feed_url(token) if token else "",
        "course_url": f"{settings.SITE_URL.rstrip('/')}{reverse('schedule_ics')}",
    }
    return render(request, "lectures/calendar.html", context)


@require_login
@require_POST
def calendar_regenerate(request: HttpRequest) -> HttpResponse:
    had = CalendarToken.objects.filter(user=request.user).exists()
    calendar_token_regenerate(user=request.user)
    if had:
        messages.success(
            request, "New calendar URL created; the old one no longer works. Update your calendar app."
        )
    else:
        messages.success(request, "Your personal calendar URL is ready: copy it into your calendar app.")
    return redirect("calendar_page")


@require_login
@require_POST
def calendar_revoke(request: HttpRequest) -> HttpResponse:
    if calendar_token_revoke(user=request.user):
        messages.success(request, "Calendar URL revoked: calendar apps can no longer read it.")
    return redirect("calendar_page")


@require_GET
@never_cache
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The secret feed: no login (calendar apps cannot log in); an unknown or revoked token is a 404."""
    record = CalendarToken.objects.select_related("user").filter(token=token).first()
    offering = offering_current()
    if record is None or offering is None or not record.user.is_active:
        raise Http404("No such calendar.")
    CalendarToken.objects.filter(pk=record.pk).update(last_used_at=timezone.now())
    body = personal_calendar_build(offering=offering, user=record.user, site_url=settings.SITE_URL)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{offering.slug}-my-deadlines.ics"'
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
