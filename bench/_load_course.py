"""The load benchmark's course at scale, built in the benchmark's own database (run by bench/load.py in a child
process with the benchmark's settings; never against a real site).

    python bench/_load_course.py PLAN.json --students 200 --groups 100

The demo course (`courseweb.core.demo.demo_build`, without its engine run: dates around today, published notes,
sign-up sheets, papers) and every homework of the course (`assignments_sync` of ASSIGNMENTS_DIR), then students up
to `--students` in `--groups` groups (the demo's four students included: Alice and Bob's group, Carol and Dan in
one), and for every homework one submission per group: the released notebook, stored by `submission_create`, on
time, and graded by recording a result through the job state machine (`job_claim`, `job_complete`: the
notifications go out as after a real run) rather than by running the sandbox 1,400 times. Staff grade every group's
project proposal. Writes what the simulated students need (logins, URLs, the burst's homework) as JSON to PLAN.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "load-bench-2026"  # every benchmark account's password (the database is dropped afterwards)
BURST_HOMEWORK = "hw4-dml-hte"  # open in the demo course and graded in seconds: the grading burst uploads it


def _students(*, offering, students: int, groups: int) -> list[str]:
    """Usernames of every student, the demo's first; new ones in pairs, the rest alone, `groups` groups in all.
    Every account of the course (the demo's staff too) gets the benchmark's password."""
    from django.contrib.auth.hashers import make_password

    from courseweb.accounts.models import User
    from courseweb.courses.models import Enrollment, Role
    from courseweb.groups.models import Group, Membership

    password = make_password(PASSWORD)  # hashed once: the same password for every account
    User.objects.filter(enrollments__offering=offering).update(password=password)
    demo = list(
        User.objects.filter(enrollments__offering=offering, enrollments__role=Role.STUDENT).order_by(
            "username"
        )
    )
    grouped = set(Membership.objects.filter(offering=offering).values_list("user_id", flat=True))
    alone = [u for u in demo if u.pk not in grouped]
    if len(alone) >= 2:  # Carol and Dan team up
        group = Group.objects.create(offering=offering, name="Demo pair", created_by=alone[0])
        Membership.objects.bulk_create(Membership(group=group, user=u, offering=offering) for u in alone[:2])
    extra = students - len(demo)
    new = User.objects.bulk_create(
        User(
            username=f"student{n:03d}",
            email=f"student{n:03d}@link.example.edu",
            display_name=f"Student {n:03d}",
            student_number=f"1155{n:06d}",
            major=("Operations Management", "Marketing", "Finance", "Information Systems")[n % 4],
            password=password,
        )
        for n in range(1, extra + 1)
    )
    Enrollment.objects.bulk_create(Enrollment(user=u, offering=offering, role=Role.STUDENT) for u in new)
    have = Group.objects.filter(offering=offering).count()
    pairs = min(groups - have, len(new) // 2)
    made = Group.objects.bulk_create(
        Group(offering=offering, name=f"Team {k + 1:03d}", created_by=new[2 * k]) for k in range(pairs)
    )
    Membership.objects.bulk_create(
        Membership(group=g, user=u, offering=offering)
        for k, g in enumerate(made)
        for u in new[2 * k : 2 * k + 2]
    )
    return [u.username for u in demo] + [u.username for u in new]


def _graded_submissions(*, offering) -> int:
    """One on-time submission per group for every homework, graded through the job states; the staff have graded
    the written answers of the homework past due."""
    import datetime as dt

    from django.db import transaction
    from django.utils import timezone

    from courseweb.accounts.models import User
    from courseweb.homework.models import Assignment

    uploaders = _uploaders(offering=offering)
    grader = User.objects.get(username="ta")
    now = timezone.now()
    made = 0
    for assignment in Assignment.objects.filter(offering=offering).select_related("item").order_by("key"):
        stem = sorted(assignment.notebooks)[0]
        released = json.loads((Path(assignment.release_dir) / f"{stem}.ipynb").read_text(encoding="utf-8"))
        due = assignment.item.due_at or now
        at = min(due - dt.timedelta(days=1), now - dt.timedelta(minutes=5))
        with transaction.atomic():  # one commit per homework, not three per submission
            made += _homework_graded(
                assignment=assignment, stem=stem, released=released, uploaders=uploaders, at=at, grader=grader
            )
    return made


def _homework_graded(*, assignment, stem: str, released: dict, uploaders: list, at, grader) -> int:
    """Each uploader's group submits and is graded; written answers of homework past due are graded by staff."""
    from django.utils import timezone

    from courseweb.homework.services.grading import job_claim, job_complete
    from courseweb.homework.services.manual import manual_cell_grade_set
    from courseweb.homework.services.submissions import submission_create

    summary = assignment.notebooks[stem]
    past_due = assignment.item.due_at is not None and assignment.item.due_at < timezone.now()
    for n, user in enumerate(uploaders):
        released["metadata"]["load_bench"] = n  # each group's notebook is its own file
        outcome = submission_create(
            user=user,
            assignment=assignment,
            filename=f"{stem}.ipynb",
            data=json.dumps(released).encode(),
            now=at,
        )
        claim = job_claim(job_id=outcome.job.pk, worker="load-bench")
        cells = {
            gid: {
                "score": float(summary["points"].get(gid, 0)) * ((n + k) % 4) / 3,
                "max_score": float(summary["points"].get(gid, 0)),
                "status": "passed" if (n + k) % 4 == 3 else "failed",
                "message": "",
            }
            for k, gid in enumerate(summary["tests"])
        }
        job_complete(
            job_id=claim.job_id,
            token=claim.token,
            outcome={
                "score": sum(c["score"] for c in cells.values()),
                "max_score": float(assignment.max_score),
                "needs_manual": bool(summary["manual"]),
                "cells": {stem: cells},
            },
        )
        for gid in summary["manual"] if past_due else []:
            points = float(summary["points"].get(gid, 0)) * (n % 3) / 2
            manual_cell_grade_set(grader=grader, submission=outcome.submission, grade_id=gid, points=points)
    return len(uploaders)


def build(*, students: int, groups: int) -> dict:
    """Build the course and return the plan for the simulated students (see the module docstring)."""
    from django.core.management import call_command
    from django.utils import timezone

    from courseweb.core.demo import demo_build
    from courseweb.courses.models import CourseworkItem, Role
    from courseweb.groups.models import Group
    from courseweb.homework.models import Assignment, ManualGrade
    from courseweb.homework.services.assignments import assignments_sync
    from courseweb.lectures.models import Session
    from courseweb.notes.models import BookPage

    call_command("migrate", verbosity=0)
    report = demo_build(grade=False)
    offering = report.offering
    synced = assignments_sync(offering=offering)
    if synced.errors:
        sys.exit("could not sync the course's homework: " + "; ".join(synced.errors))
    usernames = _students(offering=offering, students=students, groups=groups)
    submissions = _graded_submissions(offering=offering)
    proposal = CourseworkItem.objects.get(offering=offering, slug="project-proposal")
    ManualGrade.objects.bulk_create(
        ManualGrade(item=proposal, group=g, points=12 + g.pk % 8)
        for g in Group.objects.filter(offering=offering)
    )
    now = timezone.now()
    released = [
        a.key
        for a in Assignment.objects.filter(offering=offering).select_related("item").order_by("key")
        if a.item.released_at is None or a.item.released_at <= now
    ]
    uploaders = {u.username for u in _uploaders(offering=offering)}
    return {
        "password": PASSWORD,
        "students": usernames,
        "uploaders": [u for u in usernames if u in uploaders],
        "staff": [p.username for p, _ in report.people if p.role != Role.STUDENT],
        "assignments": released,
        "items": list(CourseworkItem.objects.filter(offering=offering).values_list("slug", flat=True)),
        "sessions": list(Session.objects.filter(offering=offering).values_list("number", flat=True)),
        "notes": [f"/notes/{offering.slug}/"]  # the table of contents, then every page
        + [
            f"/notes/{offering.slug}/{slug}/"
            for slug in BookPage.objects.filter(book__offering=offering).values_list("slug", flat=True)
        ],
        "burst": {
            "assignment": BURST_HOMEWORK,
            "notebook": str(_burst_notebook(offering=offering)),
        },
        "counts": {"students": len(usernames), "groups": Group.objects.filter(offering=offering).count()}
        | {"submissions": submissions, "homework": Assignment.objects.filter(offering=offering).count()},
    }


def _uploaders(*, offering) -> list:
    """The first member of each group, who uploads the group's notebooks."""
    from courseweb.groups.models import Membership

    first: dict[int, object] = {}
    for m in (
        Membership.objects.filter(offering=offering).select_related("user").order_by("group_id", "user_id")
    ):
        first.setdefault(m.group_id, m.user)
    return list(first.values())


def _burst_notebook(*, offering) -> Path:
    """The burst homework's reference solution (its source notebook), what a student who solved it uploads."""
    from courseweb.homework.models import Assignment

    assignment = Assignment.objects.get(offering=offering, key=BURST_HOMEWORK)
    return Path(assignment.source_dir) / f"{sorted(assignment.notebooks)[0]}.ipynb"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plan", type=Path)
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--groups", type=int, default=100)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    os.chdir(REPO)
    import django

    django.setup()
    plan = build(students=args.students, groups=args.groups)
    args.plan.write_text(json.dumps(plan, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
