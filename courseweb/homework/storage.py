"""Where homework files are stored: the `homework` storage (settings.STORAGES), read and written by name.

Submissions, hand-ins, feedback notebooks and kept uploads all go through Django's storage API, so the backend is
chosen by environment (COURSEWEB_STORAGE, see deploy/README.md "Storage"): by default `HomeworkFileStorage`, a
folder on a volume every host shares (`HOMEWORK_ROOT`, else `MEDIA_ROOT/homework`), or a private S3-compatible
bucket under the prefix `homework/` (courseweb.core.storage). Names are the same on both:

- `blob_store` keeps uploaded bytes content-addressed and write-once at `<kind>/<sha[:2]>/<sha><suffix>`: the same
  bytes always get the same name and a stored file is never changed;
- `file_write` stores one file under a name of the caller's (feedback: `feedback/<job>/<attempt>/<stem>.ipynb`);
- readers open a file through the storage (`file_open`, `file_read`), never by path; the grading runner copies the
  bytes into its own working folder.

On the filesystem every file is written atomically (temporary file, fsync, rename) and made read-only.
The releases that the engine runs (`<homework root>/releases/`) are folders on the shared volume, not stored
files: see services/assignments.py.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, storages

STORAGE_ALIAS = "homework"
READ_ONLY = 0o444


@dataclass(frozen=True)
class StoredBlob:
    name: str  # the name in the homework storage, e.g. submissions/ab/ab12….ipynb
    sha256: str
    size: int
    created: bool


def homework_root() -> Path:
    """The homework folder on the shared volume (the filesystem backend's location, and the releases' parent)."""
    root = Path(settings.HOMEWORK_ROOT) if settings.HOMEWORK_ROOT else Path(settings.MEDIA_ROOT) / "homework"
    root.mkdir(parents=True, exist_ok=True)
    return root


class HomeworkFileStorage(FileSystemStorage):
    """The filesystem backend: the homework root as the settings say at use time (tests move MEDIA_ROOT).

    Write-once: a name that exists is never written again (`blob_store` and `file_write` remove a damaged or
    stale file first), and a new file appears whole or not at all, read-only.
    """

    def __init__(self) -> None:
        super().__init__(base_url=None, file_permissions_mode=READ_ONLY)

    @property
    def base_location(self):  # type: ignore[override]
        return str(homework_root())

    @property
    def location(self):  # type: ignore[override]
        return str(homework_root().resolve())

    def get_available_name(self, name, max_length=None):
        return name  # names are chosen by the caller (content hash, job and attempt): never renamed

    def _save(self, name, content):
        target = Path(self.path(name))
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            return name
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in content.chunks():
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, READ_ONLY)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return name

    def url(self, name):  # never served directly
        raise NotImplementedError("homework files are sent by the views that check access")

    def deconstruct(self):
        return ("courseweb.homework.storage.HomeworkFileStorage", (), {})


def homework_storage() -> Storage:
    return storages[STORAGE_ALIAS]


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def blob_name(*, digest: str, kind: str, suffix: str = "") -> str:
    return f"{kind}/{digest[:2]}/{digest}{suffix}"


def _save(store: Storage, name: str, data: bytes) -> None:
    saved = store.save(name, ContentFile(data))
    if saved != name:  # a backend configured to rename would break the names the database records
        store.delete(saved)
        raise RuntimeError(f"the homework storage stored {name!r} as {saved!r}; it must keep names")


def blob_store(*, data: bytes, kind: str, suffix: str = "") -> StoredBlob:
    """Store `data` immutably; returns its name and whether this call created the file."""
    digest = sha256_bytes(data)
    name = blob_name(digest=digest, kind=kind, suffix=suffix)
    store = homework_storage()
    if store.exists(name):
        if store.size(name) == len(data):
            return StoredBlob(name=name, sha256=digest, size=len(data), created=False)
        store.delete(name)  # a damaged copy: the bytes that hash to this name replace it
    _save(store, name, data)
    return StoredBlob(name=name, sha256=digest, size=len(data), created=True)


def blob_discard(*, blob: StoredBlob) -> None:
    """Remove a blob this request created when the database write that should record it failed."""
    if blob.created:
        homework_storage().delete(blob.name)


def file_write(*, name: str, data: bytes) -> None:
    """Store `data` as `name`, replacing a file of that name (an earlier run of the same grading attempt)."""
    store = homework_storage()
    store.delete(name)
    _save(store, name, data)


def file_open(name: str) -> File:
    """The stored file, open for reading; raises FileNotFoundError when it is not there."""
    return homework_storage().open(name, "rb")


def file_read(name: str) -> bytes | None:
    """The stored bytes, or None when the file is not there."""
    try:
        with file_open(name) as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def files_under(prefix: str) -> list[str]:
    """The names of the files directly under `prefix` (a "folder" of names), sorted; [] when there is none."""
    try:
        _, files = homework_storage().listdir(prefix)
    except FileNotFoundError:
        return []
    return sorted(f"{prefix}/{name}" for name in files if not name.startswith(".incoming-"))
