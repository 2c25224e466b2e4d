"""Parse and validate the versioned course file (YAML) into plain typed records.

No database access here: `services.course_load` applies the parsed file.  Every problem is reported with its
place in the file (e.g. ``sessions[3].date``) and nothing is applied when any problem is found.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

BLOCKS = ("supervised", "deep", "rl", "agentic")
KINDS = ("homework", "scribing", "replication", "project")
MATERIAL_KINDS = ("slides", "notebook", "reading", "link")
STAFF_ROLES = ("instructor", "ta", "tutor")
LATE_PENALTIES = ("none", "percent_per_day", "zero")
WEEKDAYS = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")


class CourseFileError(ValueError):
    """The course file is malformed; `problems` lists each place and what is wrong there."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("course file rejected:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class MaterialSpec:
    """A link listed under a session (`sessions[i].materials`); files are uploaded on the session page."""

    kind: str
    title: str
    url: str


@dataclass(frozen=True)
class SessionSpec:
    number: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    room: str
    topic: str
    block: str
    materials: tuple[MaterialSpec, ...] = ()


@dataclass(frozen=True)
class EventSpec:
    key: str
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    location: str


@dataclass(frozen=True)
class CourseworkSpec:
    slug: str
    kind: str
    title: str
    category: str
    points: float
    group_work: bool
    due_at: dt.datetime | None


@dataclass(frozen=True)
class DeadlineSpec:
    key: str
    title: str
    due_at: dt.datetime


@dataclass(frozen=True)
class StaffSpec:
    """A member of the course staff as the course page lists them (`staff[i]`)."""

    name: str
    role: str
    email: str = ""
    office: str = ""
    office_hours: str = ""


@dataclass(frozen=True)
class CourseFile:
    version: str
    slug: str
    code: str
    title: str
    season: str
    timezone: str
    current: bool
    description: str
    rules: dict[str, Any]
    group_size_max: int
    group_registration_deadline: dt.datetime | None
    homework_count: int
    category_weights: dict[str, float]
    sessions: list[SessionSpec] = field(default_factory=list)
    events: list[EventSpec] = field(default_factory=list)
    coursework: list[CourseworkSpec] = field(default_factory=list)
    deadlines: list[DeadlineSpec] = field(default_factory=list)
    staff: list[StaffSpec] = field(default_factory=list)


class _Reader:
    """Collects problems instead of stopping at the first one."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def get(
        self, data: Any, key: str, where: str, kind: type | tuple, *, required: bool = True, default=None
    ):
        if not isinstance(data, dict):
            self.fail(where, "expected a mapping")
            return default
        if key not in data or data[key] is None:
            if required:
                self.fail(f"{where}.{key}" if where else key, "is required")
            return default
        value = data[key]
        if kind is str and isinstance(value, int | float | dt.date):
            value = str(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            self.fail(f"{where}.{key}" if where else key, f"expected {names}, got {value!r}")
            return default
        return value

    def date(self, value: Any, where: str) -> dt.date | None:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.fail(where, f"expected a date YYYY-MM-DD, got {value!r}")
            return None

    def time(self, value: Any, where: str) -> dt.time | None:
        if isinstance(value, int):  # YAML 1.1 reads 09:30 as a sexagesimal number
            value = f"{value // 60:02d}:{value % 60:02d}"
        try:
            return dt.time.fromisoformat(str(value))
        except ValueError:
            self.fail(where, f"expected a time HH:MM, got {value!r}")
            return None

    def moment(self, value: Any, where: str, tz: ZoneInfo) -> dt.datetime | None:
        try:
            parsed = dt.datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(where, f"expected a date and time 'YYYY-MM-DD HH:MM', got {value!r}")
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def _materials(r: _Reader, raw: Any, where: str) -> tuple[MaterialSpec, ...]:
    """`materials:` of one session: a list of {kind, title, url}; http(s) links only, titles unique per kind."""
    from django.core.exceptions import ValidationError
    from django.core.validators import URLValidator

    if not isinstance(raw, dict):
        return ()
    items = r.get(raw, "materials", where, list, required=False, default=[])
    out: list[MaterialSpec] = []
    seen: set[tuple[str, str]] = set()
    check_url = URLValidator(schemes=["http", "https"])
    for j, item in enumerate(items):
        place = f"{where}.materials[{j}]"
        kind = r.get(item, "kind", place, str, default="")
        title = r.get(item, "title", place, str, default="").strip()
        url = r.get(item, "url", place, str, default="").strip()
        if kind and kind not in MATERIAL_KINDS:
            r.fail(f"{place}.kind", f"expected one of {', '.join(MATERIAL_KINDS)}, got {kind!r}")
            continue
        if isinstance(item, dict) and "title" in item and not title:
            r.fail(f"{place}.title", "must not be empty")
        if len(title) > 300:
            r.fail(f"{place}.title", "must be at most 300 characters")
        if url:
            try:
                check_url(url)
            except ValidationError:
                r.fail(f"{place}.url", f"expected an http(s) address, got {url!r}")
                continue
            if len(url) > 500:
                r.fail(f"{place}.url", "must be at most 500 characters")
        if (kind, title) in seen:
            r.fail(f"{place}.title", f"{title!r} is listed twice as {kind}")
        seen.add((kind, title))
        if kind and title and url:
            out.append(MaterialSpec(kind, title, url))
    return tuple(out)


def _staff(r: _Reader, data: dict) -> list[StaffSpec]:
    """`staff:`: who teaches the course, with e-mail, office and office hours (all but name and role optional)."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    out: list[StaffSpec] = []
    for i, raw in enumerate(r.get(data, "staff", "", list, required=False, default=[])):
        where = f"staff[{i}]"
        name = r.get(raw, "name", where, str, default="").strip()
        role = r.get(raw, "role", where, str, default="")
        if role and role not in STAFF_ROLES:
            r.fail(f"{where}.role", f"expected one of {', '.join(STAFF_ROLES)}, got {role!r}")
        email = r.get(raw, "email", where, str, required=False, default="").strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                r.fail(f"{where}.email", f"expected an e-mail address, got {email!r}")
        office = r.get(raw, "office", where, str, required=False, default="").strip()
        hours = r.get(raw, "office_hours", where, str, required=False, default="").strip()
        if name and role:
            out.append(StaffSpec(name, role, email, office, hours))
    return out


def _number(r: _Reader, data: dict, key: str, where: str, *, low: float, high: float | None = None):
    value = r.get(data, key, where, (int, float), required=False, default=None)
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            r.fail(f"{where}.{key}", f"expected a number, got {value!r}")
        return None
    if value < low or (high is not None and value > high):
        bound = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
        r.fail(f"{where}.{key}", f"must be {bound}, got {value!r}")
        return None
    return value


def _peer_rules(r: _Reader, peer: dict) -> dict[str, Any]:
    """rules.peer_evaluation: window_days (how long each evaluation stays open), factor_min and factor_max (the
    adjustment factor's floor and cap), dead_band [low, high) (factors inside count as 1.0)."""
    where = "rules.peer_evaluation"
    out: dict[str, Any] = {}
    window = _number(r, peer, "window_days", where, low=1, high=60)
    low = _number(r, peer, "factor_min", where, low=0, high=1)
    high = _number(r, peer, "factor_max", where, low=1, high=2)
    for key, value in (("window_days", window), ("factor_min", low), ("factor_max", high)):
        if value is not None:
            out[key] = value
    band = peer.get("dead_band")
    if band is not None:
        ok = (
            isinstance(band, list)
            and len(band) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in band)
            and band[0] <= 1 <= band[1]
        )
        if not ok:
            r.fail(f"{where}.dead_band", f"expected [low, high] around 1, got {band!r}")
        else:
            out["dead_band"] = [float(band[0]), float(band[1])]
    return out


GPU_HOURS_MAX = 10000


def _gpu_hours(r: _Reader, rules: dict) -> float | None:
    """rules.gpu_hours_per_student: the JupyterHub GPU hours each student may use (0 or absent: no GPU servers)."""
    value = rules.get("gpu_hours_per_student")
    if isinstance(value, bool) or not isinstance(value, int | float):
        r.fail(
            "rules.gpu_hours_per_student",
            f"expected a number of GPU hours per student (0 for no GPU servers), got {value!r}",
        )
        return None
    if not 0 <= value <= GPU_HOURS_MAX:
        r.fail(
            "rules.gpu_hours_per_student",
            f"must be between 0 and {GPU_HOURS_MAX} GPU hours, got {value!r}",
        )
        return None
    return float(value)


def _course_rules(r: _Reader, rules: dict) -> dict[str, Any]:
    """The course's rules that the course page states, checked and normalised (times as HH:MM).

    buddy_evaluation (bool), optional_homework_counts (bool: optional practice homework, `counted = false` in
    its assignment.toml, competes for the best N too; default false), homework_release_days and
    homework_due_days (days), homework_due_time (HH:MM), late_policy {penalty, percent, cutoff_days}, language,
    computing [{name, note}], weights_confirmed (bool), presentation_minutes, peer_evaluation {window_days, factor_min, factor_max, dead_band},
    gpu_hours_per_student (JupyterHub GPU hours per student; absent or 0: CPU servers only).  Absent rules stay
    absent (the page leaves them out).
    """
    out: dict[str, Any] = {}
    for key in ("buddy_evaluation", "weights_confirmed", "optional_homework_counts"):
        value = r.get(rules, key, "rules", bool, required=False, default=None)
        if value is not None:
            out[key] = value
    for key, low in (("homework_release_days", 1), ("homework_due_days", 1), ("presentation_minutes", 1)):
        value = r.get(rules, key, "rules", int, required=False, default=None)
        if value is not None:
            if value < low:
                r.fail(f"rules.{key}", f"must be at least {low}, got {value!r}")
            out[key] = value
    if isinstance(rules, dict) and rules.get("homework_due_time") is not None:
        due_time = r.time(rules["homework_due_time"], "rules.homework_due_time")
        if due_time is not None:
            out["homework_due_time"] = due_time.strftime("%H:%M")
    late = r.get(rules, "late_policy", "rules", dict, required=False, default=None)
    if late is not None:
        penalty = r.get(late, "penalty", "rules.late_policy", str, default="")
        if penalty and penalty not in LATE_PENALTIES:
            r.fail(
                "rules.late_policy.penalty", f"expected one of {', '.join(LATE_PENALTIES)}, got {penalty!r}"
            )
        percent = _number(r, late, "percent", "rules.late_policy", low=0, high=100)
        if penalty == "percent_per_day" and percent is None and "percent" not in late:
            r.fail("rules.late_policy.percent", "is required when the penalty is percent_per_day")
        cutoff = _number(r, late, "cutoff_days", "rules.late_policy", low=0)
        out["late_policy"] = {"penalty": penalty, "percent": percent, "cutoff_days": cutoff}
    if isinstance(rules, dict) and "gpu_hours_per_student" in rules:
        hours = _gpu_hours(r, rules)
        if hours is not None:
            out["gpu_hours_per_student"] = hours
    peer = r.get(rules, "peer_evaluation", "rules", dict, required=False, default=None)
    if peer is not None:
        out["peer_evaluation"] = _peer_rules(r, peer)
    language = r.get(rules, "language", "rules", str, required=False, default=None)
    if language is not None:
        if not language.strip():
            r.fail("rules.language", "must not be empty")
        out["language"] = language.strip()
    computing = []
    for i, raw in enumerate(r.get(rules, "computing", "rules", list, required=False, default=[])):
        where = f"rules.computing[{i}]"
        name = r.get(raw, "name", where, str, default="").strip()
        note = r.get(raw, "note", where, str, required=False, default="").strip()
        if isinstance(raw, dict) and "name" in raw and not name:
            r.fail(f"{where}.name", "must not be empty")
        if name:
            computing.append({"name": name, "note": note})
    if computing:
        out["computing"] = computing
    return out


def _meeting(sessions: list[SessionSpec], tz: ZoneInfo, d_start, d_end, d_room: str) -> dict[str, str]:
    """When and where the class usually meets, from the sessions (their weekdays, most common time and room)."""
    from collections import Counter

    if not sessions:
        if d_start is None or d_end is None:
            return {}
        return {
            "days": "",
            "start": d_start.strftime("%H:%M"),
            "end": d_end.strftime("%H:%M"),
            "room": d_room,
        }
    local = [(s.starts_at.astimezone(tz), s.ends_at.astimezone(tz), s.room) for s in sessions]
    weekdays = sorted({start.weekday() for start, _, _ in local})
    names = [WEEKDAYS[d] for d in weekdays]
    days = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    (start, end), _ = Counter((a.strftime("%H:%M"), b.strftime("%H:%M")) for a, b, _ in local).most_common(1)[
        0
    ]
    room, _ = Counter(room for _, _, room in local).most_common(1)[0]
    return {"days": days, "start": start, "end": end, "room": room}


def course_file_parse(*, text: str, source: str = "<course file>") -> CourseFile:
    """Parse and validate; raises CourseFileError listing every problem with its place."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "file"
        raise CourseFileError(
            [f"{source} {where}: not valid YAML ({getattr(exc, 'problem', exc)})"]
        ) from None
    r = _Reader()
    if not isinstance(data, dict):
        raise CourseFileError([f"{source}: expected a mapping at the top level"])
    if data.get("schema") != 1:
        r.fail("schema", f"expected 1, got {data.get('schema')!r}")
    version = r.get(data, "version", "", str, default="")
    off = r.get(data, "offering", "", dict, default={})
    tzname = r.get(off, "timezone", "offering", str, required=False, default="Asia/Hong_Kong")
    try:
        tz = ZoneInfo(tzname)
    except (ZoneInfoNotFoundError, ValueError):
        r.fail("offering.timezone", f"unknown time zone {tzname!r}")
        tz = ZoneInfo("Asia/Hong_Kong")
    rules = r.get(data, "rules", "", dict, required=False, default={})
    deadline_raw = rules.get("group_registration_deadline") if isinstance(rules, dict) else None
    weights = r.get(rules, "category_weights", "rules", dict, required=False, default={})
    for cat, w in (weights or {}).items():
        if not isinstance(w, int | float) or isinstance(w, bool) or w < 0:
            r.fail(f"rules.category_weights.{cat}", f"expected a non-negative number, got {w!r}")

    defaults = r.get(data, "session_defaults", "", dict, required=False, default={})
    d_start = r.time(defaults.get("start", "09:30"), "session_defaults.start")
    d_end = r.time(defaults.get("end", "12:15"), "session_defaults.end")
    d_room = str(defaults.get("room", ""))

    sessions: list[SessionSpec] = []
    seen: set[int] = set()
    for i, raw in enumerate(r.get(data, "sessions", "", list, default=[])):
        where = f"sessions[{i}]"
        number = r.get(raw, "number", where, int)
        if number is not None and number in seen:
            r.fail(f"{where}.number", f"session {number} is listed twice")
        seen.add(number)
        day = r.date(raw.get("date"), f"{where}.date") if isinstance(raw, dict) else None
        start = r.time(raw.get("start", d_start), f"{where}.start") if isinstance(raw, dict) else None
        end = r.time(raw.get("end", d_end), f"{where}.end") if isinstance(raw, dict) else None
        topic = r.get(raw, "topic", where, str, default="")
        block = r.get(raw, "block", where, str, default="")
        if block and block not in BLOCKS:
            r.fail(f"{where}.block", f"expected one of {', '.join(BLOCKS)}, got {block!r}")
        room = r.get(raw, "room", where, str, required=not d_room, default=d_room)
        materials = _materials(r, raw, where)
        if None not in (number, day, start, end):
            starts = dt.datetime.combine(day, start, tzinfo=tz)
            ends = dt.datetime.combine(day, end, tzinfo=tz)
            if ends <= starts:
                r.fail(f"{where}.end", "must be after the start")
            sessions.append(SessionSpec(number, starts, ends, room, topic, block, materials))

    events: list[EventSpec] = []
    for i, raw in enumerate(r.get(data, "events", "", list, required=False, default=[])):
        where = f"events[{i}]"
        key = r.get(raw, "key", where, str, default="")
        title = r.get(raw, "title", where, str, default="")
        day = r.date(raw.get("date") if isinstance(raw, dict) else None, f"{where}.date")
        start = r.time(raw.get("start") if isinstance(raw, dict) else None, f"{where}.start")
        end = r.time(raw.get("end") if isinstance(raw, dict) else None, f"{where}.end")
        location = r.get(raw, "location", where, str, required=False, default="Online")
        if None not in (day, start, end):
            events.append(
                EventSpec(
                    key,
                    title,
                    dt.datetime.combine(day, start, tz),
                    dt.datetime.combine(day, end, tz),
                    location,
                )
            )

    coursework: list[CourseworkSpec] = []
    for i, raw in enumerate(r.get(data, "coursework", "", list, required=False, default=[])):
        where = f"coursework[{i}]"
        kind = r.get(raw, "kind", where, str, default="")
        if kind and kind not in KINDS:
            r.fail(f"{where}.kind", f"expected one of {', '.join(KINDS)}, got {kind!r}")
        points = r.get(raw, "points", where, (int, float), required=False, default=100)
        due = raw.get("due") if isinstance(raw, dict) else None
        coursework.append(
            CourseworkSpec(
                slug=r.get(raw, "slug", where, str, default=""),
                kind=kind,
                title=r.get(raw, "title", where, str, default=""),
                category=r.get(raw, "category", where, str, required=False, default=kind),
                points=float(points or 0),
                group_work=bool(raw.get("group_work", True)) if isinstance(raw, dict) else True,
                due_at=r.moment(due, f"{where}.due", tz) if due is not None else None,
            )
        )

    deadlines: list[DeadlineSpec] = []
    for i, raw in enumerate(r.get(data, "deadlines", "", list, required=False, default=[])):
        where = f"deadlines[{i}]"
        due = r.moment(raw.get("due") if isinstance(raw, dict) else None, f"{where}.due", tz)
        deadlines.append(
            DeadlineSpec(
                r.get(raw, "key", where, str, default=""), r.get(raw, "title", where, str, default=""), due
            )
        )

    staff = _staff(r, data)
    page_rules = _course_rules(r, rules if isinstance(rules, dict) else {})
    reg_deadline = r.moment(deadline_raw, "rules.group_registration_deadline", tz) if deadline_raw else None
    group_max = r.get(rules, "group_size_max", "rules", int, required=False, default=2)
    hw_count = r.get(rules, "homework_count", "rules", int, required=False, default=5)
    slug = r.get(off, "slug", "offering", str)
    title = r.get(off, "title", "offering", str)
    season = r.get(off, "season", "offering", str)
    if r.problems:
        raise CourseFileError([f"{source}: {p}" for p in r.problems])
    return CourseFile(
        version=version,
        slug=slug,
        code=off.get("code", "DOTE 6635"),
        title=title,
        season=season,
        timezone=tzname,
        current=bool(off.get("current", False)),
        description=str(off.get("description", "")),
        rules={
            **{k: v for k, v in rules.items() if k != "category_weights"},
            **page_rules,
            "meeting": _meeting(sessions, tz, d_start, d_end, d_room),
            "staff": [asdict(p) for p in staff],
        },
        group_size_max=group_max,
        group_registration_deadline=reg_deadline,
        homework_count=hw_count,
        category_weights={k: float(v) for k, v in weights.items()},
        sessions=sessions,
        events=events,
        coursework=coursework,
        deadlines=deadlines,
        staff=staff,
    )


def course_file_read(*, path: Path) -> CourseFile:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CourseFileError([f"{path}: cannot read the file ({exc.strerror})"]) from None
    return course_file_parse(text=text, source=str(path))
