"""The hub's configuration, as `deploy/jupyterhub/jupyterhub_config.py` builds it from the environment."""

from __future__ import annotations

import os

import pytest
from traitlets.config import Config

from course_hub.config import PROXY_BIN, apply
from course_hub.settings import hub_settings, hub_username, site_user_id


def _config(tmp_path, **env) -> Config:
    c = Config()
    apply(c, hub_settings({"HUB_STATE_DIR": str(tmp_path), **env}))
    return c


def test_defaults_are_make_runs_ports_and_the_sites_provider(tmp_path):
    c = _config(tmp_path, HUB_CLIENT_SECRET="s3cret", HUB_SERVICE_TOKEN="tok")
    assert c.JupyterHub.bind_url == "http://127.0.0.1:8001/"
    assert c.ConfigurableHTTPProxy.api_url == "http://127.0.0.1:8002"
    assert c.JupyterHub.hub_bind_url == "http://127.0.0.1:8081"
    a = c.GenericOAuthenticator
    assert a.authorize_url == "http://127.0.0.1:8000/o/authorize/"
    assert a.token_url == "http://127.0.0.1:8000/o/token/"
    assert a.userdata_url == "http://127.0.0.1:8000/o/userinfo/"
    assert a.oauth_callback_url == "http://127.0.0.1:8001/hub/oauth_callback"
    assert a.client_secret == "s3cret" and a.enable_pkce and a.auto_login
    assert a.logout_redirect_url == "http://127.0.0.1:8000/"  # /hub/logout sends the browser back to the site
    assert a.manage_groups and a.auth_state_groups_key == "oauth_user.groups"
    assert a.allowed_groups == {"course:demo:student", "course:demo:ta", "course:demo:instructor"}
    assert c.JupyterHub.spawner_class == "course_hub.spawner.JailedSpawner"
    assert c.ConfigurableHTTPProxy.command == [str(PROXY_BIN)]
    assert os.access(PROXY_BIN, os.X_OK), "npm ci installs configurable-http-proxy (package-lock.json)"
    site = next(s for s in c.JupyterHub.services if s["name"] == "courseweb")
    assert site["api_token"] == "tok"
    culler = next(s for s in c.JupyterHub.services if s["name"] == "idle-culler")
    assert "--timeout=3600" in culler["command"]


def test_everything_comes_from_the_environment(tmp_path):
    c = _config(
        tmp_path,
        HUB_URL="https://hub.example.edu",
        HUB_PROXY_API_URL="http://10.0.0.5:9002",
        HUB_API_BIND_URL="http://0.0.0.0:9081",
        SITE_URL="https://course.example.edu",
        SITE_INTERNAL_URL="http://web:8000",
        HUB_OFFERINGS="s26, f26",
        HUB_IDLE_TIMEOUT_S="600",
    )
    a = c.GenericOAuthenticator
    assert a.authorize_url == "https://course.example.edu/o/authorize/"  # the browser's address
    assert a.token_url == "http://web:8000/o/token/"  # server to server
    assert a.oauth_callback_url == "https://hub.example.edu/hub/oauth_callback"
    assert "course:f26:student" in a.allowed_groups and "course:s26:ta" in a.allowed_groups
    assert c.JailedSpawner.hub_port == 9081
    culler = next(s for s in c.JupyterHub.services if s["name"] == "idle-culler")
    assert "--timeout=600" in culler["command"]
    assert not [s for s in c.JupyterHub.services if s["name"] == "courseweb"]  # no token: no site service


def test_the_hub_username_is_the_site_user_id_never_the_site_username():
    assert hub_username({"sub": "42", "preferred_username": "root", "email": "root@example.edu"}) == "u42"
    assert site_user_id("u42") == 42
    for bad in ({"sub": "root"}, {"sub": ""}, {}):
        with pytest.raises(ValueError):
            hub_username(bad)
    with pytest.raises(ValueError):
        site_user_id("root")
