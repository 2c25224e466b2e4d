"""The one place the site calls the grading engine (`graders`, plain Python, never imports Django).

Only the engine's public API is used: `graders.release(source, out)`, `graders.autograde(source, submission,
*, seed, on_progress, pool)` and `graders.Pool`. The site never shells out to the engine's CLI and never runs a
notebook itself. Each worker process keeps one warm engine slot (a sandboxed, pre-imported interpreter) and
warms it when the process starts, so the first submission after a deploy is as fast as the rest.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import graders

log = logging.getLogger(__name__)
_pool: graders.Pool | None = None
_pool_lock = threading.Lock()


def engine_pool() -> graders.Pool:
    """This process's engine pool (one slot: a worker process grades one submission at a time)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = graders.Pool(size=1)
            atexit.register(engine_pool_close)
        return _pool


def engine_pool_close() -> None:
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.close()


def engine_prewarm() -> None:
    """Start this process's sandbox slot now (in the background) instead of on the first submission."""

    def warm() -> None:
        try:
            with engine_pool().slot():
                pass
        except Exception:  # a failed warm-up is retried by the first real submission
            log.exception("warming the grading sandbox failed")

    threading.Thread(target=warm, name="grading-prewarm", daemon=True).start()


def engine_release(*, source: Path, out: Path) -> Any:
    """Build the student version of `source` into `out`; returns the engine's release manifest."""
    return graders.release(Path(source), Path(out))


def engine_autograde(
    *, source: Path, submission: Path, seed: int | None, on_progress: Callable[[Any], None] | None
) -> Any:
    """Grade the notebooks in `submission` against `source` in the engine's sandbox; returns AutogradeResult."""
    return graders.autograde(
        Path(source), Path(submission), seed=seed, on_progress=on_progress, pool=engine_pool()
    )
