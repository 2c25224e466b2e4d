"""Real Celery workers grade real submissions: end to end over HTTP, a worker killed mid-job, a deadline burst.

The tests run on whatever broker the settings name: the embedded filesystem broker locally, Redis in CI
(`CELERY_BROKER_URL=redis://…`); each test is parametrised so the report says which one ran.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings as dj_settings
from django.urls import reverse

from courseweb.courses.models import Role
from courseweb.homework.models import GradingJob, Submission
from courseweb.homework.services.submissions import submission_create
from courseweb.homework.services.tokens import api_token_create
from tests.courseweb.homework.notebooks import ANSWERS_HALF, ANSWERS_RIGHT, student_notebook, to_bytes
from tests.factories import EnrollmentFactory, UserFactory
from tests.workers import celery_worker, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

BROKERS = [
    pytest.param("embedded", id="embedded-broker"),
    pytest.param("redis", id="redis", marks=pytest.mark.needs_redis),
]


def _require_broker(kind: str) -> None:
    url = dj_settings.CELERY_BROKER_URL
    if kind == "embedded" and not url.startswith("filesystem://"):
        pytest.skip(f"the embedded-broker variant runs when CELERY_BROKER_URL is filesystem:// (now {url})")
    if kind == "redis" and not url.startswith("redis://"):
        from tests.conftest import skip_or_fail

        skip_or_fail(
            "needs Redis: set CELERY_BROKER_URL=redis://127.0.0.1:6379/0 with a Redis server running"
        )


def _env(media: Path, **extra: str) -> dict[str, str]:
    return {"MEDIA_ROOT": str(media), "HOMEWORK_REAPER_INTERVAL_S": "1", **extra}


@pytest.fixture(scope="module")
def shared_media(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hw-workers") / "media"


@pytest.fixture
def hw_media(settings, shared_media) -> Path:
    """The module's workers and the tests share one storage folder."""
    settings.MEDIA_ROOT = shared_media
    return shared_media


@pytest.fixture(scope="module")
def grading_worker(django_db_setup, django_db_blocker, shared_media):
    """One real worker (two processes, as `make run` starts it) for the tests of this module."""
    with (
        django_db_blocker.unblock(),
        celery_worker(
            queues="default,grading,gpu", concurrency=2, name="hw-shared", extra_env=_env(shared_media)
        ) as proc,
    ):
        yield proc


def _job_state(job_id: int) -> str:
    return GradingJob.objects.values_list("state", flat=True).get(pk=job_id)


@pytest.mark.parametrize("broker", BROKERS)
def test_uploaded_notebook_is_graded_end_to_end_and_shown_on_the_page(
    broker, request, client, tiny, released, pair, hw_media
):
    _require_broker(broker)
    request.getfixturevalue("grading_worker")
    a, b, _ = pair
    token = api_token_create(user=a, name="laptop").secret
    data = to_bytes(student_notebook(released, ANSWERS_HALF))
    response = client.post(
        reverse("homework:api_submit", args=["tiny"]),
        data=data,
        content_type="application/json",
        headers={"authorization": f"Bearer {token}", "x-filename": "tiny.ipynb"},
    )
    assert response.status_code == 201, response.content
    sub_id = response.json()["id"]
    job = GradingJob.objects.get(submission_id=sub_id)
    wait_for(lambda: _job_state(job.pk) in ("graded", "failed"), timeout=180, what="the job to be graded")
    job.refresh_from_db()
    assert job.state == "graded", job.error
    assert (job.score, job.max_score) == (2.0, 5.0)
    assert job.cells["tiny"]["test_means"]["status"] == "passed"
    assert job.cells["tiny"]["test_scale"]["status"] == "failed"
    assert job.source_hash == tiny.source_hash
    assert [e["phase"] for e in job.events][:2] == ["queued", "started"] and job.events[-1][
        "phase"
    ] == "finished"
    client.force_login(b)  # the buddy sees the group's result on the page
    page = client.get(reverse("homework:submission", args=[sub_id])).content.decode()
    assert "Score: 2 / 5" in page and "test_scale" in page and 'data-state="graded"' in page
    assert "np.eye(3)" not in page  # hidden test source never reaches the student
    api = client.get(
        reverse("homework:api_submission", args=[sub_id]), headers={"authorization": f"Bearer {token}"}
    ).json()
    assert api["state"] == "graded" and api["score"] == 2.0
    feedback = client.get(reverse("homework:feedback", args=[job.pk, "tiny"]))
    assert feedback.status_code == 200 and "sandbox" in feedback["Content-Security-Policy"]
    assert "np.eye(3)" not in feedback.content.decode()


@pytest.mark.parametrize("broker", BROKERS)
def test_deadline_burst_of_sixty_submissions_is_all_graded(
    broker, request, offering, tiny, released, hw_media
):
    _require_broker(broker)
    request.getfixturevalue("grading_worker")
    students = UserFactory.create_batch(60)
    for user in students:
        EnrollmentFactory(user=user, offering=offering, role=Role.STUDENT)
    for n, user in enumerate(students):  # 60 distinct notebooks, queued at once
        answers = ANSWERS_RIGHT if n % 2 == 0 else ANSWERS_HALF
        nb = student_notebook(released, answers, extra=f"# student {n}")
        submission_create(user=user, assignment=tiny, filename="tiny.ipynb", data=to_bytes(nb))
    assert GradingJob.objects.count() == 60  # all queued at once; the workers start on them at once
    wait_for(
        lambda: GradingJob.objects.filter(state__in=("graded", "failed")).count() == 60,
        timeout=420,
        interval=1,
        what="all 60 jobs to finish",
    )
    jobs = GradingJob.objects.select_related("submission")
    assert {j.state for j in jobs} == {"graded"}
    assert sorted(j.score for j in jobs) == [2.0] * 30 + [3.0] * 30
    assert Submission.objects.count() == 60 and jobs.count() == 60
