"""Which JupyterLab extensions a student's server turns on: the course's Submit button (`course-hub-submit`), and
not nbgrader's own (its "Nbgrader" menu, "Create Assignment" sidebar and "Validate" button call nbgrader's server
extensions, which `course_hub.spawner.SERVER_CONFIG` disables), read from the page config that `/lab` and
Notebook 7's `/tree` send to the browser.
"""

from __future__ import annotations

import json
import urllib.request

import pytest

pytestmark = pytest.mark.workers  # the session's hub, with the other hub tests (bin/test's second phase)

NBGRADER = "@jupyter/nbgrader"
COURSE_SUBMIT = "course-hub-submit"
# nbgrader 0.9's lab plugins (the ids in its built extension, .venv/share/jupyter/labextensions/@jupyter/nbgrader)
NBGRADER_PLUGINS = ("menu", "create-assignment", "validate-assignment", "assignment-list", "course-list")


def _page_config(hub_stack, name: str, path: str) -> dict:
    request = urllib.request.Request(
        f"{hub_stack.url}/user/{name}{path}", headers={"Authorization": f"token {hub_stack.token}"}
    )
    with urllib.request.urlopen(request, timeout=180) as response:
        assert response.status == 200
        page = response.read().decode()
    return json.loads(page.split('id="jupyter-config-data"', 1)[1].split(">", 1)[1].split("</script>", 1)[0])


def _disabled(config: dict, plugin_id: str) -> bool:
    """JupyterLab's rule (`PageConfig.Extension.isDisabled`): the plugin's id or its package's name is listed."""
    package = plugin_id.split(":", 1)[0]
    return any(entry in (plugin_id, package) for entry in config["disabledExtensions"])


def test_a_student_lab_has_the_submit_button_and_none_of_nbgraders_plugins(hub_stack):
    hub_stack.start_server("u950")
    for path in ("/lab", "/tree"):
        config = _page_config(hub_stack, "u950", path)
        installed = {extension["name"] for extension in config["federated_extensions"]}
        # both are installed in the course environment: the page config is what tells them apart
        assert {NBGRADER, COURSE_SUBMIT} <= installed, (path, installed)
        for plugin in NBGRADER_PLUGINS:
            assert _disabled(config, f"{NBGRADER}:{plugin}"), (path, config["disabledExtensions"])
        assert not _disabled(config, f"{COURSE_SUBMIT}:plugin"), (path, config["disabledExtensions"])
        # and a student cannot turn nbgrader's plugins back on through the plugin manager
        assert NBGRADER in config.get("lockedExtensions", []), (path, config.get("lockedExtensions"))
    status, locks = hub_stack.server_request("u950", "GET", "/lab/api/plugins")
    assert status == 200 and NBGRADER in locks["lockRules"], locks
    status, refused = hub_stack.server_request(
        "u950", "POST", "/lab/api/plugins", {"cmd": "enable", "plugin_name": f"{NBGRADER}:menu"}
    )
    assert status == 500 and "cannot be enabled as they are locked" in refused, refused
    hub_stack.stop_server("u950")
