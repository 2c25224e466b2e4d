"""One place per rule (issue 15): `HOMEWORK_*` settings are declared once with their defaults, a user's group is
looked up only by `groups.selectors.group_for_user`, and nbgrader cell kinds come only from `graders/format.py`.

The scans read the site's source; the other tests show that each place does what the rule says.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from courseweb.settings import base
from graders import format as fmt

SITE = Path(__file__).resolve().parents[2] / "courseweb"


def _sources(*, skip: tuple[str, ...] = ()) -> dict[str, str]:
    return {
        str(path.relative_to(SITE)): path.read_text(encoding="utf-8")
        for path in sorted(SITE.rglob("*.py"))
        if "migrations" not in path.parts and not str(path.relative_to(SITE)).startswith(skip)
    }


def test_every_homework_setting_the_site_reads_is_declared_with_a_default() -> None:
    read = {
        name
        for text in _sources(skip=("settings",)).values()
        for name in re.findall(r"settings\.(HOMEWORK_\w+)", text)
    }
    assert read, "no HOMEWORK_* setting found: the scan is broken"
    assert sorted(name for name in read if not hasattr(base, name)) == []


def test_no_homework_setting_has_a_fallback_outside_the_settings() -> None:
    fallbacks = re.compile(
        r"getattr\(\s*settings,\s*[\"']HOMEWORK_|environ[^\n]*[\"']HOMEWORK_|getenv\([\"']HOMEWORK_"
    )
    found = [name for name, text in _sources(skip=("settings",)).items() if fallbacks.search(text)]
    assert found == []


def test_a_users_group_is_looked_up_only_through_group_for_user() -> None:
    """Outside the groups app no query takes one user's membership (bulk look-ups by `user_id__in` are fine)."""
    one_user = re.compile(r"Membership\.objects\.filter\([^)]*\buser(_id)?=", re.DOTALL)
    found = [name for name, text in _sources(skip=("groups",)).items() if one_user.search(text)]
    assert found == []
    assert not any("group_of_user" in text for text in _sources().values())


def test_the_site_reads_no_nbgrader_metadata_itself() -> None:
    flags = re.compile(r"[\"']nbgrader[\"']|\.(grade|solution|task) (and|or) ")
    found = [name for name, text in _sources().items() if flags.search(text)]
    assert found == []


@pytest.mark.parametrize(
    ("grade", "solution", "task", "kind"),
    [
        (True, False, False, fmt.TEST_CELL),  # an autograded test
        (True, True, False, fmt.MANUAL_CELL),  # a manually graded answer
        (False, False, True, fmt.MANUAL_CELL),  # a task
        (False, True, False, None),  # an autograded answer: its tests carry the points
        (False, False, False, None),  # a locked or plain cell
    ],
)
def test_graded_kind(grade: bool, solution: bool, task: bool, kind: str | None) -> None:
    assert fmt.graded_kind(grade=grade, solution=solution, task=task) == kind
    cell = {
        "cell_type": "code",
        "source": "",
        "metadata": {"nbgrader": {"grade": grade, "solution": solution}},
    }
    cell["metadata"]["nbgrader"]["task"] = task
    assert fmt.cell_graded_kind(cell) == kind


@pytest.mark.django_db
def test_group_for_user_takes_a_user_or_an_id_and_skips_the_members_when_asked(
    django_assert_num_queries,
) -> None:
    from django.contrib.auth.models import AnonymousUser

    from courseweb.groups.selectors import group_for_user
    from tests.factories import MembershipFactory, UserFactory

    membership = MembershipFactory()
    user, offering = membership.user, membership.group.offering
    with django_assert_num_queries(2):
        group = group_for_user(user=user, offering=offering)
        assert group == membership.group and [m.user_id for m in group.memberships.all()] == [user.pk]
    with django_assert_num_queries(1):
        assert group_for_user(user=user.pk, offering=offering.pk, members=False) == membership.group
    assert group_for_user(user=UserFactory(), offering=offering) is None
    assert group_for_user(user=AnonymousUser(), offering=offering) is None
