"""Writes for offerings: applying the course file (idempotent) and enrolling people."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from courseweb.lectures.models import Event, Session
from courseweb.lectures.services import materials_sync

from .course_file import CourseFile
from .models import CourseworkItem, Deadline, Enrollment, Offering


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    kept_missing: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.removed)

    def lines(self) -> list[str]:
        out = [f"created: {c}" for c in self.created] + [f"updated: {u}" for u in self.updated]
        out += [f"removed (no longer in the file, nothing refers to it): {r}" for r in self.removed]
        out += [f"kept (no longer in the file, but still referred to): {k}" for k in self.kept_missing]
        out.append(
            f"created: {len(self.created)}, updated: {len(self.updated)}, unchanged: {self.unchanged}, "
            f"removed: {len(self.removed)}, kept: {len(self.kept_missing)}"
        )
        return out


def _sync(obj_cls, lookup: dict, values: dict, label: str, report: LoadReport):
    obj = obj_cls.objects.filter(**lookup).first()
    if obj is None:
        obj = obj_cls.objects.create(**lookup, **values)
        report.created.append(label)
        return obj
    changed = [k for k, v in values.items() if getattr(obj, k) != v]
    if changed:
        for k in changed:
            setattr(obj, k, values[k])
        obj.save(update_fields=changed)
        report.updated.append(f"{label} ({', '.join(changed)})")
    else:
        report.unchanged += 1
    return obj


def _is_referenced(obj) -> bool:
    """True when any row points at obj (reverse foreign keys, one-to-ones and many-to-manys)."""
    for rel in obj._meta.related_objects:
        accessor = rel.get_accessor_name()
        if rel.one_to_one:
            if rel.related_model.objects.filter(**{rel.field.name: obj}).exists():
                return True
        elif getattr(obj, accessor).exists():
            return True
    return False


@transaction.atomic
def course_load(*, course: CourseFile) -> LoadReport:
    """Create or update the offering and everything the file lists; sessions are matched by number."""
    report = LoadReport()
    if course.current:
        Offering.objects.exclude(slug=course.slug).filter(is_current=True).update(is_current=False)
    offering = _sync(
        Offering,
        {"slug": course.slug},
        {
            "code": course.code,
            "title": course.title,
            "season": course.season,
            "description": course.description,
            "timezone": course.timezone,
            "group_size_max": course.group_size_max,
            "group_registration_deadline": course.group_registration_deadline,
            "homework_count": course.homework_count,
            "category_weights": course.category_weights,
            "rules": course.rules,
            "course_file_version": course.version,
            "is_current": course.current,
        },
        f"offering {course.slug}",
        report,
    )
    listed = set()
    for s in course.sessions:
        listed.add(s.number)
        session = _sync(
            Session,
            {"offering": offering, "number": s.number},
            {
                "starts_at": s.starts_at,
                "ends_at": s.ends_at,
                "room": s.room,
                "topic": s.topic,
                "block": s.block,
            },
            f"session {s.number}",
            report,
        )
        created, updated, removed = materials_sync(session=session, specs=list(s.materials))
        report.created += created
        report.updated += updated
        report.removed += removed
        report.unchanged += len(s.materials) - len(created) - len(updated)
    for session in Session.objects.filter(offering=offering).exclude(number__in=listed):
        label = f"session {session.number} ({session.topic})"
        if _is_referenced(session) or session.scribing_group_id:
            report.kept_missing.append(label)
        else:
            session.delete()
            report.removed.append(label)
    for e in course.events:
        _sync(
            Event,
            {"offering": offering, "key": e.key},
            {"title": e.title, "starts_at": e.starts_at, "ends_at": e.ends_at, "location": e.location},
            f"event {e.key}",
            report,
        )
    for c in course.coursework:
        item = _sync(
            CourseworkItem,
            {"offering": offering, "slug": c.slug},
            {
                "kind": c.kind,
                "title": c.title,
                "category": c.category,
                "points": round(c.points, 2),
                "group_work": c.group_work,
                "due_at": c.due_at,
            },
            f"coursework {c.slug}",
            report,
        )
        if c.due_at:
            _sync(
                Deadline,
                {"offering": offering, "key": f"coursework-{c.slug}"},
                {"title": f"{c.title} due", "due_at": c.due_at, "coursework": item},
                f"deadline coursework-{c.slug}",
                report,
            )
    for d in course.deadlines:
        _sync(
            Deadline,
            {"offering": offering, "key": d.key},
            {"title": d.title, "due_at": d.due_at},
            f"deadline {d.key}",
            report,
        )
    return report


@transaction.atomic
def enrollment_set(*, user, offering: Offering, role: str) -> Enrollment:
    enrollment, _ = Enrollment.objects.update_or_create(user=user, offering=offering, defaults={"role": role})
    user.__dict__.pop("_course_roles", None)
    return enrollment
