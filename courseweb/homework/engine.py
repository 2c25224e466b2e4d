"""The one place the site calls the grading engine (`graders`, plain Python, never imports Django).

Only the engine's public API is used: `graders.release(source, out)` and `graders.autograde(source, submission,
*, seed, on_progress)`. The site never shells out to the engine's CLI and never runs a notebook itself.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import graders


def engine_release(*, source: Path, out: Path) -> Any:
    """Build the student version of `source` into `out`; returns the engine's release manifest."""
    return graders.release(Path(source), Path(out))


def engine_autograde(
    *, source: Path, submission: Path, seed: int | None, on_progress: Callable[[Any], None] | None
) -> Any:
    """Grade the notebooks in `submission` against `source` in the engine's sandbox; returns AutogradeResult."""
    return graders.autograde(Path(source), Path(submission), seed=seed, on_progress=on_progress)
