"""Keep the file of an upload whose session had expired, so that logging in does not lose it.

When a student's session expires between choosing a file and pressing "Upload and grade" (or "Hand in"), the POST
arrives anonymous. Instead of dropping it, the submit views call `upload_keep`: the bytes go into a quarantine
folder (never the submission store, never graded), checked against the upload limit and limited per client
address, and the answer is a signed token that travels through the log-in page's `next`. After logging in, the
student sees "Your session expired; we kept FILE. Submit it?" and one click hands exactly those bytes to the normal
submission service (`submission_create` or `deliverable_file_create`, with all their checks).

A kept file is deleted when it is claimed, when it is found expired (one hour) on any access, and by the periodic
task `homework.quarantine_purge` (celery beat, see courseweb/celery.py). Only the browser session that uploaded it
can claim it (its id is stored in that session, which survives logging in), and the token must verify.

Layout, in the homework storage beside the stored files (so that any web host can hand them over):
`quarantine/<id>.bin` (the bytes) and `quarantine/<id>.json` (what it is for, its sha256, when it was kept, and a
salted hash of the client address for the rate limit).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core import signing
from django.utils import timezone

from courseweb.courses.selectors import offering_current
from courseweb.homework import storage
from courseweb.homework.models import Assignment
from courseweb.homework.services.submissions import SubmissionRejected, max_upload_bytes

KEEP_FOR = timedelta(hours=1)
SIGNING_SALT = "courseweb.homework.quarantine"
SESSION_KEY = "homework_kept_uploads"
KINDS = ("assignment", "item")

ERR_TOO_LARGE = (
    "Your session had expired, and the file is {size_mb:.1f} MB, over the {limit_mb:.0f} MB limit, so it was not "
    "kept. Log in and upload a smaller file."
)
ERR_EMPTY = "Your session had expired, and the upload was empty, so nothing was kept. Log in and try again."
ERR_RATE_LIMITED = (
    "Your session had expired, and {count} files from your network address are already waiting for their owners "
    "to log in, so this one was not kept. Log in and upload it again."
)


class QuarantineRefused(SubmissionRejected):
    """The file was not kept (too many from this address); the message says so."""


@dataclass(frozen=True)
class KeptUpload:
    ident: str
    kind: str  # "assignment" (a notebook for Assignment.key) or "item" (a deliverable file for Item.slug)
    target: str
    filename: str
    label: str
    size: int
    sha256: str
    kept_at: str  # ISO 8601, UTC
    address_hash: str

    @property
    def kept_at_dt(self) -> datetime:
        return datetime.fromisoformat(self.kept_at)

    @property
    def expires_at(self) -> datetime:
        return self.kept_at_dt + KEEP_FOR

    def expired(self, *, now: datetime) -> bool:
        return now >= self.expires_at


FOLDER = "quarantine"


def max_bytes(kind: str) -> int:
    """The same limit the submission service applies to this kind of upload."""
    if kind == "assignment":
        return max_upload_bytes()
    return int(settings.HOMEWORK_MAX_FILE_BYTES)


def check_kept_size(*, kind: str, size: int, slack: int = 0) -> None:
    """Refuse a file over the upload limit (or a request whose Content-Length shows one, with `slack`)."""
    limit = max_bytes(kind)
    if size > limit + slack:
        raise SubmissionRejected(
            ERR_TOO_LARGE.format(size_mb=(size - slack) / 2**20, limit_mb=limit / 2**20), status=413
        )
    if size == 0 and not slack:
        raise SubmissionRejected(ERR_EMPTY)


def target_exists(*, kind: str, target: str) -> bool:
    """Whether the current offering has the assignment (kind "assignment") or coursework item ("item")."""
    from courseweb.courses.models import CourseworkItem

    offering = offering_current()
    if offering is None:
        return False
    if kind == "assignment":
        return Assignment.objects.filter(offering=offering, key=target).exists()
    return CourseworkItem.objects.filter(offering=offering, slug=target).exists()


def per_address_limit() -> int:
    return int(settings.HOMEWORK_QUARANTINE_PER_ADDRESS_PER_HOUR)


def _address_hash(address: str | None) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}:quarantine:{address or '-'}".encode()).hexdigest()


def _names(ident: str) -> tuple[str, str]:
    """The storage names of a kept file's bytes and of its description."""
    if not ident.isalnum():
        raise ValueError("bad quarantine id")
    return f"{FOLDER}/{ident}.bin", f"{FOLDER}/{ident}.json"


def _load(ident: str) -> KeptUpload | None:
    try:
        _, meta = _names(ident)
        data = storage.file_read(meta)
        return KeptUpload(**json.loads(data)) if data is not None else None
    except (ValueError, OSError, TypeError, json.JSONDecodeError):
        return None


def _all() -> list[KeptUpload]:
    found = []
    for meta in storage.files_under(FOLDER):
        if meta.endswith(".json"):
            kept = _load(PurePosixPath(meta).stem)
            if kept is not None:
                found.append(kept)
    return found


def kept_discard(kept: KeptUpload) -> None:
    data, meta = _names(kept.ident)
    storage.homework_storage().delete(meta)
    storage.homework_storage().delete(data)


def quarantine_purge(*, now: datetime | None = None) -> int:
    """Delete every kept file older than an hour (and stray halves of broken entries); returns how many."""
    now = now or timezone.now()
    removed = 0
    for kept in _all():
        if kept.expired(now=now):
            kept_discard(kept)
            removed += 1
    store = storage.homework_storage()
    names = storage.files_under(FOLDER)
    for data in names:
        if (
            data.endswith(".bin")
            and data.removesuffix(".bin") + ".json" not in names
            and now - store.get_modified_time(data) > KEEP_FOR
        ):
            store.delete(data)
            removed += 1
    return removed


def upload_keep(
    *,
    kind: str,
    target: str,
    filename: str,
    data: bytes,
    address: str | None,
    label: str = "",
    now: datetime | None = None,
) -> KeptUpload:
    """Keep an anonymous upload for an hour; raises SubmissionRejected (too large, empty) or QuarantineRefused."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    now = now or timezone.now()
    quarantine_purge(now=now)
    check_kept_size(kind=kind, size=len(data))
    address_hash = _address_hash(address)
    recent = [k for k in _all() if k.address_hash == address_hash and not k.expired(now=now)]
    if len(recent) >= per_address_limit():
        raise QuarantineRefused(ERR_RATE_LIMITED.format(count=len(recent)), status=429)
    kept = KeptUpload(
        ident=secrets.token_hex(16),
        kind=kind,
        target=target,
        filename=Path(filename or "upload").name[:255],
        label=label[:120],
        size=len(data),
        sha256=storage.sha256_bytes(data),
        kept_at=now.astimezone(UTC).isoformat(),
        address_hash=address_hash,
    )
    data_name, meta_name = _names(kept.ident)
    storage.file_write(name=data_name, data=data)
    storage.file_write(name=meta_name, data=json.dumps(asdict(kept)).encode())
    return kept


def kept_token(kept: KeptUpload) -> str:
    """The signed token that names a kept file (it goes into the log-in page's `next`)."""
    return signing.dumps({"id": kept.ident, "kind": kept.kind, "target": kept.target}, salt=SIGNING_SALT)


def kept_from_token(token: str, *, now: datetime | None = None) -> KeptUpload | None:
    """The kept file a token names, or None when the token was altered or the file is gone or expired."""
    try:
        payload: Any = signing.loads(token, salt=SIGNING_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("id"), str):
        return None
    kept = _load(payload["id"])
    if kept is None or (kept.kind, kept.target) != (payload.get("kind"), payload.get("target")):
        return None
    if kept.expired(now=now or timezone.now()):
        kept_discard(kept)
        return None
    return kept


def kept_read(kept: KeptUpload) -> bytes:
    """The kept bytes, checked against the hash taken when they were kept."""
    data_name, _ = _names(kept.ident)
    data = storage.file_read(data_name)
    if data is None or storage.sha256_bytes(data) != kept.sha256:
        raise ValueError("the kept file is gone or changed in storage")
    return data


def session_remember(session: Any, kept: KeptUpload) -> None:
    """Tie a kept file to the browser session that uploaded it (logging in keeps the session's data)."""
    session[SESSION_KEY] = [*session.get(SESSION_KEY, [])[-19:], kept.ident]


def session_owns(session: Any, kept: KeptUpload) -> bool:
    return kept.ident in session.get(SESSION_KEY, [])


def session_forget(session: Any, kept: KeptUpload) -> None:
    session[SESSION_KEY] = [i for i in session.get(SESSION_KEY, []) if i != kept.ident]


@shared_task(name="homework.quarantine_purge")
def quarantine_purge_task() -> int:
    return quarantine_purge()
