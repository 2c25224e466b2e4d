"""Atom feeds: the public one (`/announcements/feed/`) and each user's private one at a secret URL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed

from courseweb.courses.models import Offering
from courseweb.courses.selectors import offering_current

from .models import Announcement, FeedToken
from .selectors import announcement_list_public, announcement_list_visible


@dataclass(frozen=True)
class Source:
    """What one request's feed shows (a Feed instance is shared by all requests, so nothing is kept on it)."""

    offering: Offering
    user: Any = None


class PublicAnnouncementsFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request, *args, **kwargs):
        offering = offering_current()
        if offering is None:
            raise Http404("No offering is loaded yet.")
        return Source(offering)

    def title(self, source: Source):
        return f"{source.offering.code} {source.offering.season}: announcements"

    def link(self, source: Source):
        return reverse("announcements:index")

    def subtitle(self, source: Source):
        return f"Announcements of {source.offering.title}"

    def items(self, source: Source):
        return announcement_list_public(offering=source.offering)

    def item_title(self, item: Announcement):
        return item.title

    def item_description(self, item: Announcement):
        return item.body_html

    def item_link(self, item: Announcement):
        return reverse("announcements:detail", args=[item.pk])

    def item_pubdate(self, item: Announcement):
        return item.published_at

    def item_updateddate(self, item: Announcement):
        return item.updated_at

    def item_author_name(self, item: Announcement):
        return item.author.name if item.author else None


class PrivateAnnouncementsFeed(PublicAnnouncementsFeed):
    """Everything the token's owner may read; an unknown or revoked token is a 404."""

    def get_object(self, request, token: str):
        record = FeedToken.objects.select_related("user").filter(token=token).first()
        offering = offering_current()
        if record is None or offering is None or not record.user.is_active:
            raise Http404("No such feed.")
        FeedToken.objects.filter(pk=record.pk).update(last_used_at=timezone.now())
        return Source(offering, record.user)

    def __call__(self, request, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        response["X-Robots-Tag"] = "noindex"
        response["Referrer-Policy"] = "no-referrer"
        response["Cache-Control"] = "private, no-store"
        return response

    def title(self, source: Source):
        return (
            f"{source.offering.code} {source.offering.season}: announcements for {source.user.get_username()}"
        )

    def items(self, source: Source):
        return list(announcement_list_visible(offering=source.offering, user=source.user)[:50])


def feed_url(token: FeedToken) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{reverse('announcements:private_feed', args=[token.token])}"
