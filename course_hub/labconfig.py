"""The JupyterLab page config of the students' servers: nbgrader's lab extension off and locked.

The course environment has nbgrader installed (the site grades with it), and with it nbgrader's JupyterLab
extension `@jupyter/nbgrader`: an "Nbgrader" menu, a "Create Assignment" sidebar, a "Validate" toolbar button and
the assignment and course lists.  Their server extensions are off in a student's server
(`course_hub.spawner.SERVER_CONFIG`), so each of them would fail; the course's own Submit button
(`course-hub-submit`, `course_hub/labextension`) stays on.

`write_page_config(config_dir)` writes `<config_dir>/labconfig/page_config.json`, which JupyterLab (and
Notebook 7) read from every folder of the Jupyter config path (the spawner's runtime folder is on
`JUPYTER_CONFIG_PATH`): `disabledExtensions` keeps the plugins from loading, `lockedExtensions` keeps the plugin
manager from turning them back on.
"""

from __future__ import annotations

import json
from pathlib import Path

# Whole lab extensions (every plugin of the package) that a student's JupyterLab does not load.
DISABLED_LAB_EXTENSIONS = ("@jupyter/nbgrader",)

PAGE_CONFIG = {
    "disabledExtensions": dict.fromkeys(DISABLED_LAB_EXTENSIONS, True),
    "lockedExtensions": dict.fromkeys(DISABLED_LAB_EXTENSIONS, True),
}


def write_page_config(config_dir: Path) -> Path:
    """Write the page config into the Jupyter config folder `config_dir` (readable by the server's user)."""
    folder = Path(config_dir) / "labconfig"
    folder.mkdir(mode=0o755, exist_ok=True)
    path = folder / "page_config.json"
    path.write_text(json.dumps(PAGE_CONFIG, indent=1))
    path.chmod(0o644)
    return path
