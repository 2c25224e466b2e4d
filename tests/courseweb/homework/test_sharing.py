"""Sharing solutions after the deadline (issue 12): off by default, staff turn it on; after every owner's hard
cut-off (extensions included) a group publishes its counted submission, classmates read it rendered and
download it, and a withdrawal hides it at once. Nothing is visible, and nothing can be published, before."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courseweb.courses.models import Role
from courseweb.homework import storage
from courseweb.homework.models import Extension, SharedSolution, Submission, SubmissionMember
from courseweb.homework.selectors import shared_solution_visible, sharing_state
from courseweb.homework.services.sharing import (
    ERR_NOT_SHARED,
    ERR_NOTHING,
    ERR_SHARING_OFF,
    SharingRefused,
    sharing_set,
    solution_publish,
    solution_withdraw,
)
from tests.factories import EnrollmentFactory, MembershipFactory, UserFactory

DAY = dt.timedelta(days=1)
SOLUTION_CODE = "def answer():\n    return 42  # the Bandits' way"


def _notebook(code: str = SOLUTION_CODE) -> bytes:
    cells = [
        {"cell_type": "markdown", "id": "m1", "metadata": {}, "source": "## Our approach"},
        {
            "cell_type": "code",
            "id": "c1",
            "metadata": {},
            "source": code,
            "execution_count": 1,
            "outputs": [],
        },
    ]
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}
    return json.dumps(nb).encode()


def _submit(assignment, members, *, group=None, at, code: str = SOLUTION_CODE) -> Submission:
    blob = storage.blob_store(data=_notebook(code), kind="submissions", suffix=".ipynb")
    sub = Submission.objects.create(
        assignment=assignment,
        group=group,
        submitted_by=members[0],
        stem="tiny",
        filename="tiny.ipynb",
        content_hash=blob.sha256,
        size=blob.size,
        storage_path=blob.name,
        submitted_at=at,
    )
    SubmissionMember.objects.bulk_create([SubmissionMember(submission=sub, user=m) for m in members])
    return sub


def _message(response) -> str:
    return " ".join(str(m) for m in response.wsgi_request._messages)


def test_sharing_is_off_by_default_and_nothing_is_visible_before_the_last_cutoff(tiny, pair, solo):
    a, b, group = pair
    due = tiny.item.due_at
    _submit(tiny, [a, b], group=group, at=due - DAY)
    _submit(tiny, [solo], at=due - DAY)
    with pytest.raises(SharingRefused) as exc:
        solution_publish(user=a, assignment=tiny, now=due + 30 * DAY)
    assert str(exc.value) == ERR_SHARING_OFF and not tiny.sharing_enabled
    sharing_set(assignment=tiny, enabled=True)
    # the group's extension pushes its cut-off (and so the last one) three days past the course's
    Extension.objects.create(item=tiny.item, group=group, due_at=due + 3 * DAY)
    course_cutoff, last = due + 7 * DAY, due + 10 * DAY
    between = course_cutoff + DAY
    with pytest.raises(SharingRefused) as exc:
        solution_publish(user=solo, assignment=tiny, now=between)
    expected = timezone.localtime(last).strftime("%Y-%m-%d %H:%M")
    assert "only after every group's submissions have closed" in str(exc.value) and expected in str(exc.value)
    assert not SharedSolution.objects.exists()
    # even a row written behind the service's back stays invisible until the last cut-off has passed
    forced = SharedSolution.objects.create(
        assignment=tiny, user=solo, submission=Submission.objects.get(submitted_by=solo),
        published_by=solo, published_at=between,
    )  # fmt: skip
    assert shared_solution_visible(assignment=tiny, pk=forced.pk, now=between) is None
    assert sharing_state(assignment=tiny, user=a, now=between).solutions == []
    assert sharing_state(assignment=tiny, user=a, now=last).solutions == []  # "after", not at
    assert (
        shared_solution_visible(assignment=tiny, pk=forced.pk, now=last + dt.timedelta(minutes=1)) == forced
    )


def test_a_group_publishes_its_counted_submission_and_either_member_withdraws_it(tiny, pair, solo, offering):
    a, b, group = pair
    due = tiny.item.due_at
    _submit(tiny, [a, b], group=group, at=due - 2 * DAY, code="x = 1")
    counted = _submit(tiny, [a, b], group=group, at=due - DAY)
    sharing_set(assignment=tiny, enabled=True)
    after = due + 8 * DAY
    shared = solution_publish(user=a, assignment=tiny, now=after)
    assert shared.group_id == group.pk and shared.submission_id == counted.pk and shared.user_id is None
    assert solution_publish(user=b, assignment=tiny, now=after) == shared  # publishing again changes nothing
    state = sharing_state(assignment=tiny, user=solo, now=after)
    assert state.open and state.solutions == [shared] and state.own is None
    assert sharing_state(assignment=tiny, user=b, now=after).own == shared
    solution_withdraw(user=b, assignment=tiny, now=after + DAY)
    assert sharing_state(assignment=tiny, user=solo, now=after + DAY).solutions == []
    assert shared_solution_visible(assignment=tiny, pk=shared.pk, now=after + DAY) is None
    with pytest.raises(SharingRefused) as exc:
        solution_withdraw(user=a, assignment=tiny, now=after + DAY)
    assert str(exc.value) == ERR_NOT_SHARED
    with pytest.raises(SharingRefused) as exc:  # nothing handed in, nothing to share
        solution_publish(user=solo, assignment=tiny, now=after)
    assert str(exc.value) == ERR_NOTHING
    again = solution_publish(user=a, assignment=tiny, now=after + 2 * DAY)
    assert again.pk != shared.pk and SharedSolution.objects.filter(withdrawn_at__isnull=True).count() == 1


def test_pages_refuse_before_the_last_cutoff_then_show_render_download_and_withdraw(client, tiny, pair, solo):
    a, b, group = pair
    outsider = UserFactory()
    now = timezone.now()
    tiny.item.due_at = now - 20 * DAY  # the course's cut-off passed 13 days ago
    tiny.item.save()
    ext = Extension.objects.create(item=tiny.item, user=solo, due_at=now - DAY)  # solo's: 6 days from now
    _submit(tiny, [a, b], group=group, at=now - 21 * DAY)
    sharing_set(assignment=tiny, enabled=True)
    page = reverse("homework:assignment", args=[tiny.key])
    publish = reverse("homework:solution_publish", args=[tiny.key])

    client.force_login(a)
    refused = client.post(publish, follow=True)
    assert "only after every group's submissions have closed" in _message(refused)
    assert not SharedSolution.objects.exists()
    assert "Share with the class" not in client.get(page).content.decode()

    Extension.objects.filter(pk=ext.pk).update(due_at=now - 10 * DAY)  # every cut-off has passed now
    assert "Share with the class" in client.get(page).content.decode()
    done = client.post(publish, follow=True)
    assert "now shared with the class" in _message(done)
    shared = SharedSolution.objects.get()
    detail = reverse("homework:solution", args=[tiny.key, shared.pk])
    download = reverse("homework:solution_download", args=[tiny.key, shared.pk])

    client.force_login(solo)  # a classmate reads it on the assignment page, rendered, and downloads it
    assert detail in client.get(page).content.decode()
    shown = client.get(detail)
    assert shown.status_code == 200
    html = shown.content.decode()
    assert "return 42  # the Bandits&#x27; way" in html and "Our approach" in html and group.name in html
    file = client.get(download)
    assert file.status_code == 200 and file["Content-Disposition"].startswith("attachment")
    assert file["Content-Security-Policy"] == "sandbox" and b"".join(file.streaming_content) == _notebook()

    client.force_login(outsider)  # not enrolled: nothing
    assert client.get(detail).status_code == 403 and client.get(download).status_code == 403

    client.force_login(b)  # either member withdraws; it is gone at once
    assert "no longer shared" in _message(
        client.post(reverse("homework:solution_withdraw", args=[tiny.key]), follow=True)
    )
    client.force_login(solo)
    assert client.get(detail).status_code == 404 and client.get(download).status_code == 404
    assert detail not in client.get(page).content.decode()


def test_staff_turn_sharing_on_and_off_on_the_staff_page(client, tiny, pair, ta):
    a, _, _ = pair
    toggle = reverse("homework:sharing", args=[tiny.key])
    client.force_login(a)
    assert client.post(toggle, {"enabled": "on"}).status_code == 403
    client.force_login(ta)
    assert "Turn sharing on" in client.get(reverse("homework:staff", args=[tiny.key])).content.decode()
    client.post(toggle, {"enabled": "on"})
    tiny.refresh_from_db()
    assert tiny.sharing_enabled
    assert "Turn sharing off" in client.get(reverse("homework:staff", args=[tiny.key])).content.decode()
    client.post(toggle, {"enabled": "off"})
    tiny.refresh_from_db()
    assert not tiny.sharing_enabled


def test_the_assignment_page_costs_the_same_queries_with_more_shared_solutions(client, tiny, offering, solo):
    now = timezone.now()
    tiny.item.due_at = now - 20 * DAY
    tiny.item.save()
    sharing_set(assignment=tiny, enabled=True)
    client.force_login(solo)
    page = reverse("homework:assignment", args=[tiny.key])

    def share(n: int) -> None:
        for _ in range(n):
            user = UserFactory()
            EnrollmentFactory(user=user, offering=offering, role=Role.STUDENT)
            group = MembershipFactory(user=user, group__offering=offering).group
            _submit(tiny, [user], group=group, at=now - 21 * DAY, code=f"x = {user.pk}")
            solution_publish(user=user, assignment=tiny)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(page).status_code == 200
        return len(ctx.captured_queries)

    share(1)
    before = queries()
    share(4)
    assert queries() == before and SharedSolution.objects.count() == 5
