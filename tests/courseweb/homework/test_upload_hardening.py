"""A deeply nested JSON upload is a clear 400 (never a 500), and an account not enrolled in the course reads
nothing of it through the API."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from courseweb.homework.models import Submission
from courseweb.homework.services.submissions import SubmissionRejected, submission_create
from courseweb.homework.services.tokens import api_token_create
from graders.check import ERR_TOO_DEEP, MAX_DEPTH
from tests.factories import UserFactory


def _deep(released: dict, depth: int) -> bytes:
    """The released notebook with a metadata value nested `depth` levels deep."""
    text = json.dumps(released)
    nested = "[" * depth + "]" * depth
    return text.replace('"metadata": {', f'"metadata": {{"deep": {nested}, ', 1).encode()


@pytest.mark.parametrize("depth", [200, 100_000])
def test_the_upload_check_refuses_deep_nesting_with_a_clear_message(tiny, solo, released, depth):
    with pytest.raises(SubmissionRejected) as caught:
        submission_create(user=solo, assignment=tiny, filename="tiny.ipynb", data=_deep(released, depth))
    assert caught.value.status == 400 and str(caught.value) == ERR_TOO_DEEP.format(limit=MAX_DEPTH)
    assert not Submission.objects.exists()


@pytest.mark.parametrize("depth", [200, 100_000])
def test_the_web_form_answers_400_for_deep_json(client, tiny, released, solo, depth):
    client.force_login(solo)
    upload = SimpleUploadedFile("tiny.ipynb", _deep(released, depth), "application/x-ipynb+json")
    response = client.post(reverse("homework:submit", args=["tiny"]), {"notebook": upload})
    assert response.status_code == 400
    assert "nested too deeply" in response.content.decode()
    assert not Submission.objects.exists()


@pytest.mark.parametrize("depth", [200, 100_000])
def test_the_api_answers_400_for_deep_json(client, tiny, released, solo, depth):
    secret = api_token_create(user=solo, name="cli").secret
    response = client.post(
        reverse("homework:api_submit", args=["tiny"]),
        data=_deep(released, depth),
        content_type="application/json",
        headers={"authorization": f"Bearer {secret}", "x-filename": "tiny.ipynb"},
    )
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["error"]


def test_an_account_not_enrolled_lists_no_assignment_through_the_api(client, tiny, offering):
    outsider = UserFactory()
    secret = api_token_create(user=outsider, name="cli").secret
    response = client.get(reverse("homework:api_assignments"), headers={"authorization": f"Bearer {secret}"})
    assert response.status_code == 403
    assert "tiny" not in response.content.decode()


def test_an_account_not_enrolled_sees_no_homework_page(client, tiny, offering):
    client.force_login(UserFactory())
    assert client.get(reverse("homework:index")).status_code == 403
