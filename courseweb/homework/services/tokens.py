"""Personal API tokens: students create and revoke them on their profile; the JSON API accepts them.

A token looks like `dote_<prefix>_<secret>`; only the SHA-256 of the whole token is stored, so the secret is
shown once, at creation, and a leaked database does not leak usable tokens.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from courseweb.homework.models import ApiToken

if TYPE_CHECKING:
    from courseweb.accounts.models import User

TOKEN_PREFIX = "dote"
MAX_ACTIVE_TOKENS = 10
ERR_TOKEN_NAME = "Give the token a name (up to 80 characters), e.g. 'laptop' or 'JupyterHub'."
ERR_TOO_MANY = f"You already have {MAX_ACTIVE_TOKENS} active tokens; revoke one first."
ERR_NOT_YOURS = "This token does not exist or is not yours."
# The token a student's JupyterHub server gets at each start (`course-submit`): minted by the hub's pre-spawn hook,
# replacing the previous one, and not counted against MAX_ACTIVE_TOKENS; no one else may use this name.
HUB_TOKEN_NAME = "JupyterHub server"
ERR_TOKEN_RESERVED = f"The name '{HUB_TOKEN_NAME}' is reserved for the token of your JupyterHub server."


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def api_token_create(*, user: User, name: str) -> NewToken:
    """Create a token; the returned `secret` is the only time the full token is available."""
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise ValueError(ERR_TOKEN_NAME)
    if name == HUB_TOKEN_NAME:
        raise ValueError(ERR_TOKEN_RESERVED)
    with transaction.atomic():
        active = ApiToken.objects.filter(user=user, revoked_at__isnull=True).exclude(name=HUB_TOKEN_NAME)
        if active.count() >= MAX_ACTIVE_TOKENS:
            raise ValueError(ERR_TOO_MANY)
        prefix = secrets.token_hex(4)
        secret = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
        token = ApiToken.objects.create(user=user, name=name, prefix=prefix, digest=_digest(secret))
    return NewToken(token=token, secret=secret)


def api_token_rotate_for_hub(*, user: User) -> NewToken:
    """A new token for the user's JupyterHub server, revoking the one its previous start got."""
    with transaction.atomic():
        ApiToken.objects.select_for_update().filter(
            user=user, name=HUB_TOKEN_NAME, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        prefix = secrets.token_hex(4)
        secret = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
        token = ApiToken.objects.create(user=user, name=HUB_TOKEN_NAME, prefix=prefix, digest=_digest(secret))
    return NewToken(token=token, secret=secret)


def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    with transaction.atomic():
        token = ApiToken.objects.select_for_update(of=("self",)).filter(pk=token_id, user=user).first()
        if token is None:
            raise ValueError(ERR_NOT_YOURS)
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(*, raw: str) -> User | None:
    """The active user owning this token, or None (unknown, revoked, or inactive account)."""
    raw = (raw or "").strip()
    if not raw.startswith(f"{TOKEN_PREFIX}_"):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(digest=_digest(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
