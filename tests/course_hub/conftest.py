"""One real JupyterHub (with configurable-http-proxy) per test session, for every test of this folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.course_hub.hubstack import HubStack


@pytest.fixture(scope="session")
def hub_stack(tmp_path_factory, live_server) -> HubStack:
    """The hub logs users in through the test site (pytest-django's live server); members of `s26` may."""
    if not Path("/usr/bin/bwrap").exists():
        pytest.skip("bubblewrap is not installed: the hub's jailed servers cannot start")
    stack = HubStack(
        state_dir=tmp_path_factory.mktemp("hub"), site_url=live_server.url, extra_env={"HUB_OFFERINGS": "s26"}
    ).start()
    yield stack
    stack.stop()


@pytest.fixture
def site_for_hub(settings, monkeypatch, hub_stack, live_server) -> str:
    """The test site configured for the session's hub, with the hub registered as its OpenID Connect client."""
    import io

    from django.core.management import call_command

    from tests.course_hub.hubstack import CLIENT_SECRET

    settings.HUB_URL = hub_stack.url
    settings.HUB_API_URL = hub_stack.api_url
    settings.HUB_SERVICE_TOKEN = hub_stack.token
    monkeypatch.setenv("HUB_CLIENT_SECRET", CLIENT_SECRET)
    call_command("create_hub_application", stdout=io.StringIO())
    return live_server.url
