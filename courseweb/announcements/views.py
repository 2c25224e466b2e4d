"""Announcements: the archive, one announcement, staff's form, marking read, and the feeds page."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from courseweb.access import check_staff, require_login
from courseweb.access.announcements import (
    access_announcement_read,
    access_announcement_write,
    can_write,
)
from courseweb.courses.selectors import offering_current

from .feeds import feed_url
from .forms import AnnouncementForm
from .models import FeedToken
from .selectors import announcement_list_visible
from .services import (
    announcement_delete,
    announcement_mark_all_read,
    announcement_mark_read,
    announcement_post,
    announcement_update,
    feed_token_regenerate,
    feed_token_revoke,
)


def _offering():
    offering = offering_current()
    if offering is None:
        raise Http404("No offering is loaded yet.")
    return offering


def _back(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def index(request: HttpRequest) -> HttpResponse:
    offering = _offering()
    items = list(announcement_list_visible(offering=offering, user=request.user))
    return render(
        request,
        "announcements/index.html",
        {"announcements": items, "can_write": can_write(request.user, offering),
         "unread": sum(1 for a in items if getattr(a, "is_read", True) is False)},
    )  # fmt: skip


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    offering = _offering()
    announcement = access_announcement_read(request.user, offering, pk)
    if request.user.is_authenticated:
        announcement_mark_read(announcement=announcement, user=request.user)
    return render(
        request,
        "announcements/detail.html",
        {"a": announcement, "can_write": can_write(request.user, offering)},
    )


@require_login
def create(request: HttpRequest) -> HttpResponse:
    offering = _offering()
    check_staff(request.user, offering)
    form = AnnouncementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        a = announcement_post(offering=offering, author=request.user, **form.cleaned_data)
        messages.success(
            request, "Announcement posted" + (" and queued for e-mail." if a.email_class else ".")
        )
        return redirect("announcements:detail", pk=a.pk)
    return render(request, "announcements/form.html", {"form": form}, status=400 if form.errors else 200)


@require_login
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    offering = _offering()
    announcement = access_announcement_write(request.user, offering, pk)
    form = AnnouncementForm(request.POST or None, instance=announcement)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        announcement_update(
            announcement=announcement,
            title=data["title"],
            body=data["body"],
            pinned=data["pinned"],
            public=data["public"],
            email_class=bool(data.get("email_class")),
        )
        messages.success(request, "Announcement saved.")
        return redirect("announcements:detail", pk=announcement.pk)
    return render(
        request,
        "announcements/form.html",
        {"form": form, "a": announcement},
        status=400 if form.errors else 200,
    )


@require_login
@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    announcement = access_announcement_write(request.user, _offering(), pk)
    announcement_delete(announcement=announcement)
    messages.success(request, "Announcement deleted.")
    return redirect("announcements:index")


@require_login
@require_POST
def read(request: HttpRequest, pk: int) -> HttpResponse:
    announcement = access_announcement_read(request.user, _offering(), pk)
    announcement_mark_read(announcement=announcement, user=request.user)
    return redirect(_back(request, "home"))


@require_login
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    announcement_mark_all_read(offering=_offering(), user=request.user)
    return redirect(_back(request, "announcements:index"))


@require_login
@never_cache
def feeds_page(request: HttpRequest) -> HttpResponse:
    token = FeedToken.objects.filter(user=request.user).first()
    return render(
        request, "announcements/feeds.html", {"token": token, "feed_url": feed_url(token) if token else ""}
    )


@require_login
@require_POST
def feed_regenerate(request: HttpRequest) -> HttpResponse:
    had = FeedToken.objects.filter(user=request.user).exists()
    feed_token_regenerate(user=request.user)
    messages.success(
        request,
        "New feed URL created; the old one no longer works." if had else "Your private feed URL is ready.",
    )
    return redirect("announcements:feeds")


@require_login
@require_POST
def feed_revoke(request: HttpRequest) -> HttpResponse:
    if feed_token_revoke(user=request.user):
        messages.success(request, "Feed URL revoked: feed readers can no longer read it.")
    return redirect("announcements:feeds")
