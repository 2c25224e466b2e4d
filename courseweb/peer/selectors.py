"""Reads for peer evaluations: what a student owes or may still change, the staff's tables (per item and over
the course, sorted by concern, with comments), a student's history, the grade factors, and released comments."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from courseweb.courses.models import CourseworkItem, Offering

from . import contribution
from .models import PeerEvaluation, PeerItemSetting, PeerResponse
from .services import peer_rules


@dataclass
class EvaluationRow:
    """One member's line in the staff table for one item."""

    evaluation: PeerEvaluation
    item: CourseworkItem
    user: Any
    result: contribution.MemberResult
    flags: tuple[str, ...]
    staff_comment: str = ""
    buddy_comment: str = ""
    left: bool = False

    @property
    def flag_labels(self) -> list[str]:
        return [contribution.FLAG_LABELS[f] for f in self.flags]

    @property
    def concern(self) -> tuple:
        r = self.result
        return contribution.concern_key(flags=self.flags, difference=r.difference, factor=r.factor)


@dataclass
class CourseTable:
    items: list[CourseworkItem]
    rows: list[EvaluationRow] = field(default_factory=list)
    history: dict[int, list[tuple[CourseworkItem, float | None]]] = field(default_factory=dict)
    settings: dict[int, PeerItemSetting] = field(default_factory=dict)

    @property
    def students(self) -> list[Any]:
        """The students in the table, each once, in the table's order (for their history plots)."""
        seen: dict[int, Any] = {}
        for row in self.rows:
            if row.user is not None:
                seen.setdefault(row.user.pk, row.user)
        return list(seen.values())


def owed_evaluations(*, offering: Offering, user: Any, now: dt.datetime) -> list[tuple[PeerEvaluation, bool]]:
    """The user's open evaluations, soonest closing first, with whether they have answered already."""
    open_now = PeerEvaluation.objects.filter(
        offering=offering, opens_at__lte=now, closes_at__gt=now
    ).select_related("item")
    mine = _filter_member(open_now, user.pk)
    answered = set(
        PeerResponse.objects.filter(evaluation__in=mine, rater=user).values_list("evaluation_id", flat=True)
    )
    return sorted(((e, e.pk in answered) for e in mine), key=lambda t: t[0].closes_at)


def _filter_member(evaluations, user_id: int) -> list[PeerEvaluation]:
    return [e for e in evaluations if user_id in e.member_ids and user_id not in e.left_ids]


def evaluation_members(evaluation: PeerEvaluation) -> list[Any]:
    from courseweb.accounts.models import User

    users = {u.pk: u for u in User.objects.filter(pk__in=evaluation.raters)}
    return [users[u] for u in evaluation.raters if u in users]


def _ratings(responses: list[PeerResponse]) -> dict[int, dict[int, int]]:
    return {r.rater_id: {int(k): int(v) for k, v in r.points.items()} for r in responses}


def course_table(*, offering: Offering, item: CourseworkItem | None = None) -> CourseTable:
    """Every evaluated member's line (for one item, or every item), most concerning first; history flags are
    computed over the whole course either way."""
    from courseweb.accounts.models import User

    rules = peer_rules(offering)
    evaluations = list(
        PeerEvaluation.objects.filter(offering=offering).select_related("item").order_by("opens_at", "pk")
    )
    responses: dict[int, list[PeerResponse]] = defaultdict(list)
    for r in PeerResponse.objects.filter(evaluation__in=evaluations):
        responses[r.evaluation_id].append(r)
    user_ids = {u for e in evaluations for u in e.member_ids}
    users = {u.pk: u for u in User.objects.filter(pk__in=user_ids)}
    items = sorted({e.item for e in evaluations}, key=lambda i: (i.due_at, i.title))
    order = {i.pk: n for n, i in enumerate(items)}
    rows: list[EvaluationRow] = []
    per_user: dict[int, dict[int, contribution.MemberResult]] = defaultdict(dict)
    for e in evaluations:
        got = responses.get(e.pk, [])
        result = contribution.evaluate_group(
            members=e.member_ids, ratings=_ratings(got), left=e.left_ids, rules=rules
        )
        by_rater = {r.rater_id: r for r in got}
        for uid, member in result.members.items():
            per_user[uid][e.item_id] = member
            buddy_comments = [r.buddy_comment for r in got if r.rater_id != uid and r.buddy_comment]
            rows.append(
                EvaluationRow(
                    evaluation=e,
                    item=e.item,
                    user=users.get(uid),
                    result=member,
                    flags=member.flags,
                    staff_comment=by_rater[uid].staff_comment if uid in by_rater else "",
                    buddy_comment=" / ".join(buddy_comments),
                )
            )
    history: dict[int, list[tuple[CourseworkItem, float | None]]] = {}
    extra: dict[int, tuple[str, ...]] = {}
    for uid, by_item in per_user.items():
        ordered = [by_item.get(i.pk) for i in items]
        extra[uid] = contribution.history_flags(ordered, rules)
        history[uid] = [(i, by_item[i.pk].perceived if i.pk in by_item else None) for i in items]
    for row in rows:
        row.flags = row.flags + extra.get(row.user.pk if row.user else -1, ())
    if item is not None:
        rows = [r for r in rows if r.item.pk == item.pk]
    rows.sort(key=lambda r: (r.concern, order.get(r.item.pk, 0), r.evaluation.group_name))
    settings = {s.item_id: s for s in PeerItemSetting.objects.filter(item__offering=offering)}
    return CourseTable(items=items, rows=rows, history=history, settings=settings)


def student_history(*, offering: Offering, user_id: int) -> list[tuple[CourseworkItem, float | None]]:
    return course_table(offering=offering).history.get(user_id, [])


def adjusted_item_ids(items: list[CourseworkItem]) -> list[int]:
    """The items (loaded with `select_related("peer_setting")`) whose grades staff adjust by the factor."""
    out = []
    for item in items:
        try:
            if item.peer_setting.adjust_grades:
                out.append(item.pk)
        except PeerItemSetting.DoesNotExist:
            continue
    return out


def peer_factors(
    *, offering: Offering, item_ids: list[int], user_ids: list[int]
) -> dict[tuple[int, int], float]:
    """(item id, user id) -> the adjustment factor on these items (those staff switched on, see
    `adjusted_item_ids`); two queries.  Members without a factor (solo, unrated) are left out: their grade
    stands."""
    on = set(item_ids)
    rules = peer_rules(offering)
    wanted = set(user_ids)
    evaluations = list(PeerEvaluation.objects.filter(item_id__in=on))
    responses: dict[int, list[PeerResponse]] = defaultdict(list)
    for r in PeerResponse.objects.filter(evaluation__in=evaluations):
        responses[r.evaluation_id].append(r)
    out = {}
    for e in evaluations:
        result = contribution.evaluate_group(
            members=e.member_ids, ratings=_ratings(responses.get(e.pk, [])), left=e.left_ids, rules=rules
        )
        for uid, member in result.members.items():
            if uid in wanted and member.perceived is not None:
                out[(e.item_id, uid)] = member.factor
    return out


def released_comments(*, offering: Offering, user: Any) -> list[tuple[CourseworkItem, str]]:
    """Comments the user's buddies wrote for them, on items whose comments staff released; no names."""
    released = PeerItemSetting.objects.filter(
        item__offering=offering, comments_released_at__isnull=False
    ).values_list("item_id", flat=True)
    out = []
    evaluations = PeerEvaluation.objects.filter(item_id__in=list(released)).select_related("item")
    for e in _filter_member(evaluations, user.pk):
        for r in e.responses.exclude(rater=user).exclude(buddy_comment=""):
            out.append((e.item, r.buddy_comment))
    return out
