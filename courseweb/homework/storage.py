"""Where homework files live on disk: content-addressed, write-once, read-only files under MEDIA_ROOT.

`blob_store` writes bytes to `<root>/<kind>/<sha[:2]>/<sha>` atomically (temporary file, fsync, rename) and
makes the file read-only; the same bytes always land at the same path, so a stored file is never changed.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings


@dataclass(frozen=True)
class StoredBlob:
    path: Path
    sha256: str
    size: int
    created: bool


def homework_root() -> Path:
    root = Path(getattr(settings, "HOMEWORK_ROOT", Path(settings.MEDIA_ROOT) / "homework"))
    root.mkdir(parents=True, exist_ok=True)
    return root


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def blob_store(*, data: bytes, kind: str, suffix: str = "") -> StoredBlob:
    """Store `data` immutably; returns where it is and whether this call created the file."""
    digest = sha256_bytes(data)
    folder = homework_root() / kind / digest[:2]
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{digest}{suffix}"
    if target.exists() and target.stat().st_size == len(data):
        return StoredBlob(path=target, sha256=digest, size=len(data), created=False)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o444)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return StoredBlob(path=target, sha256=digest, size=len(data), created=True)


def blob_discard(*, blob: StoredBlob) -> None:
    """Remove a blob this request created when the database write that should record it failed."""
    if blob.created:
        blob.path.unlink(missing_ok=True)


def relative(path: Path) -> str:
    return path.relative_to(homework_root()).as_posix()


def absolute(rel: str) -> Path:
    path = (homework_root() / rel).resolve()
    if homework_root().resolve() not in path.parents:
        raise ValueError(f"{rel!r} is outside the homework storage")
    return path
