"""Where uploaded lecture materials live: a private folder outside MEDIA_ROOT, served only through a view.

Files under MEDIA_ROOT may be served without any check (e.g. by `runserver` in development), so materials are
kept under `VAR_DIR/materials/` (or the `MATERIALS_ROOT` setting) and downloaded through
`lectures.views.material_download`, which checks that the visitor is enrolled.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage


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


def material_storage() -> MaterialStorage:
    return MaterialStorage()
