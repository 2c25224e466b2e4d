"""The contribution arithmetic: worked examples from the anchors (section 4) and the edge cases."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from courseweb.peer import contribution as c

MODULE = Path(c.__file__)


def test_module_imports_no_django():
    tree = ast.parse(MODULE.read_text())
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [n for n in names if n.startswith(("django", "courseweb"))]


def test_worked_pair_example():
    # A rates self 120 / B 80, B rates self 90 / A 110.
    out = c.evaluate_group(members=["A", "B"], ratings={"A": {"A": 120, "B": 80}, "B": {"B": 90, "A": 110}})
    a, b = out.members["A"], out.members["B"]
    assert (a.claimed, a.perceived, a.difference) == (120, 110, 10)
    assert (b.claimed, b.perceived, b.difference) == (90, 80, 10)
    assert a.raw_factor == pytest.approx(1.10)
    assert a.factor == 1.05  # capped
    assert b.factor == 0.80
    assert a.flags == () and b.flags == ()


def test_teammates_group_of_three_normalises_without_self():
    ratings = {
        "A": {"A": 120, "B": 100, "C": 80},
        "B": {"A": 100, "B": 100, "C": 100},
        "C": {"A": 90, "B": 110, "C": 100},
    }
    out = c.evaluate_group(members=["A", "B", "C"], ratings=ratings).members
    assert round(out["A"].perceived) == 95
    assert round(out["B"].perceived) == 111
    assert round(out["C"].perceived) == 94
    assert out["A"].claimed == 120
    assert round(out["A"].difference) == 25
    assert c.OVERCONFIDENT in out["A"].flags
    assert sum(m.perceived for m in out.values()) == pytest.approx(300, abs=0.05)


def test_self_rating_does_not_change_how_others_are_perceived_in_a_group_of_three():
    base = {"A": {"A": 100, "B": 100, "C": 100}, "B": {"A": 100, "B": 100, "C": 100}}
    low = c.evaluate_group(members="ABC", ratings={**base, "C": {"A": 110, "B": 110, "C": 80}}).members
    high = c.evaluate_group(members="ABC", ratings={**base, "C": {"A": 50, "B": 50, "C": 200}}).members
    assert low["A"].perceived == pytest.approx(high["A"].perceived)


@pytest.mark.parametrize(
    ("perceived", "factor"),
    [
        (0, 0.5),
        (40, 0.5),
        (50, 0.5),
        (80, 0.8),
        (94, 0.94),
        (95, 1.0),
        (100, 1.0),
        (104, 1.0),
        (105, 1.05),
        (150, 1.05),
        (None, 1.0),
    ],
)
def test_cap_floor_and_dead_band(perceived, factor):
    assert c.factor_for(perceived)[1] == pytest.approx(factor)


def test_rules_come_from_the_course_settings():
    rules = c.Rules(floor=0.7, cap=1.2, band_low=0.9, band_high=1.1)
    assert c.factor_for(50, rules)[1] == 0.7
    assert c.factor_for(91, rules)[1] == 1.0
    assert c.factor_for(115, rules)[1] == 1.15
    assert c.factor_for(190, rules)[1] == 1.2


def test_adjusted_grade_is_capped_at_the_items_maximum():
    assert c.adjusted_grade(98.0, 1.05, 100.0) == 100.0
    assert c.adjusted_grade(60.0, 0.8, 100.0) == pytest.approx(48.0)
    assert c.adjusted_grade(None, 0.8, 100.0) is None


def test_solo_group_is_skipped():
    assert c.evaluate_group(members=["A"], ratings={"A": {"A": 100}}).solo


def test_missing_rating_leaves_the_factor_at_one_and_flags_the_rater():
    out = c.evaluate_group(members=["A", "B"], ratings={"A": {"A": 140, "B": 60}}).members
    assert out["A"].perceived is None and out["A"].factor == 1.0
    assert out["A"].claimed == 140 and out["A"].difference is None
    assert out["B"].perceived == 60 and out["B"].factor == 0.6
    assert c.MISSING in out["B"].flags and c.MISSING not in out["A"].flags


def test_all_equal_raters_give_factor_one_and_no_flags():
    ratings = {m: {"A": 100, "B": 100} for m in "AB"}
    out = c.evaluate_group(members=["A", "B"], ratings=ratings).members
    assert all(m.factor == 1.0 and m.flags == () and not m.equal_against_differing for m in out.values())


def test_member_who_left_is_neither_rater_nor_rated():
    ratings = {
        "A": {"A": 100, "B": 100, "C": 100},
        "B": {"A": 120, "B": 80, "C": 100},
        "C": {"A": 150, "B": 50, "C": 100},
    }
    out = c.evaluate_group(members="ABC", ratings=ratings, left={"C"})
    assert set(out.members) == {"A", "B"}
    # rows no longer cover the two remaining members alone: only complete rows over them count
    pair = c.evaluate_group(
        members="ABC", ratings={"A": {"A": 110, "B": 90}, "B": {"A": 120, "B": 80}}, left={"C"}
    ).members
    assert pair["A"].perceived == 120 and pair["B"].perceived == 90
    assert c.evaluate_group(members="AB", ratings={}, left={"B"}).solo


def test_confidence_flags_at_twenty_points():
    over = c.evaluate_group(members="AB", ratings={"A": {"A": 130, "B": 70}, "B": {"A": 110, "B": 90}})
    assert c.OVERCONFIDENT in over.members["A"].flags  # 130 vs 110
    under = c.evaluate_group(members="AB", ratings={"A": {"A": 80, "B": 120}, "B": {"A": 100, "B": 100}})
    assert c.UNDERCONFIDENT in under.members["A"].flags  # 80 vs 100
    near = c.evaluate_group(members="AB", ratings={"A": {"A": 115, "B": 85}, "B": {"A": 100, "B": 100}})
    assert near.members["A"].flags == ()


def test_equal_shares_flag_needs_three_items_against_a_differing_buddy():
    equal_vs_diff = c.evaluate_group(
        members="AB", ratings={"A": {"A": 100, "B": 100}, "B": {"A": 60, "B": 140}}
    )
    both_equal = c.evaluate_group(
        members="AB", ratings={"A": {"A": 100, "B": 100}, "B": {"A": 100, "B": 100}}
    )
    a_diff, a_same = equal_vs_diff.members["A"], both_equal.members["A"]
    assert a_diff.equal_against_differing and not a_same.equal_against_differing
    assert c.EQUAL_SHARES in c.history_flags([a_diff, a_diff, None, a_diff])
    assert c.EQUAL_SHARES not in c.history_flags([a_diff, a_diff, a_same])


def test_drop_flag_between_consecutive_rated_items():
    def member(p):
        return c.MemberResult("A", 100, p, 100 - p, p / 100, 1.0, True, False)

    assert c.DROP in c.history_flags([member(110), None, member(80)])
    assert c.DROP not in c.history_flags([member(110), member(85), member(60)])
    assert c.DROP not in c.history_flags([member(70), member(110)])


def test_row_problems():
    members = ["A", "B"]
    assert c.row_problems(points={"A": 120, "B": 80}, members=members) == []
    assert c.row_problems(points={"A": 120, "B": 85}, members=members) == [
        "the points must add up to 200 (they add up to 205)"
    ]
    assert "steps of 5" in c.row_problems(points={"A": 122, "B": 78}, members=members)[0]
    assert "0 to 200" in c.row_problems(points={"A": 210, "B": -10}, members=members)[0]
    assert "whole number" in c.row_problems(points={"A": 100}, members=members)[0]


def test_concern_sorting_puts_flags_and_gaps_first():
    rows = [
        ("calm", (), 0.0, 1.0),
        ("gap", (), 15.0, 1.0),
        ("flag", (c.MISSING,), None, 1.0),
        ("low", (), 0.0, 0.6),
    ]
    ordered = sorted(rows, key=lambda r: c.concern_key(flags=r[1], difference=r[2], factor=r[3]))
    assert [r[0] for r in ordered] == ["flag", "gap", "low", "calm"]
