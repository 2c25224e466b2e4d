"""The e-mails of notifications: their text (`email_text`), absolute links to the site (`site_url`) and the
sending (`emails_send`, run by the `notifications.email` task that `services.notify` queues after commit)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage, get_connection
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from courseweb.courses.selectors import offering_current

from .models import Kind, Notification


def site_url(path: str) -> str:
    """An absolute link on the course site (`SITE_URL`) for a path; a full URL is kept."""
    if path.startswith(("http://", "https://")):
        return path
    return settings.SITE_URL.rstrip("/") + path


def _set_password_link(user) -> str:
    """A fresh set-password link, made when the e-mail is sent (the token is never stored)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return site_url(reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token}))


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
        lines += ["", f"See it on the course site: {site_url(notification.url)}"]
    if notification.kind != Kind.ACCOUNT:
        lines += [
            "",
            "--",
            "You receive this e-mail because of your notification settings. To choose which notices reach you "
            f"by e-mail and which stay on the site only, go to {site_url(reverse('notifications:preferences'))}",
        ]
    return "\n".join(lines) + "\n"


def emails_send(*, notification_ids: list[int]) -> int:
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
