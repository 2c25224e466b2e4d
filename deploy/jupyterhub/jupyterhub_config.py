# The course's JupyterHub (`jupyterhub -f deploy/jupyterhub/jupyterhub_config.py`, started by `make run`).
# Everything comes from the environment; see course_hub/settings.py for the variables and their defaults.
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from course_hub.config import apply

apply(c)  # noqa: F821 - `c` is the config object JupyterHub gives this file
