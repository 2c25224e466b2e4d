"""Logging out of the site ends the browser's hub session: the site's logout passes through the hub's `/hub/logout`
(which clears the hub's log-in cookie and revokes the OAuth tokens of this browser session, the single-user
server's cookie included) and comes back to the site.
"""

from __future__ import annotations

import re

import pytest

from courseweb.courses.models import Role
from tests.course_hub.hubstack import site_login
from tests.factories import EnrollmentFactory, OfferingFactory, UserFactory
from tests.workers import wait_for

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]


def _site_logout(browser, site: str):
    page = browser.get(f"{site}/", timeout=300)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return browser.post(
        f"{site}/accounts/logout/",
        data={"csrfmiddlewaretoken": token},
        headers={"Referer": f"{site}/"},
        timeout=300,
    )


def test_logging_out_of_the_site_ends_the_hub_session_and_the_servers_cookie(site_for_hub, hub_stack):
    user = UserFactory()
    EnrollmentFactory(user=user, offering=OfferingFactory(), role=Role.STUDENT)
    name = f"u{user.pk}"
    browser = site_login(site_for_hub, user.username)
    assert browser.get(f"{hub_stack.url}/hub/home", timeout=300).url == f"{hub_stack.url}/hub/home"
    hub_stack.start_server(name)
    lab = browser.get(f"{hub_stack.url}/user/{name}/lab", timeout=300)  # the server's own OAuth log-in
    assert lab.status_code == 200 and lab.url.startswith(f"{hub_stack.url}/user/{name}/"), lab.url
    contents = f"{hub_stack.url}/user/{name}/api/contents"
    assert browser.get(contents, allow_redirects=False, timeout=300).status_code == 200
    assert browser.get(f"{hub_stack.url}/hub/api/user", timeout=60).json()["name"] == name

    out = _site_logout(browser, site_for_hub)

    steps = [r.url for r in out.history]
    assert any(url.startswith(f"{hub_stack.url}/hub/logout") for url in steps), steps
    assert out.status_code == 200 and out.url == f"{site_for_hub}/", out.url
    home = browser.get(f"{hub_stack.url}/hub/home", allow_redirects=False, timeout=300)
    assert home.status_code == 302 and "/hub/login" in home.headers["Location"], home.headers
    assert browser.get(f"{hub_stack.url}/hub/api/user", timeout=60).status_code == 403
    # the server checks its cookie's token with the hub (cached for HubOAuth.cache_max_age seconds)
    wait_for(
        lambda: browser.get(contents, allow_redirects=False, timeout=60).status_code != 200,
        timeout=120,
        interval=2,
        what="the server to refuse the revoked cookie",
    )
    again = browser.get(f"{hub_stack.url}/user/{name}/lab", timeout=300)
    assert again.url.startswith(f"{site_for_hub}/accounts/login/"), [r.url for r in again.history]
