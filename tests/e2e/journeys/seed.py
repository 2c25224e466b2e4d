"""The journeys' course, built with the site's own services in the stack's database (run as a script).

`python -m tests.e2e.journeys.seed` runs inside the stack's environment (its settings, database and media folder),
before the web server and the worker start. Every date is relative to now, so the journeys work on any day:
session 1 began two days ago, the tiny homework is open, the other homework is past its cut-off, group
registration and the sign-up sheets are open, the project proposal is due in ten days.

The constants below are imported by the journeys (no Django needed to read them).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

OFFERING = "j26"
PASSWORD = "journey-pass-2026"
OPEN_HW = "tiny"  # open: due in five days
CLOSED_HW = "other"  # past its cut-off
PROPOSAL = "proposal"
PAPER_TITLE = "Double/Debiased Machine Learning for Treatment and Structural Parameters"

# username: (display name, role, group or "")
PEOPLE = {
    "dana": ("Dana Instructor", "instructor", ""),
    "tim": ("Tim Assistant", "ta", ""),
    "amy": ("Amy Chan", "student", ""),
    "ben": ("Ben Lee", "student", ""),
    "carol": ("Carol Ng", "student", "Policy Gradients"),
    "dan": ("Dan Ho", "student", "Policy Gradients"),
    "erin": ("Erin Yip", "student", ""),
    "fay": ("Fay Lam", "student", "Markov Chains"),
    "gus": ("Gus Poon", "student", "Markov Chains"),
}
GRADED_GROUP = "Policy Gradients"  # seeded with a half-right tiny submission, graded by the stack's worker
SIGNED_UP_GROUP = "Markov Chains"  # seeded with the scribing place of session 4


def email(username: str) -> str:
    return f"{username}@link.journeys.example.edu"


def main() -> dict:
    import django

    django.setup()

    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)  # the stack's copy of the migrated database

    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from courseweb.accounts.models import User
    from courseweb.courses.models import CourseworkItem, CourseworkKind, Offering
    from courseweb.courses.services import enrollment_set
    from courseweb.groups.models import Group, Membership
    from courseweb.homework.models import Assignment
    from courseweb.homework.services.assignments import assignments_sync
    from courseweb.homework.services.submissions import submission_create
    from courseweb.lectures.models import Session
    from courseweb.lectures.services import material_add_link
    from courseweb.notes.scribing import notes_demo_load
    from courseweb.papers.models import Paper
    from courseweb.papers.services import paper_eligibility_set
    from courseweb.signups.models import Slot
    from courseweb.signups.services import signup_create
    from courseweb.signups.staff import sheet_create
    from tests.courseweb.homework.notebooks import ANSWERS_HALF, FIXTURES, student_notebook, to_bytes

    now = timezone.now().replace(microsecond=0)
    Offering.objects.update(is_current=False)
    offering = Offering.objects.create(
        slug=OFFERING,
        title="AI for Business Research",
        season="Journey term",
        is_current=True,
        group_size_max=2,
        homework_count=2,
        group_registration_deadline=now + dt.timedelta(days=7),
        category_weights={"homework": 40, "scribing": 10, "replication": 20, "project": 30},
    )
    first = (now - dt.timedelta(days=2)).replace(hour=1, minute=30, second=0)  # 09:30 in Hong Kong
    topics = [
        "Supervised learning as a research instrument",
        "Regularisation and model selection",
        "Causal inference with machine learning",
        "Double machine learning",
        "Bandits and adaptive experiments",
        "Reinforcement learning",
    ]
    sessions = [
        Session.objects.create(
            offering=offering,
            number=n,
            starts_at=first + dt.timedelta(weeks=n - 1),
            ends_at=first + dt.timedelta(weeks=n - 1, hours=2, minutes=45),
            room="CYT 209A",
            topic=topic,
            block="ml" if n < 3 else "causal" if n < 5 else "rl",
        )
        for n, topic in enumerate(topics, start=1)
    ]

    hashed = make_password(PASSWORD)  # hashed once: the same password for everyone
    users = {}
    for username, (name, role, _group) in PEOPLE.items():
        user = User.objects.create_user(
            username=username,
            email=email(username),
            password=None,
            display_name=name,
            student_number=f"11553{len(users):05d}" if role == "student" else "",
            major="Operations Management" if role == "student" else "",
            department="DOTE",
            is_staff=role == "instructor",
        )
        user.password = hashed
        user.save(update_fields=["password"])
        enrollment_set(user=user, offering=offering, role=role)
        users[username] = user
    groups = {}
    for username, (_name, _role, group_name) in PEOPLE.items():
        if group_name:
            group = groups.get(group_name) or Group.objects.create(
                offering=offering, name=group_name, created_by=users[username]
            )
            groups[group_name] = group
            Membership.objects.create(group=group, user=users[username], offering=offering)

    report = assignments_sync(offering=offering, root=FIXTURES)
    if report.errors:
        raise SystemExit(f"assignment sync failed: {report.errors}")
    tiny = Assignment.objects.select_related("item").get(offering=offering, key=OPEN_HW)
    tiny.item.released_at = sessions[0].starts_at
    tiny.item.due_at = now + dt.timedelta(days=5)
    tiny.item.save()
    other = Assignment.objects.select_related("item").get(offering=offering, key=CLOSED_HW)
    other.item.released_at = now - dt.timedelta(days=40)
    other.item.due_at = now - dt.timedelta(days=30)  # late policy "zero": closed for good
    other.item.session = None
    other.item.save()

    CourseworkItem.objects.create(
        offering=offering,
        slug=PROPOSAL,
        kind=CourseworkKind.PROJECT,
        title="Project proposal",
        category="project",
        points=10,
        released_at=now - dt.timedelta(days=1),
        due_at=now + dt.timedelta(days=10),
    )

    notes_demo_load(offering=offering)
    material_add_link(
        session=sessions[0],
        kind="slides",
        title="Session 1 slides",
        url="https://example.org/dote6635/s1.pdf",
    )
    material_add_link(
        session=sessions[0],
        kind="reading",
        title="Double/debiased machine learning (arXiv)",
        url="https://arxiv.org/abs/1608.00060",
    )

    tim = users["tim"]
    scribing = sheet_create(
        offering=offering,
        staff=tim,
        kind="scribing",
        title="Lecture-note scribing",
        sessions=sessions[2:],
        opens_at=now - dt.timedelta(hours=1),
        closes_at=now + dt.timedelta(days=7),
    )
    sheet_create(
        offering=offering,
        staff=tim,
        kind="paper",
        title="Paper replication and presentation",
        sessions=sessions[2:],
        slots_per_session=2,
        opens_at=now - dt.timedelta(hours=1),
        closes_at=now + dt.timedelta(days=7),
    )
    paper = Paper.objects.create(title=PAPER_TITLE, venue="The Econometrics Journal", year=2018)
    paper_eligibility_set(paper=paper, offering=offering, eligible=True, user=tim)
    slot = Slot.objects.filter(sheet=scribing, session__number=4).order_by("pk").first()
    signup_create(slot=slot, group=groups[SIGNED_UP_GROUP], user=users["fay"])

    released = json.loads((Path(tiny.release_dir) / f"{OPEN_HW}.ipynb").read_text())
    half = student_notebook(released, ANSWERS_HALF)
    submission_create(
        user=users["carol"], assignment=tiny, filename="tiny.ipynb", data=to_bytes(half), via="web"
    )
    return {"offering": offering.slug, "sessions": len(sessions)}


if __name__ == "__main__":
    json.dump(main(), sys.stdout)
    sys.stdout.write("\n")
