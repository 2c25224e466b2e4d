"""Deadline reminders (48 h and 6 h before each owner's own deadline, to owners who have not handed in) and the
staff's daily digest of ungraded manual work.

Each reminder first inserts its `Reminder` row; the database's unique constraint on (user, item, deadline, kind)
refuses a second one, so a reminder goes out at most once even when beat restarts or two senders run at once.
The notifications created with it commit in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from courseweb.accounts.models import User
from courseweb.courses.models import STAFF_ROLES, CourseworkItem, Enrollment, Offering, Role
from courseweb.groups.models import Group, Membership
from courseweb.homework.deadlines import deadlines_for
from courseweb.homework.models import Assignment, Deliverable, GradingJob, JobState, ManualGrade, Submission
from courseweb.homework.selectors import HANDIN_KINDS

from .emails import site_url
from .models import Kind, Reminder, ReminderKind
from .services import notify

HKT = dt.timezone(dt.timedelta(hours=8))
WINDOWS = ((ReminderKind.BEFORE_6H, dt.timedelta(hours=6)), (ReminderKind.BEFORE_48H, dt.timedelta(hours=48)))


def _window(due_at: dt.datetime, now: dt.datetime) -> str | None:
    """The reminder due now for a deadline: the 6 h one inside 6 hours, the 48 h one inside 48 hours."""
    if due_at <= now:
        return None
    for kind, span in WINDOWS:
        if due_at - now <= span:
            return kind
    return None


def _claim(*, user_id: int, item_key: str, due_at: dt.datetime, kind: str) -> bool:
    """Insert-or-skip: True when this call inserted the reminder's row (inside the caller's transaction)."""
    try:
        with transaction.atomic():
            Reminder.objects.create(user_id=user_id, item_key=item_key, due_at=due_at, kind=kind)
    except IntegrityError:
        return False
    return True


def _handed_in(offering: Offering, user_ids: list[int]) -> set[tuple[int, int]]:
    """(item id, user id) pairs already handed in: a notebook submission or a hand-in by the user's group."""
    done = set(
        Submission.objects.filter(
            assignment__offering=offering, memberships__user_id__in=user_ids
        ).values_list("assignment__item_id", "memberships__user_id")
    )
    group_of = dict(
        Membership.objects.filter(offering=offering, user_id__in=user_ids).values_list("user_id", "group_id")
    )
    members = defaultdict(list)
    for uid, gid in group_of.items():
        members[gid].append(uid)
    for item_id, gid, by in Deliverable.objects.filter(item__offering=offering).values_list(
        "item_id", "group_id", "submitted_by_id"
    ):
        if gid:
            done.update((item_id, uid) for uid in members.get(gid, []))
        elif by in user_ids and by not in group_of:
            done.add((item_id, by))
    return done


def _items(offering: Offering, now: dt.datetime) -> list[tuple[CourseworkItem, str]]:
    """Released homework and hand-in items, each with its page's link."""
    out = []
    for a in Assignment.objects.filter(offering=offering).select_related("item"):
        out.append((a.item, reverse("homework:assignment", args=[a.key])))
    for item in CourseworkItem.objects.filter(
        offering=offering, kind__in=HANDIN_KINDS, assignment__isnull=True
    ):
        out.append((item, reverse("homework:item", args=[item.slug])))
    return [(i, url) for i, url in out if i.released_at is None or i.released_at <= now]


def reminders_send(*, now: dt.datetime, offering: Offering | None = None) -> int:
    """Send the reminders due at `now` for every current offering (or one); returns how many were sent."""
    offerings = [offering] if offering else list(Offering.objects.filter(is_current=True))
    sent = 0
    for off in offerings:
        items = _items(off, now)
        if not items:
            continue
        students = list(
            Enrollment.objects.filter(offering=off, role=Role.STUDENT, user__is_active=True).select_related(
                "user"
            )
        )
        users = {e.user_id: e.user for e in students}
        if not users:
            continue
        deadlines = deadlines_for(offering=off, items=[i for i, _ in items], users=list(users.values()))
        done = _handed_in(off, list(users))
        for item, url in items:
            for uid, user in users.items():
                deadline = deadlines.get((item.pk, uid))
                if deadline is None or deadline.due_at is None or (item.pk, uid) in done:
                    continue
                kind = _window(deadline.due_at, now)
                if kind is None:
                    continue
                with transaction.atomic():
                    if not _claim(user_id=uid, item_key=f"item:{item.pk}", due_at=deadline.due_at, kind=kind):
                        continue
                    due = timezone.localtime(deadline.due_at, HKT)
                    left = "6 hours" if kind == ReminderKind.BEFORE_6H else "48 hours"
                    notify(
                        users=[user],
                        kind=Kind.REMINDER,
                        title=f"{item.title} is due in less than {left}",
                        body=(
                            f"Your deadline for {item.title} is {due:%a %d %b %Y, %H:%M} (Hong Kong time) and "
                            "nothing has been handed in for you yet."
                        ),
                        url=url,
                    )
                sent += 1
    return sent


def ungraded_work(*, offering: Offering) -> list[dict[str, Any]]:
    """Manual grading still to do: notebook submissions (the latest per owner) whose written answers are not all
    scored, and hand-ins with no item grade for their owner. Each: title, owner, url. A fixed number of queries,
    reading only the columns it needs (the home page of every staff member asks)."""
    out = []
    assignments = {a.pk: a for a in Assignment.objects.filter(offering=offering).select_related("item")}
    latest: dict[tuple[int, Any], dict[str, Any]] = {}
    for sub in (
        Submission.objects.filter(assignment__offering=offering)
        .order_by("submitted_at", "id")
        .values("id", "assignment_id", "group_id", "submitted_by_id", "stem")
    ):
        latest[(sub["assignment_id"], sub["group_id"] or f"u{sub['submitted_by_id']}")] = sub
    scored = defaultdict(int)
    for sid in ManualGrade.objects.filter(submission__assignment__offering=offering).values_list(
        "submission_id", flat=True
    ):
        scored[sid] += 1
    waiting = []
    for sub in latest.values():
        manual = assignments[sub["assignment_id"]].notebooks.get(sub["stem"], {}).get("manual", [])
        if manual and scored[sub["id"]] < len(manual):
            waiting.append(sub)
    groups = Group.objects.in_bulk({s["group_id"] for s in waiting if s["group_id"]})
    users = User.objects.in_bulk({s["submitted_by_id"] for s in waiting if not s["group_id"]})
    for sub in waiting:
        out.append(
            {
                "title": assignments[sub["assignment_id"]].item.title,
                "owner": (groups[sub["group_id"]] if sub["group_id"] else users[sub["submitted_by_id"]]).name,
                "url": reverse("homework:submission", args=[sub["id"]]),
            }
        )
    graded = set(
        ManualGrade.objects.filter(item__offering=offering, submission__isnull=True).values_list(
            "item_id", "group_id", "user_id"
        )
    )
    owners = set()
    for d in Deliverable.objects.filter(item__offering=offering).select_related(
        "item", "group", "submitted_by"
    ):
        key = (d.item_id, d.group_id, None if d.group_id else d.submitted_by_id)
        if key in graded or key in owners:
            continue
        owners.add(key)
        out.append(
            {
                "title": d.item.title,
                "owner": d.group.name if d.group_id else d.submitted_by.name,
                "url": reverse("homework:item_grading", args=[d.item.slug]),
            }
        )
    return out


def flagged_jobs(*, offering: Offering) -> list[GradingJob]:
    """Each submission's latest grading job when the engine flagged it or it failed, for the staff's to-do; only
    those jobs are loaded whole (two queries)."""
    latest: dict[int, tuple[int, str, list]] = {}
    for submission_id, job_id, state, flags in (
        GradingJob.objects.filter(submission__assignment__offering=offering)
        .order_by("created_at", "id")
        .values_list("submission_id", "id", "state", "flags")
    ):
        latest[submission_id] = (job_id, state, flags)
    wanted = [
        job_id
        for job_id, state, flags in latest.values()
        if state == JobState.FAILED or (state == JobState.GRADED and flags)
    ]
    jobs = GradingJob.objects.select_related("submission__assignment__item").in_bulk(wanted)
    return [jobs[job_id] for job_id in wanted]


def digest_send(*, now: dt.datetime, offering: Offering | None = None) -> int:
    """Once a day (Hong Kong date), tell each staff member what manual grading is waiting; nothing when none."""
    offerings = [offering] if offering else list(Offering.objects.filter(is_current=True))
    day = timezone.localtime(now, HKT).replace(hour=0, minute=0, second=0, microsecond=0)
    sent = 0
    for off in offerings:
        work = ungraded_work(offering=off)
        if not work:
            continue
        staff = [
            e.user
            for e in Enrollment.objects.filter(
                offering=off, role__in=STAFF_ROLES, user__is_active=True
            ).select_related("user")
        ]
        lines = [f"- {w['title']}: {w['owner']} ({site_url(w['url'])})" for w in work]
        for user in staff:
            with transaction.atomic():
                if not _claim(
                    user_id=user.pk, item_key=f"digest:{off.pk}", due_at=day, kind=ReminderKind.DIGEST
                ):
                    continue
                notify(
                    users=[user],
                    kind=Kind.DIGEST,
                    title=f"{len(work)} hand-in{'s' if len(work) != 1 else ''} waiting for manual grading",
                    body="Still to grade by hand:\n" + "\n".join(lines),
                    url=reverse("home"),
                )
            sent += 1
    return sent
