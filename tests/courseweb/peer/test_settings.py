"""The course file's peer settings: window length, factor bounds and dead band, checked and then used."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from courseweb.courses.course_file import CourseFileError, course_file_parse
from courseweb.peer.services import peer_rules, peer_window

LINE = "buddy_evaluation: true"


def _with(peer: str) -> str:
    text = settings.COURSE_FILE.read_text()
    assert LINE in text
    return text.replace(LINE, f"{LINE}\n  peer_evaluation: {peer}", 1)


def test_peer_settings_are_read_and_drive_the_rules(offering):
    parsed = course_file_parse(
        text=_with("{window_days: 5, factor_min: 0.6, factor_max: 1.1, dead_band: [0.9, 1.1]}")
    )
    assert parsed.rules["peer_evaluation"] == {
        "window_days": 5,
        "factor_min": 0.6,
        "factor_max": 1.1,
        "dead_band": [0.9, 1.1],
    }
    offering.rules = parsed.rules
    rules = peer_rules(offering)
    assert (rules.floor, rules.cap, rules.band_low, rules.band_high) == (0.6, 1.1, 0.9, 1.1)
    assert peer_window(offering) == dt.timedelta(days=5)


@pytest.mark.parametrize(
    ("peer", "message"),
    [
        ("{window_days: 0}", "rules.peer_evaluation.window_days: must be between 1 and 60"),
        ("{factor_min: 1.5}", "rules.peer_evaluation.factor_min: must be between 0 and 1"),
        ("{factor_max: 0.9}", "rules.peer_evaluation.factor_max: must be between 1 and 2"),
        ("{dead_band: [1.1, 1.2]}", "rules.peer_evaluation.dead_band: expected [low, high] around 1"),
    ],
)
def test_bad_peer_settings_are_rejected_naming_the_place(peer, message):
    with pytest.raises(CourseFileError) as err:
        course_file_parse(text=_with(peer), source="s26.yaml")
    assert message in str(err.value)
