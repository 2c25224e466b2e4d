"""Every page and the API show the user's own deadline; project and replication hand-ins are linked."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from courseweb.homework.models import Extension
from courseweb.homework.services.tokens import api_token_create
from tests.factories import CourseworkItemFactory

DAY = dt.timedelta(days=1)


def _shown(moment: dt.datetime, fmt: str) -> str:
    return timezone.localtime(moment).strftime(fmt)


@pytest.fixture
def extended(tiny, pair):
    group = pair[2]
    return Extension.objects.create(item=tiny.item, group=group, due_at=tiny.item.due_at + 3 * DAY)


def test_homework_index_shows_the_groups_extended_deadline(client, extended, pair):
    """Defect 8: the list showed the course deadline while the assignment page showed the extension."""
    client.force_login(pair[0])
    page = client.get(reverse("homework:index")).content.decode()
    due = timezone.localtime(extended.due_at)
    assert f"{due:%a} {due.day} {due:%b %Y, %H:%M}" in page
    assert f"extension for group {pair[2].name}" in page


def test_assignment_page_says_where_the_deadline_comes_from(client, extended, pair, solo):
    client.force_login(pair[0])
    page = client.get(reverse("homework:assignment", args=["tiny"])).content.decode()
    due = timezone.localtime(extended.due_at)
    assert f"{due.day} {due:%B %Y, %H:%M}" in page and f"extension for group {pair[2].name}" in page
    client.force_login(solo)
    page = client.get(reverse("homework:assignment", args=["tiny"])).content.decode()
    assert "course deadline" in page


def test_api_due_at_is_the_users_own_deadline(client, extended, pair, solo):
    """Defect 8: the API's due_at was the course deadline even with an extension."""
    for user, due in ((pair[1], extended.due_at), (solo, extended.item.due_at)):
        secret = api_token_create(user=user, name="cli").secret
        data = client.get(
            reverse("homework:api_assignments"), headers={"authorization": f"Bearer {secret}"}
        ).json()
        row = next(a for a in data["assignments"] if a["key"] == "tiny")
        assert dt.datetime.fromisoformat(row["due_at"]) == due


@pytest.fixture
def handins(offering):
    proposal = CourseworkItemFactory(
        offering=offering, kind="project", slug="project-proposal", title="Project proposal", category="project",
        due_at=timezone.now() + 5 * DAY,
    )  # fmt: skip
    replication = CourseworkItemFactory(
        offering=offering, kind="replication", slug="replication", title="Paper replication",
        category="replication", due_at=None,
    )  # fmt: skip
    return proposal, replication


def test_homework_index_links_project_and_replication_hand_ins(client, synced, handins, pair, ta):
    """Defect 9: no page linked to /homework/items/<slug>/ or its grading page."""
    client.force_login(pair[0])
    page = client.get(reverse("homework:index")).content.decode()
    for item in handins:
        assert f'href="{reverse("homework:item", args=[item.slug])}"' in page
        assert reverse("homework:item_grading", args=[item.slug]) not in page
    assert "No due date yet" in page
    client.force_login(ta)
    page = client.get(reverse("homework:index")).content.decode()
    for item in handins:
        assert f'href="{reverse("homework:item_grading", args=[item.slug])}"' in page


def test_item_page_says_no_due_date_yet_plainly(client, handins, pair):
    """Defect 9: the page said "Due — (Hong Kong time)" when no date was set."""
    proposal, replication = handins
    client.force_login(pair[0])
    page = client.get(reverse("homework:item", args=[replication.slug])).content.decode()
    assert "No due date yet" in page and "Due —" not in page
    Extension.objects.create(item=proposal, group=pair[2], due_at=proposal.due_at + 2 * DAY)
    page = client.get(reverse("homework:item", args=[proposal.slug])).content.decode()
    due = timezone.localtime(proposal.due_at + 2 * DAY)
    assert f"{due.day} {due:%B %Y, %H:%M}" in page and f"extension for group {pair[2].name}" in page


def test_group_page_links_the_groups_hand_ins(client, handins, pair, ta):
    """Defect 9: the group page did not link the project and replication hand-ins."""
    client.force_login(pair[0])
    page = client.get(reverse("groups:index")).content.decode()
    for item in handins:
        assert f'href="{reverse("homework:item", args=[item.slug])}"' in page and item.title in page
    assert "No due date yet" in page
