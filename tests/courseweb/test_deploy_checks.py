"""`manage.py check --deploy` is clean under the production settings with the documented environment
(deploy/env.example), which also names TRUSTED_PROXY_COUNT; a form sent with a stale CSRF token gets a page that
says what happened and how to try again."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from courseweb.courses.models import Role
from tests.factories import OfferingFactory, StaffUserFactory

ROOT = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = ROOT / "deploy" / "env.example"
# Left to the OpenID Connect provider's own settings (issue 14, /o/): django-oauth-toolkit's RFC 9700 warnings.
OTHER_OWNERS = ("oauth2_provider.",)


def _documented_env() -> dict[str, str]:
    env = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key] = value
    return env


def test_check_deploy_is_clean_under_prod_with_the_documented_environment(tmp_path):
    env = {**os.environ, **_documented_env(), "COURSEWEB_VAR_DIR": str(tmp_path)}
    env.pop("DJANGO_SETTINGS_MODULE_OVERRIDE", None)
    # Set by the browser tests' conftest for Playwright's event loop (collected in the same run); never in production.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    assert env["DJANGO_SETTINGS_MODULE"] == "courseweb.settings.prod"
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    issues = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if line.startswith("?: (") and not line.startswith(tuple(f"?: ({o}" for o in OTHER_OWNERS))
    ]
    assert issues == []


def test_the_documented_environment_names_the_trusted_proxy():
    assert _documented_env()["TRUSTED_PROXY_COUNT"] == "1"
    assert "`TRUSTED_PROXY_COUNT`" in (ROOT / "README.md").read_text()


@pytest.mark.django_db
def test_a_stale_csrf_token_gets_a_friendly_page_that_leads_back(client, settings):
    from django.test import Client

    OfferingFactory()
    ta = StaffUserFactory(enroll=Role.TA)
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(ta)
    response = csrf_client.post(
        "/accounts/roster/",
        {"send_invitations": "on"},
        headers={"referer": "http://testserver/accounts/roster/"},
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert "Your session expired; go back and try again" in html
    assert 'href="/accounts/roster/"' in html
    assert "CSRF verification failed" not in html
