"""The assignment's staff page works with group and student extensions present, and grants both kinds."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from courseweb.homework.models import Extension

DAY = dt.timedelta(days=1)


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_staff_page_lists_group_and_student_extensions(client, tiny, pair, solo, ta):
    """Defect 1: a group extension made the page an HTTP 500 (VariableDoesNotExist on e.user.name)."""
    _, _, group = pair
    Extension.objects.create(item=tiny.item, group=group, due_at=tiny.item.due_at + 2 * DAY, reason="ill")
    Extension.objects.create(item=tiny.item, user=solo, due_at=tiny.item.due_at + 3 * DAY)
    client.force_login(ta)
    response = client.get(reverse("homework:staff", args=["tiny"]))
    assert response.status_code == 200
    page = response.content.decode()
    assert f"{group.name}: due" in page and f"{solo.name}: due" in page
    assert "(ill)" in page


def test_ta_grants_an_extension_to_a_group_and_to_a_student(client, tiny, pair, solo, ta):
    _, _, group = pair
    client.force_login(ta)
    url = reverse("homework:staff", args=["tiny"])
    for owner, days in ((f"group:{group.pk}", 2), (f"user:{solo.pk}", 4)):
        response = client.post(url, {"owner": owner, "due_at": _local(tiny.item.due_at + days * DAY)})
        assert response.status_code == 302
    assert Extension.objects.get(group=group).due_at == tiny.item.due_at + 2 * DAY
    assert Extension.objects.get(user=solo).due_at == tiny.item.due_at + 4 * DAY
    page = client.get(url).content.decode()
    assert response.status_code == 302 and f"{group.name}: due" in page and f"{solo.name}: due" in page
    labels = ('<label for="id_owner">', '<label for="id_due_at">')
    assert all(label in page for label in labels)
