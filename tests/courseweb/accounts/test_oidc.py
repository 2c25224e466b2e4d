"""The site as the hub's OpenID Connect provider: discovery, the authorization-code flow with PKCE through the
test client (log-in, authorize, token, ID token, userinfo with the course-role groups), no management or
device-flow URLs, and an idempotent `create_hub_application`.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import stat
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from jwcrypto import jwk, jwt
from oauth2_provider.models import get_application_model

from courseweb.accounts.oidc_keys import oidc_private_key
from courseweb.courses.models import Role
from tests.factories import EnrollmentFactory, OfferingFactory, UserFactory

pytestmark = pytest.mark.django_db

SECRET = "hub-secret-for-tests-0123456789"


@pytest.fixture
def hub_app(settings, monkeypatch):
    settings.HUB_URL = "http://hub.test:8001"
    monkeypatch.setenv("HUB_CLIENT_SECRET", SECRET)
    monkeypatch.delenv("HUB_CLIENT_ID", raising=False)
    call_command("create_hub_application", stdout=io.StringIO())
    return get_application_model().objects.get(client_id="jupyterhub")


def _pkce() -> tuple[str, str]:
    verifier = base64.urlsafe_b64encode(os.urandom(40)).rstrip(b"=").decode()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


REDIRECT = "http://hub.test:8001/hub/oauth_callback"


def _authorize(client, challenge: str | None, **extra):
    params = {
        "response_type": "code",
        "client_id": "jupyterhub",
        "redirect_uri": REDIRECT,
        "scope": "openid profile email",
        "state": "st-123",
        "nonce": "n-456",
        **extra,
    }
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    return client.get("/o/authorize/", params)


def test_discovery_document(client):
    response = client.get("/o/.well-known/openid-configuration")
    assert response.status_code == 200
    doc = response.json()
    assert doc["issuer"].endswith("/o")
    for key, path in (
        ("authorization_endpoint", "/o/authorize/"),
        ("token_endpoint", "/o/token/"),
        ("userinfo_endpoint", "/o/userinfo/"),
        ("jwks_uri", "/o/.well-known/jwks.json"),
    ):
        assert doc[key].endswith(path), (key, doc[key])
    assert "RS256" in doc["id_token_signing_alg_values_supported"]
    assert "code" in doc["response_types_supported"]
    keys = client.get("/o/.well-known/jwks.json").json()["keys"]
    assert keys and keys[0]["kty"] == "RSA" and "d" not in keys[0]  # the public half only


@pytest.mark.parametrize(
    "url",
    [
        "/o/applications/",
        "/o/applications/register/",
        "/o/authorized_tokens/",
        "/o/device/",
        "/o/device-authorization/",
        "/o/register/",
    ],
)
def test_management_device_and_registration_urls_are_absent(admin_client, url):
    assert admin_client.get(url).status_code == 404
    assert admin_client.post(url, {}).status_code == 404


def test_authorize_sends_an_anonymous_visitor_to_the_log_in_page(client, hub_app):
    _, challenge = _pkce()
    response = _authorize(client, challenge)
    assert response.status_code == 302 and "/login" in response["Location"]


def test_authorization_code_flow_with_pkce_gives_the_hub_user_id_name_and_course_groups(client, hub_app):
    other = OfferingFactory(slug="f25", title="Earlier run")
    user = UserFactory(username="root", email="root@example.edu")
    EnrollmentFactory(user=user, offering=OfferingFactory(), role=Role.STUDENT)
    EnrollmentFactory(user=user, offering=other, role=Role.TA)
    client.force_login(user)
    verifier, challenge = _pkce()
    response = _authorize(client, challenge)
    assert response.status_code == 302, response.content  # skip_authorization: no consent page
    location = urlparse(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["st-123"]
    code = query["code"][0]

    token = client.post(
        "/o/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": "jupyterhub",
            "client_secret": SECRET,
            "code_verifier": verifier,
        },
    )
    assert token.status_code == 200, token.content
    body = token.json()
    assert {"access_token", "id_token", "refresh_token"} <= set(body)

    keys = jwk.JWKSet.from_json(json.dumps(client.get("/o/.well-known/jwks.json").json()))
    id_token = jwt.JWT(jwt=body["id_token"], key=keys, algs=["RS256"])
    claims = json.loads(id_token.claims)
    assert claims["aud"] == "jupyterhub" and claims["nonce"] == "n-456" and claims["sub"] == str(user.pk)
    assert claims["preferred_username"] == f"u{user.pk}"
    assert claims["groups"] == ["course:f25:ta", "course:s26:student"]

    client.logout()  # the hub calls userinfo server-side with the access token only
    info = client.get("/o/userinfo/", headers={"authorization": f"Bearer {body['access_token']}"})
    assert info.status_code == 200, info.content
    data = info.json()
    assert data["preferred_username"] == f"u{user.pk}" and data["sub"] == str(user.pk)
    assert data["groups"] == ["course:f25:ta", "course:s26:student"]
    assert "root" not in (data["preferred_username"], claims["preferred_username"])  # never the site username


def test_the_code_is_refused_without_its_pkce_verifier(client, hub_app):
    user = UserFactory()
    client.force_login(user)
    verifier, challenge = _pkce()
    code = parse_qs(urlparse(_authorize(client, challenge)["Location"]).query)["code"][0]
    response = client.post(
        "/o/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": "jupyterhub",
            "client_secret": SECRET,
            "code_verifier": "wrong" + verifier[5:],
        },
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_an_authorization_request_without_pkce_is_refused(client, hub_app):
    client.force_login(UserFactory())
    response = _authorize(client, None)
    assert response.status_code == 302
    query = parse_qs(urlparse(response["Location"]).query)
    assert "code" not in query and query["error"] == ["invalid_request"]


def test_a_redirect_elsewhere_is_refused(client, hub_app):
    client.force_login(UserFactory())
    _, challenge = _pkce()
    response = _authorize(client, challenge, redirect_uri="http://evil.test/hub/oauth_callback")
    assert response.status_code == 400  # shown as an error page, never redirected


def test_create_hub_application_is_idempotent(settings, monkeypatch, hub_app):
    Application = get_application_model()
    assert hub_app.client_type == Application.CLIENT_CONFIDENTIAL
    assert hub_app.authorization_grant_type == Application.GRANT_AUTHORIZATION_CODE
    assert hub_app.algorithm == Application.RS256_ALGORITHM and hub_app.skip_authorization
    assert hub_app.redirect_uris == REDIRECT
    assert check_password(SECRET, hub_app.client_secret)  # stored hashed
    out = io.StringIO()
    call_command("create_hub_application", stdout=out)
    assert "up to date" in out.getvalue()
    again = Application.objects.get()
    assert (again.pk, again.client_secret, again.redirect_uris) == (
        hub_app.pk,
        hub_app.client_secret,
        REDIRECT,
    )
    settings.HUB_URL = "https://hub.example.edu"  # a moved hub: the same application, its new callback
    call_command("create_hub_application", stdout=io.StringIO())
    moved = Application.objects.get()
    assert moved.pk == hub_app.pk and moved.redirect_uris == "https://hub.example.edu/hub/oauth_callback"


def test_create_hub_application_prints_a_generated_secret_once(settings, monkeypatch):
    monkeypatch.delenv("HUB_CLIENT_SECRET", raising=False)
    out = io.StringIO()
    call_command("create_hub_application", stdout=out)
    line = next(x for x in out.getvalue().splitlines() if x.startswith("Client secret"))
    secret = line.rsplit(": ", 1)[1]
    assert check_password(secret, get_application_model().objects.get().client_secret)
    out2 = io.StringIO()
    call_command("create_hub_application", stdout=out2)
    assert "Client secret" not in out2.getvalue()


def test_the_signing_key_comes_from_the_environment_or_a_private_file(tmp_path):
    pem = oidc_private_key(var_dir=tmp_path, environ={})
    path = tmp_path / "oidc-rsa.pem"
    assert "BEGIN PRIVATE KEY" in pem and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert oidc_private_key(var_dir=tmp_path, environ={}) == pem  # kept, not regenerated
    other = oidc_private_key(
        var_dir=tmp_path / "x",
        environ={"OIDC_RSA_PRIVATE_KEY": "-----BEGIN PRIVATE KEY-----\\nabc\\n-----END PRIVATE KEY-----"},
    )
    assert other.startswith("-----BEGIN PRIVATE KEY-----\nabc\n") and not (tmp_path / "x").exists()
