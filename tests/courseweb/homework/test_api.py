"""Personal API tokens (create, use, revoke) and the JSON submission API's answers and errors."""

from __future__ import annotations

import pytest
from django.urls import reverse

from courseweb.homework.models import ApiToken, Submission
from courseweb.homework.services.tokens import (
    ERR_TOO_MANY,
    api_token_authenticate,
    api_token_create,
    api_token_revoke,
)
from tests.courseweb.homework.notebooks import ANSWERS_RIGHT, student_notebook, to_bytes


def _auth(secret: str) -> dict:
    return {"authorization": f"Bearer {secret}"}


def test_token_is_shown_once_and_stored_as_a_digest(client, solo, tiny):
    client.force_login(solo)
    page = client.post(reverse("homework:tokens"), {"name": "laptop"}).content.decode()
    token = ApiToken.objects.get(user=solo)
    import re

    secret = re.search(r'<pre id="new-token">([^<]+)</pre>', page).group(1)
    assert secret.startswith(f"dote_{token.prefix}_") and secret not in token.digest
    assert api_token_authenticate(raw=secret) == solo
    assert secret not in client.get(reverse("homework:tokens")).content.decode()  # never shown again


def test_revoked_token_stops_working(client, solo, tiny):
    new = api_token_create(user=solo, name="laptop")
    assert client.get(reverse("homework:api_assignments"), headers=_auth(new.secret)).status_code == 200
    client.force_login(solo)
    client.post(reverse("homework:token_revoke", args=[new.token.pk]))
    response = client.get(reverse("homework:api_assignments"), headers=_auth(new.secret))
    assert response.status_code == 401 and "Bearer" in response.json()["error"]


def test_tokens_of_others_cannot_be_revoked(solo, pair):
    new = api_token_create(user=solo, name="laptop")
    with pytest.raises(ValueError):
        api_token_revoke(user=pair[0], token_id=new.token.pk)


def test_active_tokens_are_limited(solo):
    for n in range(10):
        api_token_create(user=solo, name=f"t{n}")
    with pytest.raises(ValueError, match=ERR_TOO_MANY):
        api_token_create(user=solo, name="one more")


def test_api_lists_released_assignments(client, tiny, solo):
    secret = api_token_create(user=solo, name="cli").secret
    data = client.get(reverse("homework:api_assignments"), headers=_auth(secret)).json()
    keys = {a["key"] for a in data["assignments"]}
    assert "tiny" in keys and "other" not in keys  # session 2 has not started yet
    tiny_row = next(a for a in data["assignments"] if a["key"] == "tiny")
    assert tiny_row["notebooks"] == ["tiny.ipynb"] and tiny_row["submit_url"].endswith(
        "/homework/api/assignments/tiny/submissions/"
    )


def test_api_submit_multipart_then_duplicate(client, tiny, released, pair):
    from django.core.files.uploadedfile import SimpleUploadedFile

    secret = api_token_create(user=pair[0], name="cli").secret
    data = to_bytes(student_notebook(released, ANSWERS_RIGHT))
    url = reverse("homework:api_submit", args=["tiny"])
    first = client.post(url, {"notebook": SimpleUploadedFile("tiny.ipynb", data)}, headers=_auth(secret))
    assert first.status_code == 201 and first.json()["state"] == "queued" and not first.json()["duplicate"]
    again = client.post(url, data=data, content_type="application/json", headers=_auth(secret))
    assert again.status_code == 200 and again.json()["duplicate"] and again.json()["id"] == first.json()["id"]
    assert Submission.objects.get().via == "api"


def test_api_errors_are_json_with_clear_messages(client, tiny, synced, solo):
    secret = api_token_create(user=solo, name="cli").secret
    url = reverse("homework:api_submit", args=["tiny"])
    assert client.post(url, data=b"{}", content_type="application/json").status_code == 401
    bad = client.post(url, data=b"not json", content_type="application/json", headers=_auth(secret))
    assert bad.status_code == 400 and "not valid JSON" in bad.json()["error"]
    big = client.post(
        url, data=b"x" * (21 * 1024 * 1024), content_type="application/json", headers=_auth(secret)
    )
    assert big.status_code == 413 and "20 MB" in big.json()["error"]
    missing = client.post(
        reverse("homework:api_submit", args=["nope"]),
        data=b"{}",
        content_type="application/json",
        headers=_auth(secret),
    )
    assert missing.status_code == 404
    early = client.post(
        reverse("homework:api_submit", args=["other"]),
        data=b"{}",
        content_type="application/json",
        headers=_auth(secret),
    )
    assert early.status_code == 403 and "not been released" in early.json()["error"]
    assert not Submission.objects.exists()
