"""Writes for peer evaluations: opening them at each group's own deadline (idempotent: the periodic task and
the pages' on-demand check may both run it), the open notice and the reminder through the notification service,
saving a member's answer, and the staff's switches (grade adjustment, release of comments for the buddy)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from courseweb.courses.models import CourseworkItem, Offering
from courseweb.groups.models import Membership
from courseweb.homework.deadlines import deadlines_for

from . import contribution
from .models import PeerEvaluation, PeerItemSetting, PeerResponse

DEFAULT_WINDOW_DAYS = 7
REMIND_BEFORE = dt.timedelta(hours=24)


def peer_settings(offering: Offering) -> dict[str, Any]:
    return dict((offering.rules or {}).get("peer_evaluation") or {})


def peer_enabled(offering: Offering) -> bool:
    """Buddy evaluation runs unless the course file says `buddy_evaluation: false`."""
    return (offering.rules or {}).get("buddy_evaluation", True) is not False


def peer_window(offering: Offering) -> dt.timedelta:
    return dt.timedelta(days=float(peer_settings(offering).get("window_days", DEFAULT_WINDOW_DAYS)))


def peer_rules(offering: Offering) -> contribution.Rules:
    s = peer_settings(offering)
    default = contribution.Rules()
    band = s.get("dead_band") or [default.band_low, default.band_high]
    return contribution.Rules(
        floor=float(s.get("factor_min", default.floor)),
        cap=float(s.get("factor_max", default.cap)),
        band_low=float(band[0]),
        band_high=float(band[1]),
    )


def _group_deadlines(
    offering: Offering, items: list[CourseworkItem], members: dict[int, list[int]]
) -> dict[tuple[int, int], dt.datetime]:
    """(item id, group id) -> the group's own due time (extensions included; the latest of its members')."""
    user_ids = [u for ids in members.values() for u in ids]
    own = deadlines_for(offering=offering, items=items, users=user_ids) if items and user_ids else {}
    out = {}
    for item in items:
        for group_id, ids in members.items():
            dues = [own[(item.pk, u)].due_at for u in ids if (item.pk, u) in own]
            dues = [d for d in dues if d is not None]
            if dues:
                out[(item.pk, group_id)] = max(dues)
    return out


def evaluations_open(*, offering: Offering, now: dt.datetime) -> list[PeerEvaluation]:
    """Open the evaluations whose group deadline has passed and whose window has not, for the group's members
    at this moment (groups of one are skipped); record members who left open evaluations.  Idempotent."""
    if not peer_enabled(offering):
        return []
    members: dict[int, list[int]] = defaultdict(list)
    names: dict[int, str] = {}
    for m in Membership.objects.filter(offering=offering).select_related("group").order_by("joined_at", "pk"):
        members[m.group_id].append(m.user_id)
        names[m.group_id] = m.group.name
    _record_leavers(offering=offering, members=members, now=now)
    pairs = {g: ids for g, ids in members.items() if len(ids) >= 2}
    window = peer_window(offering)
    items = list(
        CourseworkItem.objects.filter(
            offering=offering, group_work=True, due_at__isnull=False, due_at__lte=now
        )
    )
    # an item whose course deadline is still ahead may be past for nobody; extensions only move deadlines later
    existing = set(PeerEvaluation.objects.filter(item__in=items).values_list("item_id", "group_id"))
    due = _group_deadlines(offering, items, pairs)
    created = []
    for item in items:
        for group_id, ids in pairs.items():
            opens = due.get((item.pk, group_id))
            if opens is None or (item.pk, group_id) in existing or not opens <= now < opens + window:
                continue
            try:
                with transaction.atomic():
                    created.append(
                        PeerEvaluation.objects.create(
                            offering=offering,
                            item=item,
                            group_id=group_id,
                            group_name=names[group_id],
                            member_ids=ids,
                            opens_at=opens,
                            closes_at=opens + window,
                        )
                    )
            except IntegrityError:  # another caller opened it first
                continue
    for evaluation in created:
        _notify_open(evaluation)
    return created


def _record_leavers(*, offering: Offering, members: dict[int, list[int]], now: dt.datetime) -> None:
    for evaluation in PeerEvaluation.objects.filter(offering=offering, opens_at__lte=now, closes_at__gt=now):
        current = set(members.get(evaluation.group_id, [])) if evaluation.group_id else set()
        gone = [u for u in evaluation.member_ids if u not in current and u not in evaluation.left_ids]
        if gone:
            evaluation.left_ids = [*evaluation.left_ids, *gone]
            evaluation.save(update_fields=["left_ids"])


def _users(ids: list[int]) -> list[Any]:
    from courseweb.accounts.models import User

    return list(User.objects.filter(pk__in=ids))


def _hkt(moment: dt.datetime) -> str:
    from django.utils import timezone

    from courseweb.homework.policy import HKT

    return timezone.localtime(moment, HKT).strftime("%Y-%m-%d %H:%M")


def _notify(*, user_ids: list[int], title: str, body: str, url: str) -> None:
    """Tell users through the notification service (site, and e-mail after commit per their preference)."""
    if not user_ids:
        return
    from courseweb.notifications.models import Kind
    from courseweb.notifications.services import notify

    notify(users=_users(user_ids), kind=Kind.REMINDER, title=title, body=body, url=url)


def _notify_open(evaluation: PeerEvaluation) -> None:
    claimed = PeerEvaluation.objects.filter(pk=evaluation.pk, notified_at__isnull=True).update(
        notified_at=evaluation.opens_at
    )
    if not claimed:
        return
    _notify(
        user_ids=evaluation.raters,
        title=f"Rate your buddy's contribution to {evaluation.item.title}",
        body=f"The buddy evaluation is open until {_hkt(evaluation.closes_at)} (Hong Kong time).",
        url=reverse("peer:evaluate", args=[evaluation.pk]),
    )


def reminders_send(*, offering: Offering, now: dt.datetime) -> int:
    """Remind members who have not answered, once, in the last day of the window; returns how many were told."""
    told = 0
    for evaluation in PeerEvaluation.objects.filter(
        offering=offering, reminded_at__isnull=True, closes_at__gt=now, closes_at__lte=now + REMIND_BEFORE
    ).select_related("item"):
        if not PeerEvaluation.objects.filter(pk=evaluation.pk, reminded_at__isnull=True).update(
            reminded_at=now
        ):
            continue
        answered = set(evaluation.responses.values_list("rater_id", flat=True))
        owing = [u for u in evaluation.raters if u not in answered]
        _notify(
            user_ids=owing,
            title=f"Reminder: rate your buddy's contribution to {evaluation.item.title}",
            body=f"The buddy evaluation closes at {_hkt(evaluation.closes_at)} (Hong Kong time).",
            url=reverse("peer:evaluate", args=[evaluation.pk]),
        )
        told += len(owing)
    return told


def response_save(
    *,
    evaluation: PeerEvaluation,
    rater: Any,
    points: dict[int, int],
    staff_comment: str = "",
    buddy_comment: str = "",
    now: dt.datetime,
) -> PeerResponse:
    """Save (or change) a member's answer while the window is open; the row must be valid on the scale."""
    if rater.pk not in evaluation.raters:
        raise PermissionDenied("Only the group's members rate each other.")
    if not evaluation.is_open(at=now):
        raise ValidationError("This buddy evaluation is closed; answers can no longer change.")
    problems = contribution.row_problems(points=points, members=evaluation.raters)
    if problems:
        raise ValidationError(problems)
    response, _created = PeerResponse.objects.get_or_create(
        evaluation=evaluation,
        rater=rater,
        defaults={"submitted_at": now, "updated_at": now},
    )
    response.points = {str(k): int(v) for k, v in points.items() if k in evaluation.raters}
    response.staff_comment = staff_comment.strip()
    response.buddy_comment = buddy_comment.strip()
    response.updated_at = now
    response.save()
    return response


def _setting(item: CourseworkItem) -> PeerItemSetting:
    setting, _ = PeerItemSetting.objects.get_or_create(item=item)
    return setting


def adjustment_set(*, item: CourseworkItem, on: bool, by: Any, now: dt.datetime) -> PeerItemSetting:
    setting = _setting(item)
    setting.adjust_grades, setting.changed_by, setting.changed_at = on, by, now
    setting.save()
    return setting


def comments_release(*, item: CourseworkItem, by: Any, now: dt.datetime) -> PeerItemSetting:
    """Show each member the comments their buddy wrote for them (anonymously); only after every window closed."""
    if PeerEvaluation.objects.filter(item=item, closes_at__gt=now).exists():
        raise ValidationError("Some groups' evaluations of this item are still open.")
    setting = _setting(item)
    setting.comments_released_at, setting.changed_by, setting.changed_at = now, by, now
    setting.save()
    return setting
