"""The demo course for `make run`: its own offering, generated from day offsets relative to today.

Never used in production.  `demo_build()` creates (or moves to today) the offering `demo`: thirteen weekly
sessions around today with links on their pages, group registration open, sign-up sheets open, a paper catalogue
(`demo_data/papers.bib`, facts only) open for replication, homework 3 past due and graded by the real grading
pipeline (the assignment's reference notebook, submitted on time by the demo group), with sharing on and that
solution shared with the class, homework 4 open, homework 5 released with tomorrow's session, and the project
proposal ahead.  "Today" is the `DEMO_TODAY` setting or environment variable
(ISO date, Hong Kong time) when set, else the current date in Hong Kong.  Everything is idempotent: running it
again the same day changes nothing, and on a later day it moves the dates.  The demo offering is the current one.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from django.conf import settings
from django.db import transaction

from courseweb.accounts.models import User
from courseweb.courses.models import CourseworkItem, Offering, Role
from courseweb.courses.services import enrollment_set
from courseweb.groups.models import Group, Membership
from courseweb.groups.selectors import group_for_user

HKT = ZoneInfo("Asia/Hong_Kong")
DEMO_SLUG = "demo"
DATA_DIR = Path(__file__).resolve().parent / "demo_data"
PAPERS_FILE = DATA_DIR / "papers.bib"


@dataclass(frozen=True)
class DemoPerson:
    username: str
    name: str
    role: str
    major: str = ""
    department: str = ""
    student_number: str = ""
    group: str = ""


DEMO_PEOPLE = (
    DemoPerson("instructor", "Dana Instructor", Role.INSTRUCTOR, department="DOTE"),
    DemoPerson("ta", "Tim Assistant", Role.TA, department="DOTE"),
    DemoPerson("alice", "Alice Wong", Role.STUDENT, "Operations Management", "DOTE", "1155200001", "Bandits"),
    DemoPerson("bob", "Bob Chan", Role.STUDENT, "Marketing", "MKT", "1155200002", "Bandits"),
    DemoPerson("carol", "Carol Lee", Role.STUDENT, "Information Systems", "DSME", "1155200003"),
    DemoPerson("dan", "Dan Ho", Role.STUDENT, "Finance", "FIN", "1155200004"),
)
DEMO_PASSWORD_SUFFIX = "-demo-2026"
DEMO_GROUP = "Bandits"

# Day offsets from today.  Session n is on today + 7 * (n - 4) + 1: sessions 1-3 are past (their notes are
# published), session 4 is tomorrow.
FIRST_SESSION_OFFSET = -20
REGISTRATION_CLOSES = 10
SHEETS_OPEN, SHEETS_CLOSE = -7, 35
TUTORIAL = 3
# (assignment folder, released with session, due offset in days): one past, one open, one upcoming.  Homework 3-5
# keep the course's order and grade in seconds (no torch import), so building the demo stays quick.
HOMEWORK_PAST = ("hw3-causal-inference", 1, -9)
HOMEWORK_OPEN = ("hw4-dml-hte", 2, 5)
HOMEWORK_UPCOMING = ("hw5-dedl-replication", 4, 15)
DEMO_HOMEWORK = (HOMEWORK_PAST, HOMEWORK_OPEN, HOMEWORK_UPCOMING)
PROPOSAL_DUE, REPORT_DUE, SCRIBING_DUE = 21, 70, 75

READINGS = {
    "esl": ("The Elements of Statistical Learning (free book)", "https://hastie.su.domains/ElemStatLearn/"),
    "dlbook": ("Deep Learning (Goodfellow, Bengio and Courville)", "https://www.deeplearningbook.org/"),
    "pytorch": ("PyTorch tutorials", "https://pytorch.org/tutorials/"),
    "sutton": (
        "Reinforcement Learning: An Introduction (Sutton and Barto)",
        "http://incompleteideas.net/book/the-book-2nd.html",
    ),
    "dqn": ("Human-level control through deep reinforcement learning", "https://doi.org/10.1038/nature14236"),
    "ppo": ("Proximal Policy Optimization Algorithms", "https://arxiv.org/abs/1707.06347"),
    "instructgpt": (
        "Training language models to follow instructions with human feedback",
        "https://arxiv.org/abs/2203.02155",
    ),
    "react": (
        "ReAct: Synergizing Reasoning and Acting in Language Models",
        "https://arxiv.org/abs/2210.03629",
    ),
    "generative": (
        "Generative Agents: Interactive Simulacra of Human Behavior",
        "https://arxiv.org/abs/2304.03442",
    ),
}

# (block, topic, [(material kind, reading key)]) for sessions 1..13.
SESSIONS = (
    ("supervised", "Introduction to Supervised Learning", [("reading", "esl"), ("notebook", "pytorch")]),
    ("deep", "Introduction to Deep Learning", [("reading", "dlbook"), ("notebook", "pytorch")]),
    ("rl", "Reinforcement Learning (I): Tabular MDPs and the Bellman equations", [("reading", "sutton")]),
    (
        "rl",
        "Reinforcement Learning (II): Monte Carlo and temporal-difference learning",
        [("reading", "sutton")],
    ),
    ("rl", "Reinforcement Learning (III): DQN and AlphaGo", [("reading", "dqn")]),
    ("rl", "Reinforcement Learning (IV): Policy gradients, PPO and A3C", [("reading", "ppo")]),
    ("rl", "Reinforcement Learning (V): Off-policy evaluation and learning", [("reading", "sutton")]),
    ("rl", "Reinforcement Learning (VI): RLHF, RLVR and GRPO", [("reading", "instructgpt")]),
    ("agentic", "Agentic AI (I): ReAct, Tree of Thoughts and MCP", [("reading", "react")]),
    ("agentic", "Agentic AI (II): Agent training, tool use and coding agents", [("reading", "react")]),
    ("agentic", "Agentic AI (III): Evaluation and benchmarks", []),
    ("agentic", "Agentic AI (IV): Multi-agent systems and agentic simulations", [("reading", "generative")]),
    ("agentic", "Agentic AI (V): Business applications", []),
)


def demo_password(username: str) -> str:
    return f"{username}{DEMO_PASSWORD_SUFFIX}"


def demo_today() -> dt.date:
    """The demo's today: `settings.DEMO_TODAY` or the `DEMO_TODAY` environment variable (ISO), else HKT today."""
    raw = getattr(settings, "DEMO_TODAY", None) or os.environ.get("DEMO_TODAY", "")
    if isinstance(raw, dt.date):
        return raw
    if raw:
        try:
            return dt.date.fromisoformat(str(raw).strip())
        except ValueError as exc:
            raise ValueError(f"DEMO_TODAY must be a date like 2027-03-15, got {raw!r}") from exc
    return dt.datetime.now(HKT).date()


def demo_moment(today: dt.date, days: int, at: str = "09:30") -> dt.datetime:
    """Today + days at a Hong Kong time of day, as an aware datetime."""
    return dt.datetime.combine(today + dt.timedelta(days=days), dt.time.fromisoformat(at), tzinfo=HKT)


def session_date(today: dt.date, number: int) -> dt.date:
    return today + dt.timedelta(days=FIRST_SESSION_OFFSET + 7 * (number - 1))


def demo_course_text(*, today: dt.date) -> str:
    """The demo's course file (same schema as `courseweb/courses/course_files/`), dated around `today`."""

    def day(offset: int) -> str:
        return (today + dt.timedelta(days=offset)).isoformat()

    def stamp(offset: int, at: str) -> str:
        return f"{day(offset)} {at}"

    sessions = []
    for number, (block, topic, materials) in enumerate(SESSIONS, start=1):
        entry = {
            "number": number,
            "date": session_date(today, number).isoformat(),
            "block": block,
            "topic": topic,
        }
        if materials:
            entry["materials"] = [
                {"kind": kind, "title": READINGS[key][0], "url": READINGS[key][1]} for kind, key in materials
            ]
        sessions.append(entry)
    data = {
        "schema": 1,
        "version": f"demo-{today.isoformat()}",
        "offering": {
            "slug": DEMO_SLUG,
            "code": "DOTE 6635",
            "title": "AI for Business Research (demo)",
            "season": "Demo term",
            "timezone": "Asia/Hong_Kong",
            "current": True,
            "description": (
                "The demo course of make run: its dates follow today, so every part of the site can be tried."
            ),
        },
        "staff": [
            {
                "name": p.name,
                "role": "instructor" if p.role == Role.INSTRUCTOR else "ta",
                "office_hours": "By appointment" if p.role == Role.INSTRUCTOR else "",
            }
            for p in DEMO_PEOPLE
            if p.role in (Role.INSTRUCTOR, Role.TA)
        ],
        "rules": {
            "group_size_max": 2,
            "group_registration_deadline": stamp(REGISTRATION_CLOSES, "23:59"),
            "buddy_evaluation": True,
            "homework_release_days": 7,
            "homework_count": 5,
            "homework_due_days": 14,
            "homework_due_time": "09:30",
            "late_policy": {"penalty": "percent_per_day", "percent": 10, "cutoff_days": 7},
            "presentation_minutes": 30,
            "language": "Python",
            "computing": [{"name": "The grading sandbox", "note": "runs the course's Python environment"}],
            "category_weights": {"homework": 30, "scribing": 15, "replication": 25, "project": 30},
            "weights_confirmed": False,
        },
        "session_defaults": {"start": "09:30", "end": "12:15", "room": "CYT 209A"},
        "sessions": sessions,
        "events": [
            {
                "key": "tutorial-1",
                "title": "Optional tutorial: PyTorch basics",
                "date": day(TUTORIAL),
                "start": "19:00",
                "end": "21:00",
                "location": "Online",
            }
        ],
        "coursework": [
            {
                "slug": "scribing",
                "kind": "scribing",
                "title": "Lecture-note scribing",
                "category": "scribing",
                "points": 100,
                "due": stamp(SCRIBING_DUE, "23:59"),
            },
            {
                "slug": "replication",
                "kind": "replication",
                "title": "Paper replication and presentation",
                "category": "replication",
                "points": 100,
            },
            {
                "slug": "project-proposal",
                "kind": "project",
                "title": "Final project: proposal",
                "category": "project",
                "points": 20,
                "due": stamp(PROPOSAL_DUE, "09:30"),
            },
            {
                "slug": "project-report",
                "kind": "project",
                "title": "Final project: paper, slides and code",
                "category": "project",
                "points": 80,
                "due": stamp(REPORT_DUE, "23:59"),
            },
        ],
        "deadlines": [
            {
                "key": "group-registration",
                "title": "Group registration closes",
                "due": stamp(REGISTRATION_CLOSES, "23:59"),
            },
        ],
    }
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


class DemoGradingError(RuntimeError):
    """The demo's past homework could not be graded (e.g. no sandbox); `report` has what was built."""

    report: DemoReport


@dataclass
class DemoReport:
    offering: Offering
    people: list[tuple[DemoPerson, str]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


@transaction.atomic
def demo_people_create(*, offering: Offering) -> list[tuple[DemoPerson, str]]:
    """Create (or reset) the demo accounts and the demo group; returns (person, password) pairs."""
    out = []
    for p in DEMO_PEOPLE:
        user, _ = User.objects.get_or_create(
            username=p.username, defaults={"email": f"{p.username}@demo.dote6635.local"}
        )
        user.display_name, user.major, user.department = p.name, p.major, p.department
        user.student_number = p.student_number
        user.is_staff = p.role == Role.INSTRUCTOR
        user.is_superuser = p.role == Role.INSTRUCTOR
        password = demo_password(p.username)
        user.set_password(password)
        user.save()
        enrollment_set(user=user, offering=offering, role=p.role)
        if p.group and group_for_user(user=user, offering=offering, members=False) is None:
            group, _ = Group.objects.get_or_create(
                offering=offering, name=p.group, defaults={"created_by": user}
            )
            Membership.objects.create(group=group, user=user, offering=offering)
        out.append((p, password))
    return out


def _course(*, today: dt.date) -> tuple[Offering, list[str]]:
    from courseweb.courses.course_file import course_file_parse
    from courseweb.courses.services import course_load

    course = course_file_parse(text=demo_course_text(today=today), source="demo course file")
    report = course_load(course=course)
    return Offering.objects.get(slug=DEMO_SLUG), [report.lines()[-1]]


def _sheets(*, offering: Offering, today: dt.date) -> list[str]:
    from courseweb.signups.models import Sheet, Slot
    from courseweb.signups.staff import presentation_minutes, sheets_create_standard

    opens, closes = demo_moment(today, SHEETS_OPEN, "09:00"), demo_moment(today, SHEETS_CLOSE, "23:59")
    created = sheets_create_standard(offering=offering, staff=None, opens_at=opens, closes_at=closes)
    moved = Sheet.objects.filter(offering=offering).exclude(opens_at=opens, closes_at=closes)
    moved_count = moved.update(opens_at=opens, closes_at=closes, locks_at=None)
    # Timed presentation slots sit at the end of their session, which may have moved with today.
    window = dt.timedelta(minutes=presentation_minutes(offering=offering))
    for slot in Slot.objects.filter(sheet__offering=offering, minutes__isnull=False).select_related(
        "session"
    ):
        starts = slot.session.ends_at - window + dt.timedelta(minutes=(slot.position - 1) * slot.minutes)
        if slot.starts_at != starts:
            slot.starts_at = starts
            slot.save(update_fields=["starts_at"])
    return [f"sign-up sheets: {len(created)} created, {moved_count} moved to open until {closes:%Y-%m-%d}"]


def _papers(*, offering: Offering) -> list[str]:
    from courseweb.papers.models import ImportBatch, Paper
    from courseweb.papers.services import paper_eligibility_set, paper_import_text

    text = PAPERS_FILE.read_text(encoding="utf-8")
    import hashlib

    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if not ImportBatch.objects.filter(sha256=sha).exists():
        paper_import_text(text=text, fmt="bibtex", filename=PAPERS_FILE.name)
    papers = list(Paper.objects.filter(sources__batch__sha256=sha).distinct())
    for paper in papers:
        paper_eligibility_set(paper=paper, offering=offering, eligible=True, user=None)
    return [f"paper catalogue: {len(papers)} demo papers open for replication"]


def _homework(*, offering: Offering, today: dt.date) -> list[str]:
    from courseweb.homework.services.assignments import SyncReport, assignment_sync
    from courseweb.lectures.models import Session

    root = Path(settings.ASSIGNMENTS_DIR)
    report = SyncReport()
    for key, session_number, due_offset in DEMO_HOMEWORK:
        if not (root / key / "source").is_dir():
            report.errors.append(f"{key}: not found under {root}")
            continue
        assignment_sync(offering=offering, key=key, source=root / key / "source", report=report)
        session = Session.objects.get(offering=offering, number=session_number)
        CourseworkItem.objects.filter(offering=offering, slug=key).update(
            session=session, released_at=session.starts_at, due_at=demo_moment(today, due_offset)
        )
    if report.errors:
        raise RuntimeError("demo homework could not be synced: " + "; ".join(report.errors))
    from courseweb.homework.models import Assignment
    from courseweb.homework.services.sharing import sharing_set

    sharing_set(assignment=Assignment.objects.get(offering=offering, key=HOMEWORK_PAST[0]), enabled=True)
    return [f"homework: {report.summary()}"]


def demo_shared_solution(*, submission, today: dt.date):
    """The demo group shares its graded past homework with the class (once: a withdrawal made in the demo is
    kept). Published at noon of the demo's today, after every cut-off of the past homework."""
    from courseweb.homework.models import SharedSolution
    from courseweb.homework.services.sharing import solution_publish

    assignment = submission.assignment
    existing = SharedSolution.objects.filter(assignment=assignment, group=submission.group_id)
    if existing.exists():
        return existing.order_by("-published_at", "-id").first()
    alice = User.objects.get(username="alice")
    return solution_publish(user=alice, assignment=assignment, now=demo_moment(today, 0, "12:00"))


def demo_graded_submission(*, offering: Offering, today: dt.date):
    """The demo group's on-time submission of the past homework, graded by the real pipeline (idempotent).

    The submission is the assignment's reference notebook (`source/<stem>.ipynb`); it goes through
    `submission_create` and is graded by `grading_run` (the grading engine in its sandbox), as a worker would.
    """
    from courseweb.homework.models import Assignment, JobState, Submission
    from courseweb.homework.services.grading import submission_regrade
    from courseweb.homework.services.runner import grading_run
    from courseweb.homework.services.submissions import submission_create

    assignment = Assignment.objects.select_related("item").get(offering=offering, key=HOMEWORK_PAST[0])
    group = Group.objects.get(offering=offering, name=DEMO_GROUP)
    graded = (
        Submission.objects.filter(assignment=assignment, group=group, jobs__state=JobState.GRADED)
        .order_by("-submitted_at")
        .first()
    )
    if graded is not None:
        on_time = assignment.item.due_at - dt.timedelta(days=2)
        if graded.submitted_at > assignment.item.due_at:  # the demo moved to an earlier today
            Submission.objects.filter(pk=graded.pk).update(submitted_at=on_time, is_late=False)
            graded.refresh_from_db()
        return graded
    submission = (
        Submission.objects.filter(assignment=assignment, group=group).order_by("-submitted_at").first()
    )
    if submission is None:
        stem = sorted(assignment.notebooks)[0]
        data = (Path(assignment.source_dir) / f"{stem}.ipynb").read_bytes()
        alice = User.objects.get(username="alice")
        submitted_at = assignment.item.due_at - dt.timedelta(days=2)
        submission = submission_create(
            user=alice, assignment=assignment, filename=f"{stem}.ipynb", data=data, now=submitted_at
        ).submission
    job = submission.jobs.order_by("-created_at", "-id").first()
    if job is None or job.state == JobState.FAILED:  # an earlier try failed (e.g. no sandbox): grade again
        job = submission_regrade(submission=submission)
    outcome = grading_run(job_id=job.pk, worker="seed_demo")
    job.refresh_from_db()
    if job.state != JobState.GRADED:
        raise DemoGradingError(
            f"grading the demo group's {assignment.item.title} did not finish ({outcome}): {job.error or job.state}"
        )
    return submission


def demo_build(*, today: dt.date | None = None, grade: bool = True) -> DemoReport:
    """Create or move the demo offering to `today` (default: `demo_today()`); see the module docstring."""
    from courseweb.notes.scribing import notes_demo_load

    today = today or demo_today()
    offering, lines = _course(today=today)
    report = DemoReport(offering=offering, lines=lines)
    report.people = demo_people_create(offering=offering)
    notes = notes_demo_load(offering=offering)
    report.lines.append(f"notes: {len(notes)} demo session notes published")
    report.lines += _sheets(offering=offering, today=today)
    report.lines += _papers(offering=offering)
    report.lines += _homework(offering=offering, today=today)
    if grade:
        try:
            submission = demo_graded_submission(offering=offering, today=today)
        except DemoGradingError as exc:
            exc.report = report
            raise
        job = submission.jobs.order_by("-created_at", "-id").first()
        report.lines.append(
            f"graded: {submission.assignment.item.title} for group {DEMO_GROUP}: {job.score:g} / {job.max_score:g}"
        )
        demo_shared_solution(submission=submission, today=today)
        report.lines.append(f"shared: group {DEMO_GROUP}'s {submission.assignment.item.title} with the class")
    return report
