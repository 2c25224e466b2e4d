"""The course's grading engine: nbgrader-format release and sandboxed, tamper-resistant autograding.

Plain Python; never imports Django. Public API::

    from graders import autograde, release
    result = autograde(Path("source/ps1"), Path("submitted/alice/ps1"), seed=1)
    result.score, result.max_score, result.to_json()

See docs/grading-engine.md for the design and docs/threat-model.md for what the sandbox defends.
"""

from graders.engine import Pool, autograde
from graders.limits import Limits, load_limits
from graders.release import ReleaseManifest, release
from graders.results import AutogradeResult, CellResult, NotebookResult, ProgressEvent, Resources

__all__ = [
    "AutogradeResult",
    "CellResult",
    "Limits",
    "NotebookResult",
    "Pool",
    "ProgressEvent",
    "ReleaseManifest",
    "Resources",
    "autograde",
    "load_limits",
    "release",
]
