"""Where uploaded lecture materials are stored: the `materials` storage (settings.STORAGES), served only by a view.

The backend is chosen by environment (COURSEWEB_STORAGE, see deploy/README.md "Storage"): by default
`MaterialStorage`, a private folder outside MEDIA_ROOT (`VAR_DIR/materials/`, or the `MATERIALS_ROOT` setting), or
a private S3-compatible bucket under the prefix `materials/` (courseweb.core.storage). Either way files are
downloaded through `lectures.views.material_download`, which checks that the visitor is enrolled; no storage URL
is ever handed out.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages

STORAGE_ALIAS = "materials"


def materials_root() -> Path:
    return Path(getattr(settings, "MATERIALS_ROOT", Path(settings.VAR_DIR) / "materials"))


class MaterialStorage(FileSystemStorage):
    """A file system storage whose location follows the settings at use time (tests change VAR_DIR)."""

    def __init__(self) -> None:
        super().__init__(base_url=None)

    @property
    def base_location(self):  # type: ignore[override]
        return str(materials_root())

    @property
    def location(self):  # type: ignore[override]
        return str(materials_root().resolve())

    def url(self, name):  # never served directly
        raise NotImplementedError("materials are downloaded through lectures.views.material_download")

    def deconstruct(self):
        return ("courseweb.lectures.storage.MaterialStorage", (), {})


def material_storage() -> Storage:
    """The `materials` storage (the FileField's storage callable; migrations refer to it by this name)."""
    return storages[STORAGE_ALIAS]
