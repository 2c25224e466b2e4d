"""Celery task: e-mail an announcement to everyone enrolled in its offering, once."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.urls import reverse
from django.utils import timezone

from courseweb.courses.models import Enrollment

from .models import Announcement


@shared_task(name="announcements.email")
def announcement_email(announcement_id: int) -> int:
    """Send one message per member (no one sees the others' addresses); returns how many were sent.

    Claiming `emailed_at` first makes a repeated task (a retry, a second worker) send nothing.
    """
    claimed = Announcement.objects.filter(pk=announcement_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return 0
    announcement = Announcement.objects.select_related("offering").get(pk=announcement_id)
    offering = announcement.offering
    url = f"{settings.SITE_URL.rstrip('/')}{reverse('announcements:detail', args=[announcement.pk])}"
    subject = f"[{offering.code}] {announcement.title}"
    text = f"{announcement.body}\n\n--\nRead it on the course site: {url}\n"
    page = f'{announcement.body_html}<hr><p><a href="{url}">Read it on the course site</a></p>'
    addresses = sorted(
        {
            e.user.email
            for e in Enrollment.objects.filter(offering=offering, user__is_active=True).select_related("user")
            if e.user.email
        }
    )
    messages = []
    for address in addresses:
        message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [address])
        message.attach_alternative(page, "text/html")
        messages.append(message)
    with get_connection() as connection:
        connection.send_messages(messages)
    return len(messages)
