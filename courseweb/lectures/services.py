"""Writes for the schedule: adding, reordering and removing a session's materials.

Uploaded files are written to private storage (`lectures.storage`) before these functions return; a removed
material's file is deleted once the row is gone.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django.core.files.base import File
from django.db import transaction
from django.db.models import Max

from .models import CalendarToken, Material, Session

ERROR_NOT_THIS_SESSION = "That material belongs to another session."


def _next_position(*, session: Session, kind: str) -> int:
    top = Material.objects.filter(session=session, kind=kind).aggregate(top=Max("position"))["top"]
    return 1 if top is None else top + 1


@transaction.atomic
def material_add_link(
    *, session: Session, kind: str, title: str, url: str, user: Any = None, from_course_file: bool = False
) -> Material:
    return Material.objects.create(
        session=session,
        kind=kind,
        title=title.strip(),
        url=url.strip(),
        position=_next_position(session=session, kind=kind),
        added_by=user,
        from_course_file=from_course_file,
    )


def material_add_file(*, session: Session, kind: str, title: str, upload: File, user: Any = None) -> Material:
    """Store the upload and record it; the file is on disk when this returns (removed again on failure)."""
    name = PurePath(getattr(upload, "name", "") or "material").name[:200]
    material = Material(
        session=session,
        kind=kind,
        title=title.strip(),
        filename=name,
        added_by=user,
    )
    material.file.save(name, upload, save=False)
    try:
        with transaction.atomic():
            material.position = _next_position(session=session, kind=kind)
            material.save()
    except BaseException:
        material.file.delete(save=False)
        raise
    return material


@transaction.atomic
def material_move(*, material: Material, direction: str) -> Material:
    """Swap the material with its neighbour of the same kind ("up" or "down"); the ends stay where they are."""
    siblings = list(
        Material.objects.select_for_update(of=("self",))
        .filter(session_id=material.session_id, kind=material.kind)
        .order_by("position", "id")
    )
    index = next(i for i, m in enumerate(siblings) if m.pk == material.pk)
    other = index - 1 if direction == "up" else index + 1
    if other < 0 or other >= len(siblings):
        return siblings[index]
    siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, m in enumerate(siblings, start=1):
        if m.position != position:
            m.position = position
            m.save(update_fields=["position"])
    return next(m for m in siblings if m.pk == material.pk)


def material_remove(*, material: Material) -> None:
    """Delete the row, then its file (if it has one)."""
    name = material.file.name if material.file else ""
    storage = material.file.storage if material.file else None
    with transaction.atomic():
        material.delete()
    if name and storage is not None and not Material.objects.filter(file=name).exists():
        storage.delete(name)


def materials_sync(*, session: Session, specs: list[Any]) -> tuple[list[str], list[str], list[str]]:
    """Make the session's course-file materials match `specs` (kind, title, url); staff uploads are kept.

    Matched by kind and title (a new one goes last among its kind; the staff's reordering is kept); returns
    labels of (created, updated, removed) materials.
    """
    created, updated, removed = [], [], []
    existing = {(m.kind, m.title): m for m in Material.objects.filter(session=session, from_course_file=True)}
    wanted = set()
    for spec in specs:
        key = (spec.kind, spec.title)
        wanted.add(key)
        label = f"session {session.number} material {spec.title!r}"
        material = existing.get(key)
        if material is None:
            Material.objects.create(
                session=session,
                kind=spec.kind,
                title=spec.title,
                url=spec.url,
                position=_next_position(session=session, kind=spec.kind),
                from_course_file=True,
            )
            created.append(label)
        elif material.url != spec.url:
            material.url = spec.url
            material.save(update_fields=["url"])
            updated.append(label)
    for key, material in existing.items():
        if key not in wanted:
            material.delete()
            removed.append(f"session {session.number} material {material.title!r}")
    return created, updated, removed


def calendar_token_regenerate(*, user: Any) -> CalendarToken:
    """Give the user a new secret calendar URL; the previous one (if any) stops working at once."""
    import secrets

    token, _ = CalendarToken.objects.update_or_create(
        user=user, defaults={"token": secrets.token_urlsafe(32), "last_used_at": None}
    )
    return token


def calendar_token_revoke(*, user: Any) -> bool:
    """Delete the user's secret calendar URL; returns whether there was one."""
    deleted, _ = CalendarToken.objects.filter(user=user).delete()
    return bool(deleted)
