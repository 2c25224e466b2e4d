"""Sync homework from ASSIGNMENTS_DIR: read each `<key>/source/assignment.toml`, release, upsert the records.

Idempotent and safe at every start: an assignment whose source hash has not changed is left as it is (its
release is not rebuilt); a changed source gets a new release folder (old ones are kept, since results record
the source hash they were graded against).  Points come only from the notebooks (the release manifest).
"""

from __future__ import annotations

import logging
import shutil
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from courseweb.courses.models import CourseworkItem, CourseworkKind, Offering
from courseweb.homework import policy
from courseweb.homework.engine import engine_limits, engine_release
from courseweb.homework.models import Assignment, GpuFallback, LatePolicy
from courseweb.homework.storage import homework_root
from courseweb.lectures.models import Session
from graders.release import ReleaseManifest

log = logging.getLogger(__name__)

ERR_NO_TOML = "{key}: source/assignment.toml is missing"
ERR_BAD_TOML = "{key}: assignment.toml is not valid TOML: {detail}"
ERR_NO_TITLE = "{key}: [course] title is required"
ERR_BAD_POLICY = "{key}: late_policy must be one of none, percent_per_day, zero (got {value!r})"
ERR_BAD_DUE = "{key}: due must look like 2026-02-03 09:30 (Hong Kong time), got {value!r}"
ERR_RELEASE = "{key}: release failed: {detail}"
ERR_BAD_GPU_FALLBACK = "{key}: gpu_fallback must be cpu or wait (got {value!r})"
ERR_BAD_GPU_LIMITS = "{key}: [gpu_limits] {detail}"
ERR_BAD_GPU_MEMORY = "{key}: gpu_memory_mb must be a whole number of MB, 0 or more (got {value!r})"
ERR_BAD_COUNTED = "{key}: counted must be true or false (got {value!r})"


@dataclass(frozen=True)
class CourseConfig:
    """The `[course]` table of assignment.toml (what the site reads) and the `[limits]` table (the engine's)."""

    title: str
    release_session: int | None
    due: datetime | None
    late_policy: str
    late_percent: float
    cutoff_days: float
    requires_gpu: bool
    limits: dict[str, Any] = field(default_factory=dict)
    gpu_fallback: str = GpuFallback.CPU  # where no GPU node grades: the CPU queue with `limits`, or wait
    gpu_limits: dict[str, Any] = field(default_factory=dict)  # [gpu_limits]: overrides of `limits` on a GPU
    gpu_memory_mb: int = 0  # the GPU memory one grading run claims from its GPU's budget
    counted: bool = True  # false: optional practice, graded but never among the best N


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.errors)} errors"
        )


def course_config_read(*, source: Path, key: str) -> CourseConfig:
    """Parse and check assignment.toml; raises ValueError with one of the module's messages."""
    path = source / "assignment.toml"
    if not path.is_file():
        raise ValueError(ERR_NO_TOML.format(key=key))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(ERR_BAD_TOML.format(key=key, detail=exc)) from exc
    course = data.get("course", {})
    title = str(course.get("title", "")).strip()
    if not title:
        raise ValueError(ERR_NO_TITLE.format(key=key))
    late = str(course.get("late_policy", LatePolicy.NONE))
    if late not in LatePolicy.values:
        raise ValueError(ERR_BAD_POLICY.format(key=key, value=late))
    due = None
    if course.get("due"):
        raw = course["due"]
        try:
            due = raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw).replace("T", " "))
        except ValueError as exc:
            raise ValueError(ERR_BAD_DUE.format(key=key, value=raw)) from exc
        if due.tzinfo is None:
            due = due.replace(tzinfo=policy.HKT)
    session = course.get("release_session")
    fallback = str(course.get("gpu_fallback", GpuFallback.CPU))
    if fallback not in GpuFallback.values:
        raise ValueError(ERR_BAD_GPU_FALLBACK.format(key=key, value=fallback))
    gpu_limits = data.get("gpu_limits", {})
    try:
        engine_limits({**dict(data.get("limits", {})), **dict(gpu_limits)})
    except (TypeError, ValueError) as exc:
        raise ValueError(ERR_BAD_GPU_LIMITS.format(key=key, detail=exc)) from exc
    gpu_memory = course.get("gpu_memory_mb", 0)
    if isinstance(gpu_memory, bool) or not isinstance(gpu_memory, int) or gpu_memory < 0:
        raise ValueError(ERR_BAD_GPU_MEMORY.format(key=key, value=gpu_memory))
    counted = course.get("counted", True)
    if not isinstance(counted, bool):
        raise ValueError(ERR_BAD_COUNTED.format(key=key, value=counted))
    return CourseConfig(
        title=title,
        release_session=int(session) if session is not None else None,
        due=due,
        late_policy=late,
        late_percent=float(course.get("late_percent", 0) or 0),
        cutoff_days=float(course.get("cutoff_days", policy.DEFAULT_CUTOFF_DAYS)),
        requires_gpu=bool(course.get("requires_gpu", False)),
        limits=dict(data.get("limits", {})),
        gpu_fallback=fallback,
        gpu_limits=dict(gpu_limits),
        gpu_memory_mb=gpu_memory,
        counted=counted,
    )


def _notebook_summary(manifest: ReleaseManifest) -> dict[str, Any]:
    """Per notebook stem: every grade id, the auto-graded tests, the manually graded cells and points (the
    engine's manifest says which cell is which)."""
    return {
        stem: {
            "grade_ids": manifest.grade_ids(stem),
            "tests": manifest.test_cells(stem),
            "manual": manifest.manual_cells(stem),
            "points": manifest.points(stem),
        }
        for stem in manifest.notebooks
    }


def assignment_dates(*, offering: Offering, config: CourseConfig) -> tuple[datetime | None, datetime | None]:
    """(released at, due at): the start of the `release_session`, and the explicit `due` or else the course's
    rule (`homework_due_days` after release at `homework_due_time`, Hong Kong time)."""
    released_at = None
    if config.release_session is not None:
        session = Session.objects.filter(offering=offering, number=config.release_session).first()
        released_at = session.starts_at if session else None
    due = config.due
    if due is None and released_at is not None:
        rules = offering.rules or {}
        hh, mm = (int(x) for x in str(rules.get("homework_due_time", "09:30")).split(":"))
        due = policy.default_due(
            released_at=released_at,
            days=int(rules.get("homework_due_days", policy.DEFAULT_DUE_DAYS)),
            at=time(hh, mm),
        )
    return released_at, due


def assignment_sync(*, offering: Offering, key: str, source: Path, report: SyncReport) -> Assignment | None:
    """Create or update one assignment (and its coursework item) from its source folder."""
    try:
        config = course_config_read(source=source, key=key)
    except ValueError as exc:
        report.errors.append(str(exc))
        return None
    staging = homework_root() / "releases" / key / f".staging-{timezone.now().timestamp():.0f}"
    try:
        manifest = engine_release(source=source, out=staging)
    except Exception as exc:  # the engine reports format errors with its own messages
        shutil.rmtree(staging, ignore_errors=True)
        report.errors.append(ERR_RELEASE.format(key=key, detail=exc))
        return None
    release_dir = staging.parent / manifest.source_hash
    existing = Assignment.objects.filter(offering=offering, key=key).first()
    if existing and existing.source_hash == manifest.source_hash and release_dir.is_dir():
        shutil.rmtree(staging, ignore_errors=True)
        report.unchanged.append(key)
        return existing
    if release_dir.exists():
        shutil.rmtree(staging, ignore_errors=True)
    else:
        staging.rename(release_dir)
    released_at, due = assignment_dates(offering=offering, config=config)
    with transaction.atomic():
        item, _ = CourseworkItem.objects.update_or_create(
            offering=offering,
            slug=key,
            defaults={
                "kind": CourseworkKind.HOMEWORK,
                "title": config.title,
                "category": "homework",
                "points": manifest.max_score,
                "group_work": True,
                "released_at": released_at,
                "due_at": due,
                "counted": config.counted,
                "session": Session.objects.filter(offering=offering, number=config.release_session).first()
                if config.release_session is not None
                else None,
            },
        )
        assignment, created = Assignment.objects.update_or_create(
            offering=offering,
            key=key,
            defaults={
                "item": item,
                "source_dir": str(source),
                "source_hash": manifest.source_hash,
                "release_dir": str(release_dir),
                "notebooks": _notebook_summary(manifest),
                "max_score": manifest.max_score,
                "requires_gpu": config.requires_gpu,
                "late_policy": config.late_policy,
                "late_percent": config.late_percent,
                "cutoff_days": config.cutoff_days,
                "limits": config.limits,
                "gpu_fallback": config.gpu_fallback,
                "gpu_limits": config.gpu_limits,
                "gpu_memory_mb": config.gpu_memory_mb,
                "synced_at": timezone.now(),
            },
        )
    (report.created if created else report.updated).append(key)
    return assignment


def assignments_sync(*, offering: Offering, root: Path | None = None) -> SyncReport:
    """Sync every `<root>/<key>/source/` folder (root defaults to the ASSIGNMENTS_DIR setting)."""
    root = Path(root or settings.ASSIGNMENTS_DIR)
    report = SyncReport()
    if not root.is_dir():
        return report
    for folder in sorted(p for p in root.iterdir() if (p / "source").is_dir()):
        assignment_sync(offering=offering, key=folder.name, source=folder / "source", report=report)
    return report
