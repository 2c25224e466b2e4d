"""Apply the course's settings to a JupyterHub traitlets config (`deploy/jupyterhub/jupyterhub_config.py`).

Login: GenericOAuthenticator against the site's OpenID Connect provider (`/o/`), with explicit endpoint URLs,
PKCE, `auto_login` (a student logged in on the site is not asked again), the username `u<site user id>` from the
`sub` claim, the hub groups from the userinfo's `groups` claim and only the configured offerings' members
allowed.  The proxy is configurable-http-proxy from `node_modules/.bin`.  Services: `courseweb` (the site, with
the token `HUB_SERVICE_TOKEN`) and the idle culler (`HUB_IDLE_TIMEOUT_S`).  The endpoints, claims, groups, roles,
culler and profiles come from `course_hub.data.hub_data`, which also makes the Kubernetes values (`course_hub.z2jh`).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from course_hub.data import CULLER_SCOPES, hub_data
from course_hub.settings import REPO, SITE_SERVICE, HubSettings, hub_settings, hub_username

PROXY_BIN = REPO / "node_modules" / ".bin" / "configurable-http-proxy"


async def mint_submit_token(spawner: Any) -> None:
    """pre_spawn_hook: a new API token of the site for this server (`course-submit`), replacing the last one.

    The site mints it for the hub's service token (`POST /hub/spawn-token/`); the server gets it in its
    environment only (never the browser).  Without the site the server still starts, without a token."""
    from tornado.httpclient import AsyncHTTPClient, HTTPRequest

    s = hub_settings()
    if not s.service_token:
        return
    request = HTTPRequest(
        f"{s.site_internal_url}/hub/spawn-token/",
        method="POST",
        body=json.dumps({"user": spawner.user.name}),
        headers={"Authorization": f"Bearer {s.service_token}", "Content-Type": "application/json"},
        request_timeout=30,
    )
    try:
        response = await AsyncHTTPClient().fetch(request)
        token = json.loads(response.body)["token"]
    except Exception as exc:
        spawner.log.warning("No course API token for %s's server: %s", spawner.user.name, exc)
        return
    spawner.environment = {**spawner.environment, "COURSE_API_TOKEN": token}


def apply(c: Any, settings: HubSettings | None = None) -> HubSettings:
    s = settings or hub_settings()
    s.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)

    c.JupyterHub.bind_url = f"{s.hub_url}/"
    c.JupyterHub.hub_bind_url = s.hub_bind_url
    c.JupyterHub.db_url = f"sqlite:///{s.state_dir / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(s.state_dir / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(s.state_dir / "jupyterhub.pid")
    c.JupyterHub.cleanup_servers = True

    c.ConfigurableHTTPProxy.command = [str(PROXY_BIN)]
    c.ConfigurableHTTPProxy.api_url = s.proxy_api_url
    c.ConfigurableHTTPProxy.pid_file = str(s.state_dir / "proxy.pid")

    d = hub_data(s)
    c.JupyterHub.authenticator_class = "generic-oauth"
    a = c.GenericOAuthenticator
    a.client_id = d.oauth.client_id
    a.client_secret = s.client_secret
    a.oauth_callback_url = d.oauth.callback_url
    a.authorize_url = d.oauth.authorize_url
    a.token_url = d.oauth.token_url
    a.userdata_url = d.oauth.userdata_url
    a.scope = list(d.oauth.scope)
    a.enable_pkce = d.oauth.enable_pkce
    a.username_claim = hub_username
    a.manage_groups = d.oauth.manage_groups
    a.auth_state_groups_key = d.oauth.auth_state_groups_key
    a.allowed_groups = set(d.oauth.allowed_groups)
    a.auto_login = d.oauth.auto_login
    a.login_service = d.oauth.login_service
    a.logout_redirect_url = d.oauth.logout_redirect_url  # the site's logout passes through /hub/logout

    c.JupyterHub.spawner_class = "course_hub.spawner.JailedSpawner"
    c.JailedSpawner.homes_dir = str(s.homes_dir)
    c.JailedSpawner.runtime_root = str(s.runtime_dir)
    c.JailedSpawner.base_uid = s.base_uid
    c.JailedSpawner.uid_count = s.uid_count
    c.JailedSpawner.hub_port = s.port_of(s.hub_bind_url)
    c.JailedSpawner.site_url = s.site_url
    c.JailedSpawner.site_internal_url = s.site_internal_url
    c.JailedSpawner.profile_limits = {
        p.slug: {"cpu": p.cpu_limit, "memory_mb": p.mem_limit_mb, "pids": p.pids_max, "gpus": p.gpus}
        for p in d.profiles
    }
    c.Spawner.pre_spawn_hook = mint_submit_token
    c.Spawner.default_url = d.default_url
    c.Spawner.start_timeout = 120
    c.Spawner.http_timeout = 90
    c.JailedSpawner.interrupt_timeout = 3  # then TERM, then KILL: bwrap's pid namespace ends every process
    c.JailedSpawner.term_timeout = 3

    culler = [f"--timeout={d.culler.timeout_s}", f"--cull-every={d.culler.every_s}"]
    services: list[dict] = [
        {"name": "idle-culler", "command": [sys.executable, "-m", "jupyterhub_idle_culler", *culler]}
    ]
    roles: list[dict] = [{"name": "idle-culler", "scopes": list(CULLER_SCOPES), "services": ["idle-culler"]}]
    if s.service_token:
        services.append({"name": SITE_SERVICE, "api_token": s.service_token})
    c.JupyterHub.services = services
    site_roles = [r for r in d.roles if s.service_token or r["name"] != SITE_SERVICE]
    c.JupyterHub.load_roles = roles + [dict(r) for r in site_roles]
    return s
