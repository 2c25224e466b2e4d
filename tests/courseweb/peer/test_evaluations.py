"""Opening per group at the group's own deadline, closing, reminders, the submission rules and the form."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from courseweb.homework.models import Extension
from courseweb.peer.models import PeerEvaluation, PeerResponse
from courseweb.peer.services import evaluations_open, reminders_send, response_save

pytestmark = pytest.mark.django_db


def test_opens_once_per_group_for_its_members_skipping_solo_groups(offering, item, pair, solo):
    a, b, group = pair
    now = timezone.now()
    opened = evaluations_open(offering=offering, now=now)
    assert [(e.group_id, sorted(e.member_ids)) for e in opened] == [(group.pk, sorted([a.pk, b.pk]))]
    assert opened[0].opens_at == item.due_at
    assert opened[0].closes_at == item.due_at + dt.timedelta(days=3)  # the course file's window
    assert evaluations_open(offering=offering, now=now) == []  # idempotent
    assert PeerEvaluation.objects.count() == 1


def test_opens_at_the_groups_own_deadline_with_extensions(offering, item, pair):
    group = pair[2]
    Extension.objects.create(item=item, group=group, due_at=item.due_at + dt.timedelta(days=2))
    now = timezone.now()
    assert evaluations_open(offering=offering, now=now) == []  # the group's deadline is still ahead
    later = now + dt.timedelta(days=2)
    opened = evaluations_open(offering=offering, now=later)
    assert len(opened) == 1 and opened[0].opens_at == item.due_at + dt.timedelta(days=2)


def test_nothing_opens_when_the_course_has_no_buddy_evaluation(offering, item, pair):
    offering.rules = {"buddy_evaluation": False}
    offering.save()
    assert evaluations_open(offering=offering, now=timezone.now()) == []


def test_no_evaluation_opens_after_its_window_passed(offering, item, pair):
    assert evaluations_open(offering=offering, now=item.due_at + dt.timedelta(days=3, seconds=1)) == []


def test_submission_rules_and_changes_until_close(offering, item, pair, solo):
    a, b, _ = pair
    now = timezone.now()
    (evaluation,) = evaluations_open(offering=offering, now=now)
    with pytest.raises(ValidationError, match="add up to 200"):
        response_save(evaluation=evaluation, rater=a, points={a.pk: 120, b.pk: 90}, now=now)
    with pytest.raises(ValidationError, match="steps of 5"):
        response_save(evaluation=evaluation, rater=a, points={a.pk: 122, b.pk: 78}, now=now)
    with pytest.raises(PermissionDenied):
        response_save(evaluation=evaluation, rater=solo, points={a.pk: 100, b.pk: 100}, now=now)
    response_save(evaluation=evaluation, rater=a, points={a.pk: 120, b.pk: 80}, now=now)
    response_save(
        evaluation=evaluation, rater=a, points={a.pk: 110, b.pk: 90}, buddy_comment="thanks", now=now
    )
    saved = PeerResponse.objects.get(evaluation=evaluation, rater=a)
    assert saved.points == {str(a.pk): 110, str(b.pk): 90} and saved.buddy_comment == "thanks"
    with pytest.raises(ValidationError, match="closed"):
        response_save(evaluation=evaluation, rater=a, points={a.pk: 100, b.pk: 100}, now=evaluation.closes_at)


def test_member_who_left_while_open_no_longer_rates(offering, item, pair):
    a, b, group = pair
    (evaluation,) = evaluations_open(offering=offering, now=timezone.now())
    group.memberships.filter(user=b).delete()
    evaluations_open(offering=offering, now=timezone.now())
    evaluation.refresh_from_db()
    assert evaluation.left_ids == [b.pk] and evaluation.raters == [a.pk]
    with pytest.raises(PermissionDenied):
        response_save(evaluation=evaluation, rater=b, points={a.pk: 100, b.pk: 100}, now=timezone.now())


def test_reminder_goes_once_to_members_who_have_not_answered(offering, item, pair):
    a, b, _ = pair
    (evaluation,) = evaluations_open(offering=offering, now=timezone.now())
    response_save(evaluation=evaluation, rater=a, points={a.pk: 100, b.pk: 100}, now=timezone.now())
    assert reminders_send(offering=offering, now=timezone.now()) == 0  # more than a day left
    last_day = evaluation.closes_at - dt.timedelta(hours=12)
    assert reminders_send(offering=offering, now=last_day) == 1
    assert reminders_send(offering=offering, now=last_day) == 0


def test_form_saves_and_shows_clear_errors(client, offering, item, pair):
    a, b, _ = pair
    client.force_login(a)
    index = client.get(reverse("peer:index")).content.decode()  # the on-demand check opens it
    evaluation = PeerEvaluation.objects.get()
    assert reverse("peer:evaluate", args=[evaluation.pk]) in index and "not answered yet" in index
    url = reverse("peer:evaluate", args=[evaluation.pk])
    page = client.get(url).content.decode()
    assert f'<label for="id_points_{a.pk}">Points for yourself' in page
    assert "Points for Bo" in page
    bad = client.post(url, {f"points_{a.pk}": "150", f"points_{b.pk}": "100"})
    assert bad.status_code == 400
    assert "The points must add up to 200; yours add up to 250." in bad.content.decode()
    ok = client.post(url, {f"points_{a.pk}": "120", f"points_{b.pk}": "80", "staff_comment": "did the code"})
    assert ok.status_code == 302
    assert PeerResponse.objects.get(rater=a).staff_comment == "did the code"
    assert 'value="120" selected' in client.get(url).content.decode()


def test_owed_evaluation_is_on_the_home_to_do_list(client, offering, item, pair):
    from courseweb.core.selectors import todo_list

    a, b, _ = pair
    evaluations_open(offering=offering, now=timezone.now())
    owed = todo_list(offering=offering, user=a, now=timezone.now())
    assert [e.label for e in owed] == [f"Buddy evaluation: {item.title}"]
    evaluation = PeerEvaluation.objects.get()
    response_save(evaluation=evaluation, rater=a, points={a.pk: 100, b.pk: 100}, now=timezone.now())
    assert todo_list(offering=offering, user=a, now=timezone.now()) == []
    client.force_login(b)
    home = client.get("/").content.decode()
    assert reverse("peer:evaluate", args=[evaluation.pk]) in home
    assert f"Buddy evaluation: {item.title}" in home


def test_form_for_three_asks_for_a_total_of_300_without_the_pair_example():
    from types import SimpleNamespace

    from courseweb.peer.forms import EvaluationForm

    people = [SimpleNamespace(pk=n, display_name=f"P{n}", username=f"p{n}") for n in (1, 2, 3)]
    form = EvaluationForm(
        {"points_1": "120", "points_2": "100", "points_3": "100"}, members=people, me=people[0]
    )
    assert not form.is_valid()
    assert form.non_field_errors() == ["The points must add up to 300; yours add up to 320."]
    ok = EvaluationForm(
        {"points_1": "120", "points_2": "100", "points_3": "80"}, members=people, me=people[0]
    )
    assert ok.is_valid() and ok.points() == {1: 120, 2: 100, 3: 80}
