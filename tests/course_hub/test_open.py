"""Open in JupyterHub, against the real hub: the released notebook and data files land in `<assignment>/` of the
student's home (through the server's contents API), with the assignment and stem in the notebook's metadata;
never the hidden tests or the source; opening again keeps the student's edits; a fresh copy goes beside them;
each member of a group gets their own server and copy; the progress page follows the request.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.urls import reverse

from courseweb.courses.models import Role
from courseweb.hub.models import HubOpen, OpenState
from courseweb.hub.services import hub_open_perform
from tests.factories import EnrollmentFactory, MembershipFactory, UserFactory

pytestmark = [pytest.mark.workers, pytest.mark.django_db(transaction=True)]

HIDDEN_LINE = "assert np.allclose(scale([1, 2], 3), [3, 6])"


def _open(client, assignment, *, fresh: bool = False) -> HubOpen:
    response = client.post(reverse("hub:open", args=[assignment.key]), {"fresh": "1"} if fresh else {})
    row = HubOpen.objects.latest("pk")
    assert response.status_code == 302 and response["Location"] == reverse("hub:progress", args=[row.pk])
    assert row.state == OpenState.QUEUED
    assert hub_open_perform(open_id=row.pk) == "done", HubOpen.objects.get(pk=row.pk).error
    assert hub_open_perform(open_id=row.pk) == "nothing to do"  # a redelivered message changes nothing
    return HubOpen.objects.get(pk=row.pk)


def _last_cell(path: Path) -> str:
    source = json.loads(path.read_text())["cells"][-1]["source"]
    return "".join(source) if isinstance(source, list) else source


def _home(hub_stack, user) -> Path:
    return hub_stack.state_dir / "homes" / f"u{user.pk}"


def test_open_places_the_release_keeps_edits_and_gives_fresh_copies(client, assignment, hub_site):
    alice, bob = UserFactory(), UserFactory()
    for user in (alice, bob):
        EnrollmentFactory(user=user, offering=assignment.offering, role=Role.STUDENT)
    membership = MembershipFactory(user=alice, group__offering=assignment.offering)
    MembershipFactory(user=bob, group=membership.group)
    client.force_login(alice)
    page = client.get(reverse("homework:assignment", args=[assignment.key])).content.decode()
    assert "Open in JupyterHub" in page and "Get a fresh copy" not in page

    row = _open(client, assignment)

    home = _home(hub_site, alice)
    notebook = json.loads((home / "hubhw" / "hubhw.ipynb").read_text())
    assert notebook["metadata"]["course"] == {"offering": "s26", "assignment": "hubhw", "stem": "hubhw"}
    assert (home / "hubhw" / "data" / "prices.csv").read_text() == "day,price\n1,10.5\n2,11.0\n"
    everything = "".join(p.read_text(errors="replace") for p in home.rglob("*") if p.is_file())
    assert "BEGIN HIDDEN TESTS" not in everything and HIDDEN_LINE not in everything
    assert not list(home.rglob("assignment.toml")) and not list(home.rglob("release-manifest.json"))
    assert row.open_path == "hubhw/hubhw.ipynb"
    progress = client.get(reverse("hub:progress", args=[row.pk])).content.decode()
    assert "Ready" in progress and f"{hub_site.url}/hub/user-redirect/lab/tree/hubhw/hubhw.ipynb" in progress
    polled = client.get(reverse("hub:progress_status", args=[row.pk]), HTTP_HX_REQUEST="true")
    assert polled["HX-Redirect"] == f"{hub_site.url}/hub/user-redirect/lab/tree/hubhw/hubhw.ipynb"

    # the student's work: edited in the server, then "Open in JupyterHub" again keeps it
    notebook["cells"][-1]["source"] = "my answer"
    status, _ = hub_site.server_request(
        f"u{alice.pk}",
        "PUT",
        "/api/contents/hubhw/hubhw.ipynb",
        {"type": "notebook", "format": "json", "content": notebook},
    )
    assert status == 200
    again = _open(client, assignment)
    assert {"path": "hubhw/hubhw.ipynb", "action": "kept"} in again.placed
    assert _last_cell(home / "hubhw" / "hubhw.ipynb") == "my answer"
    assert (
        "Get a fresh copy"
        in client.get(reverse("homework:assignment", args=[assignment.key])).content.decode()
    )

    fresh = _open(client, assignment, fresh=True)
    assert fresh.open_path == "hubhw/hubhw-fresh-1.ipynb"
    assert _last_cell(home / "hubhw" / "hubhw-fresh-1.ipynb") != "my answer"
    copy = json.loads((home / "hubhw" / "hubhw-fresh-1.ipynb").read_text())
    assert copy["metadata"]["course"]["stem"] == "hubhw"
    assert _last_cell(home / "hubhw" / "hubhw.ipynb") == "my answer"

    # the group partner: a server and a copy of their own
    client.force_login(bob)
    _open(client, assignment)
    assert _last_cell(_home(hub_site, bob) / "hubhw" / "hubhw.ipynb") != "my answer"
    status, model = hub_site.api("GET", f"/users/u{bob.pk}")
    assert model["servers"][""]["ready"]
    # and not the other's request
    assert client.get(reverse("hub:progress", args=[row.pk])).status_code == 403
