"""Peer contribution arithmetic, in plain Python (no Django): TEAMMATES' claimed/perceived contribution and a
CATME-style adjustment factor with a cap, a floor and a dead band, plus the flags staff look at first.

Points are TEAMMATES' scale: 0..200 in steps of 5, 100 is an equal share, and a rater's row (self included) sums
to 100 x the group's size.  For a pair the perceived contribution is the buddy's raw points (dropping the
self-rating and normalising would leave every pair at 100); for groups of three or more it is TEAMMATES'
normalised average of the peers' ratings with the self-rating removed.

`difference = claimed - perceived` (positive: the member claims more than the group perceives).
`factor = perceived / 100`, clipped to [floor, cap], and 1.0 inside the dead band [band_low, band_high).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

EQUAL_SHARE = 100
STEP = 5
MAX_POINTS = 200

OVERCONFIDENT = "overconfident"
UNDERCONFIDENT = "underconfident"
MISSING = "missing"
EQUAL_SHARES = "equal_shares"
DROP = "drop"

FLAG_LABELS = {
    OVERCONFIDENT: "Claims more than perceived",
    UNDERCONFIDENT: "Claims less than perceived",
    MISSING: "Evaluation missing",
    EQUAL_SHARES: "Always gives equal shares",
    DROP: "Perceived contribution dropped",
}

Ratings = Mapping[Hashable, Mapping[Hashable, int]]  # rater -> ratee -> points (self included)


@dataclass(frozen=True)
class Rules:
    """The course file's settings, with the defaults the course uses."""

    floor: float = 0.5
    cap: float = 1.05
    band_low: float = 0.95
    band_high: float = 1.05
    confidence_gap: float = 20.0  # |claimed - perceived| at or above this is flagged
    drop: float = 30.0  # a fall in perceived contribution between consecutive items at or above this
    equal_items: int = 3  # items with equal shares against a discriminating buddy before the flag


@dataclass(frozen=True)
class MemberResult:
    member: Hashable
    claimed: float | None  # own points for self (normalised to the group's scale for 3+)
    perceived: float | None  # None: nobody rated this member
    difference: float | None  # claimed - perceived
    raw_factor: float | None  # perceived / 100 before clipping
    factor: float  # the adjustment factor (1.0 when unknown)
    submitted: bool
    equal_against_differing: bool  # gave equal shares while another member's ratings were not equal
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class GroupResult:
    members: dict[Hashable, MemberResult] = field(default_factory=dict)
    solo: bool = False  # fewer than two members left: nothing to evaluate


def row_problems(*, points: Mapping[Hashable, object], members: Sequence[Hashable]) -> list[str]:
    """What is wrong with one rater's row (empty: valid).  `members` are the group's members, rater included."""
    problems = []
    for member in members:
        value = points.get(member)
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"{member}: give a whole number of points")
        elif not 0 <= value <= MAX_POINTS:
            problems.append(f"{member}: points run from 0 to {MAX_POINTS}")
        elif value % STEP:
            problems.append(f"{member}: points go in steps of {STEP}")
    if not problems:
        total = sum(int(points[m]) for m in members)  # type: ignore[call-overload]
        if total != EQUAL_SHARE * len(members):
            problems.append(
                f"the points must add up to {EQUAL_SHARE * len(members)} (they add up to {total})"
            )
    return problems


def normalise(values: Mapping[Hashable, float]) -> dict[Hashable, float]:
    """TEAMMATES' `norm`: scale so that the values average 100 (all zero stays zero)."""
    total = sum(values.values())
    if not values or not total:
        return dict(values)
    scale = EQUAL_SHARE * len(values) / total
    return {k: v * scale for k, v in values.items()}


def factor_for(perceived: float | None, rules: Rules = Rules()) -> tuple[float | None, float]:
    """(raw factor, applied factor) for a perceived contribution."""
    if perceived is None:
        return None, 1.0
    raw = perceived / EQUAL_SHARE
    clipped = min(max(raw, rules.floor), rules.cap)
    if rules.band_low <= clipped < rules.band_high:
        return raw, 1.0
    return raw, round(clipped, 4)


def adjusted_grade(score: float | None, factor: float, max_score: float) -> float | None:
    """The grade times the factor, capped at the item's maximum."""
    if score is None:
        return None
    return min(score * factor, max_score)


def _is_equal(row: Mapping[Hashable, int], members: Sequence[Hashable]) -> bool:
    return all(row.get(m) == EQUAL_SHARE for m in members)


def evaluate_group(
    *, members: Sequence[Hashable], ratings: Ratings, left: Iterable[Hashable] = (), rules: Rules = Rules()
) -> GroupResult:
    """Claimed, perceived, difference, factor and per-item flags of each member.

    `members` were in the group when the evaluation opened; those in `left` have left since and are neither
    raters nor rated.  Ratings of or by anyone else are ignored.  A group left with one member is solo.
    """
    gone = set(left)
    active = [m for m in members if m not in gone]
    if len(active) < 2:
        return GroupResult(solo=True)
    rows = {r: {m: row[m] for m in active if m in row} for r, row in ratings.items() if r in active}
    rows = {r: row for r, row in rows.items() if len(row) == len(active)}  # partial rows don't count
    claimed: dict[Hashable, float | None] = {}
    perceived: dict[Hashable, float | None] = {}
    if len(active) == 2:
        a, b = active
        for me, buddy in ((a, b), (b, a)):
            claimed[me] = float(rows[me][me]) if me in rows else None
            perceived[me] = float(rows[buddy][me]) if buddy in rows else None
    else:
        for me in active:
            claimed[me] = normalise(rows[me])[me] if me in rows else None
        received: dict[Hashable, list[float]] = {m: [] for m in active}
        for rater, row in rows.items():
            peers = normalise({m: v for m, v in row.items() if m != rater})
            for ratee, value in peers.items():
                received[ratee].append(value)
        average = {m: sum(v) / len(v) for m, v in received.items() if v}
        scaled = normalise(average)
        for me in active:
            perceived[me] = scaled.get(me)
    out = {}
    for me in active:
        c, p = claimed[me], perceived[me]
        diff = None if c is None or p is None else c - p
        raw, factor = factor_for(p, rules)
        flags = []
        if diff is not None and diff >= rules.confidence_gap:
            flags.append(OVERCONFIDENT)
        if diff is not None and -diff >= rules.confidence_gap:
            flags.append(UNDERCONFIDENT)
        if me not in rows:
            flags.append(MISSING)
        equal = me in rows and _is_equal(rows[me], active)
        others_differ = any(not _is_equal(row, active) for r, row in rows.items() if r != me)
        out[me] = MemberResult(
            member=me,
            claimed=None if c is None else round(c, 2),
            perceived=None if p is None else round(p, 2),
            difference=None if diff is None else round(diff, 2),
            raw_factor=None if raw is None else round(raw, 4),
            factor=factor,
            submitted=me in rows,
            equal_against_differing=equal and others_differ,
            flags=tuple(flags),
        )
    return GroupResult(members=out)


def history_flags(results: Sequence[MemberResult | None], rules: Rules = Rules()) -> tuple[str, ...]:
    """Flags over one member's items in course order (None: no evaluation for that item).

    EQUAL_SHARES: equal shares on at least `rules.equal_items` items while the buddy's ratings differed.
    DROP: perceived contribution fell by at least `rules.drop` points between consecutive rated items.
    """
    flags = []
    if sum(1 for r in results if r is not None and r.equal_against_differing) >= rules.equal_items:
        flags.append(EQUAL_SHARES)
    seen = [r.perceived for r in results if r is not None and r.perceived is not None]
    if any(before - after >= rules.drop for before, after in pairwise(seen)):
        flags.append(DROP)
    return tuple(flags)


def concern_key(*, flags: Sequence[str], difference: float | None, factor: float) -> tuple:
    """Sort key, most concerning first: more flags, then a larger gap, then a factor further from 1."""
    return (-len(flags), -abs(difference or 0.0), -abs(1.0 - factor))
