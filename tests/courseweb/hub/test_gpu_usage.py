"""GPU hours per student (the course file's `rules.gpu_hours_per_student`), the hub's service calls that ask for a
user's allowance and report server starts and stops (only with the hub's service token), and where the hours
show: the student's assignment page (no GPU text when the course offers none) and the staff's usage page."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from courseweb.courses.course_file import CourseFileError, course_file_parse
from courseweb.courses.models import Role
from courseweb.hub.models import HubUsage, UsageEnd
from tests.factories import EnrollmentFactory, OfferingFactory, StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "hub-service-token"
COURSE = """
schema: 1
version: "1"
offering: {slug: t1, title: T, season: S}
rules: {gpu_hours_per_student: HOURS}
sessions: []
"""


@pytest.fixture
def hub(settings):
    settings.HUB_SERVICE_TOKEN = TOKEN


def _hub_call(client, method: str, url: str, body: dict | None = None, token: str = TOKEN):
    kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if method == "POST":
        return client.post(url, json.dumps(body or {}), content_type="application/json", **kwargs)
    return client.get(url, **kwargs)


def _student(offering):
    user = UserFactory()
    EnrollmentFactory(user=user, offering=offering, role=Role.STUDENT)
    return user


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("lots", "rules.gpu_hours_per_student: expected a number of GPU hours per student"),
        ("-1", "rules.gpu_hours_per_student: must be between 0 and 10000 GPU hours, got -1"),
        ("true", "rules.gpu_hours_per_student: expected a number"),
    ],
)
def test_the_course_file_checks_the_gpu_hours(value, message):
    with pytest.raises(CourseFileError) as err:
        course_file_parse(text=COURSE.replace("HOURS", value))
    assert message in str(err.value)


def test_the_course_file_sets_the_gpu_hours():
    assert course_file_parse(text=COURSE.replace("HOURS", "12.5")).rules["gpu_hours_per_student"] == 12.5


def test_only_the_hub_asks_for_an_allowance_or_reports_usage(client, hub):
    user = _student(OfferingFactory())
    allowance = reverse("hub:gpu_allowance", args=[f"u{user.pk}"])
    events = reverse("hub:usage_events")
    assert _hub_call(client, "GET", allowance, token="guess").status_code == 403
    assert (
        _hub_call(client, "POST", events, {"user": f"u{user.pk}", "event": "stop"}, "guess").status_code
        == 403
    )
    client.force_login(user)
    assert client.get(allowance).status_code == 403
    assert _hub_call(client, "GET", reverse("hub:gpu_allowance", args=["root"])).status_code == 404
    assert not HubUsage.objects.exists()


def test_the_allowance_counts_the_gpu_hours_used_in_the_course(client, hub):
    offering = OfferingFactory()
    user = _student(offering)
    url = reverse("hub:gpu_allowance", args=[f"u{user.pk}"])
    assert _hub_call(client, "GET", url).json() == {
        "allowed": False,
        "offering": "",
        "quota_hours": 0.0,
        "used_hours": 0,
        "left_hours": 0.0,
    }
    offering.rules = {"gpu_hours_per_student": 3}
    offering.save()
    now = timezone.now()
    HubUsage.objects.create(
        user=user, offering=offering, profile="gpu", started_at=now - dt.timedelta(hours=2), stopped_at=now
    )
    HubUsage.objects.create(user=user, profile="cpu", started_at=now - dt.timedelta(hours=9), stopped_at=now)
    body = _hub_call(client, "GET", url).json()
    assert (body["allowed"], body["offering"], body["quota_hours"]) == (True, "s26", 3.0)
    assert body["used_hours"] == pytest.approx(2, abs=0.01) and body["left_hours"] == pytest.approx(
        1, abs=0.01
    )


def test_starts_and_stops_make_runs_and_a_missed_stop_is_closed_by_the_next_start(client, hub):
    offering = OfferingFactory(rules={"gpu_hours_per_student": 1})
    user = _student(offering)
    events = reverse("hub:usage_events")
    start = {"user": f"u{user.pk}", "event": "start", "profile": "gpu", "gpu": {"index": 1}}
    assert _hub_call(client, "POST", events, start).status_code == 200
    assert _hub_call(client, "POST", events, {**start, "profile": "tpu"}).status_code == 400
    first = HubUsage.objects.get()
    assert (first.profile, first.offering, first.gpu, first.stopped_at) == (
        "gpu",
        offering,
        {"index": 1},
        None,
    )

    # the server died without a stop: the next start closes its run
    assert _hub_call(client, "POST", events, {**start, "profile": "cpu"}).status_code == 200
    first.refresh_from_db()
    assert first.ended == UsageEnd.REPLACED and first.stopped_at is not None
    second = HubUsage.objects.get(stopped_at__isnull=True)
    assert (second.profile, second.offering) == ("cpu", None)

    assert _hub_call(client, "POST", events, {"user": f"u{user.pk}", "event": "stop"}).json() == {"closed": 1}
    second.refresh_from_db()
    assert second.ended == UsageEnd.STOPPED


def test_students_see_their_gpu_hours_only_where_the_course_offers_them(client, hub, tmp_path, settings):
    from courseweb.homework.services.assignments import assignments_sync
    from tests.course_hub.conftest import FIXTURES
    from tests.factories import SessionFactory

    settings.MEDIA_ROOT = tmp_path / "media"
    offering = OfferingFactory()
    start = timezone.now() - dt.timedelta(days=1)
    SessionFactory(offering=offering, number=1, starts_at=start, ends_at=start + dt.timedelta(hours=2))
    assert assignments_sync(offering=offering, root=FIXTURES).errors == []
    user = _student(offering)
    client.force_login(user)
    url = reverse("homework:assignment", args=["hubhw"])

    page = client.get(url).content.decode()
    assert "Open in JupyterHub" in page and "GPU" not in page

    offering.rules = {"gpu_hours_per_student": 4}
    offering.save()
    now = timezone.now()
    HubUsage.objects.create(
        user=user, offering=offering, profile="gpu", started_at=now - dt.timedelta(hours=1.5), stopped_at=now
    )
    page = client.get(url).content.decode()
    assert 'name="profile" value="gpu"' in page and "GPU hours left: 2.50 of 4." in page

    HubUsage.objects.create(
        user=user, offering=offering, profile="gpu", started_at=now - dt.timedelta(hours=3), stopped_at=now
    )
    page = client.get(url).content.decode()
    assert 'value="gpu" disabled' in page and "Your GPU hours are used up (4 GPU hours)." in page


def test_staff_see_each_students_hours(client):
    offering = OfferingFactory(rules={"gpu_hours_per_student": 5})
    ana, ben = _student(offering), _student(offering)
    now = timezone.now()
    HubUsage.objects.create(
        user=ana, offering=offering, profile="gpu", started_at=now - dt.timedelta(hours=2), stopped_at=now
    )
    HubUsage.objects.create(user=ana, profile="cpu", started_at=now - dt.timedelta(hours=1))
    staff = StaffUserFactory()
    client.force_login(ana)
    assert client.get(reverse("hub:usage")).status_code == 403
    client.force_login(staff)
    assert reverse("hub:usage") in client.get(reverse("status")).content.decode()

    page = client.get(reverse("hub:usage")).content.decode()

    assert "Each student may use 5 GPU hours" in page
    row = page.split(f"({ana.username})")[1].split("</tr>")[0]
    assert "<td>2.00</td>" in row and "<td>3.00</td>" in row and "CPU since" in row
    row = page.split(f"({ben.username})")[1].split("</tr>")[0]
    assert row.count("<td>0.00</td>") == 2 and "<td>5.00</td>" in row and "none" in row
