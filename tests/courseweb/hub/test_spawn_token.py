"""The token a JupyterHub server gets at each start: minted only for the hub's service token, replacing the last
one, not counted against the student's token limit, and its name reserved."""

from __future__ import annotations

import json

import pytest

from courseweb.homework.models import ApiToken
from courseweb.homework.services.tokens import (
    ERR_TOKEN_RESERVED,
    HUB_TOKEN_NAME,
    MAX_ACTIVE_TOKENS,
    api_token_authenticate,
    api_token_create,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/hub/spawn-token/"


def _mint(client, name: str, token: str = "hub-service-token"):
    return client.post(
        URL, json.dumps({"user": name}), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


@pytest.fixture
def hub(settings):
    settings.HUB_SERVICE_TOKEN = "hub-service-token"


def test_only_the_hub_mints_a_servers_token(client, hub):
    user = UserFactory()
    assert _mint(client, f"u{user.pk}", token="guess").status_code == 403
    assert client.post(URL, {"user": f"u{user.pk}"}).status_code == 403
    client.force_login(user)  # a logged-in student is not the hub either
    assert (
        client.post(URL, json.dumps({"user": f"u{user.pk}"}), content_type="application/json").status_code
        == 403
    )
    assert _mint(client, "root").status_code == 404
    assert not ApiToken.objects.exists()


def test_no_hub_configured_means_no_tokens(client, settings):
    settings.HUB_SERVICE_TOKEN = ""
    assert _mint(client, "u1", token="").status_code == 404


def test_each_start_replaces_the_last_token_outside_the_limit(client, hub):
    user = UserFactory()
    for n in range(MAX_ACTIVE_TOKENS - 1):
        api_token_create(user=user, name=f"laptop {n}")
    first = _mint(client, f"u{user.pk}").json()["token"]
    second = _mint(client, f"u{user.pk}").json()["token"]
    assert api_token_authenticate(raw=first) is None  # revoked by the next start
    assert api_token_authenticate(raw=second) == user
    assert ApiToken.objects.filter(user=user, name=HUB_TOKEN_NAME, revoked_at__isnull=True).count() == 1
    api_token_create(user=user, name="the tenth")  # the server's token did not use up the student's limit
    with pytest.raises(ValueError, match="reserved"):
        api_token_create(user=user, name=HUB_TOKEN_NAME)
    assert "reserved" in ERR_TOKEN_RESERVED
