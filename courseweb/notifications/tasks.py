"""Celery tasks: e-mail notifications (queued after commit by `services.notify`), deadline reminders and the
staff's daily digest (run by beat, see courseweb/celery.py)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage, get_connection
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from courseweb.courses.selectors import offering_current

from .models import Kind, Notification


def _site(path: str) -> str:
    if path.startswith(("http://", "https://")):
        return path
    return settings.SITE_URL.rstrip("/") + path


def _set_password_link(user) -> str:
    """A fresh set-password link, made when the e-mail is sent (the token is never stored)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return _site(reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token}))


def email_text(notification: Notification) -> str:
    """The plain-text e-mail: what happened, the link, and how to change what arrives by e-mail."""
    user = notification.user
    lines = [f"Hello {user.name},", "", notification.title + "."]
    if notification.body:
        lines += ["", notification.body]
    if notification.kind == Kind.ACCOUNT:
        lines += [
            "",
            f"Your username is {user.username}. Choose a password here:",
            "",
            _set_password_link(user),
        ]
    elif notification.url:
        lines += ["", f"See it on the course site: {_site(notification.url)}"]
    if notification.kind != Kind.ACCOUNT:
        lines += [
            "",
            "--",
            "You receive this e-mail because of your notification settings. To choose which notices reach you "
            f"by e-mail and which stay on the site only, go to {_site(reverse('notifications:preferences'))}",
        ]
    return "\n".join(lines) + "\n"


@shared_task(name="notifications.email")
def notifications_email(notification_ids: list[int]) -> int:
    """Send each notification's e-mail once: claiming `emailed_at` first makes a repeated task send nothing."""
    sent = []
    current = offering_current()
    code = current.code if current else "Course site"
    for notification in Notification.objects.filter(
        pk__in=notification_ids, email_wanted=True, emailed_at__isnull=True
    ).select_related("user"):
        if not Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        ):
            continue
        sent.append(
            EmailMessage(
                subject=f"{code}: {notification.title}"[:200],
                body=email_text(notification),
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[notification.user.email],
            )
        )
    if sent:
        with get_connection() as connection:
            connection.send_messages(sent)
    return len(sent)


@shared_task(name="notifications.reminders")
def deadline_reminders() -> int:
    from .reminders import reminders_send

    return reminders_send(now=timezone.now())


@shared_task(name="notifications.digest")
def staff_digest() -> int:
    from .reminders import digest_send

    return digest_send(now=timezone.now())
