"""Writes for announcements: post, edit, delete, mark read, and the private feed's secret token.

E-mail to the class goes out from a Celery task sent after the transaction commits, so a rolled-back post sends
nothing and the worker always finds the row; `emailed_at` makes sure each announcement is mailed at most once.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from courseweb.courses.models import Offering

from .models import Announcement, AnnouncementRead, FeedToken
from .rendering import announcement_render


def _email_after_commit(announcement: Announcement) -> None:
    if not announcement.email_class or announcement.emailed_at is not None:
        return
    from .tasks import announcement_email

    pk = announcement.pk
    transaction.on_commit(lambda: announcement_email.delay(pk))


@transaction.atomic
def announcement_post(
    *,
    offering: Offering,
    author: Any,
    title: str,
    body: str,
    pinned: bool = False,
    public: bool = True,
    email_class: bool = False,
) -> Announcement:
    announcement = Announcement.objects.create(
        offering=offering,
        author=author,
        title=title.strip(),
        body=body,
        body_html=announcement_render(body),
        pinned=pinned,
        public=public,
        email_class=email_class,
        published_at=timezone.now(),
    )
    # The author has read what they wrote.
    AnnouncementRead.objects.get_or_create(announcement=announcement, user=author)
    _email_after_commit(announcement)
    return announcement


@transaction.atomic
def announcement_update(
    *, announcement: Announcement, title: str, body: str, pinned: bool, public: bool, email_class: bool
) -> Announcement:
    """Edit in place; ticking "e-mail the class" on an announcement never mailed sends it once."""
    announcement.title = title.strip()
    announcement.body = body
    announcement.body_html = announcement_render(body)
    announcement.pinned = pinned
    announcement.public = public
    announcement.email_class = email_class or announcement.emailed_at is not None
    announcement.save()
    _email_after_commit(announcement)
    return announcement


def announcement_delete(*, announcement: Announcement) -> None:
    announcement.delete()


def announcement_mark_read(*, announcement: Announcement, user: Any) -> None:
    AnnouncementRead.objects.get_or_create(announcement=announcement, user=user)


def announcement_mark_all_read(*, offering: Offering, user: Any) -> int:
    unread = Announcement.objects.filter(offering=offering).exclude(reads__user=user)
    rows = [AnnouncementRead(announcement=a, user=user) for a in unread]
    AnnouncementRead.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def feed_token_regenerate(*, user: Any) -> FeedToken:
    """Give the user a new secret feed URL; the previous one (if any) stops working at once."""
    token, _ = FeedToken.objects.update_or_create(
        user=user, defaults={"token": secrets.token_urlsafe(32), "last_used_at": None}
    )
    return token


def feed_token_revoke(*, user: Any) -> bool:
    deleted, _ = FeedToken.objects.filter(user=user).delete()
    return bool(deleted)
