"""The one place the site calls the grading engine (`graders`, plain Python, never imports Django).

Only the engine's public API is used: `graders.release(source, out)`, `graders.autograde(source, submission,
*, limits, seed, env, on_progress, pool)`, `graders.Pool`, `graders.limits.limits_from_mapping`, the upload
check `graders.check`, the release manifest's accessors and the notebook reader of `graders.format` (the site
parses no notebook itself). The site never shells out to the engine's CLI and never runs a notebook itself. Each
worker process keeps one warm engine slot (a sandboxed, pre-imported interpreter) and warms it when the process
starts, so the first submission after a deploy is as fast as the rest.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

import graders
from graders import format as fmt
from graders.check import CheckedSubmission, check_size, check_submission, manifest_read
from graders.check import SubmissionError as SubmissionError  # the check's refusal, for the upload service
from graders.limits import limits_from_mapping

log = logging.getLogger(__name__)
_pool: graders.Pool | None = None
_pool_lock = threading.Lock()
# The warming thread lives until the pool closes: the sandbox dies with the thread that started it (bubblewrap's
# --die-with-parent follows the starting thread, not the process), so a thread that ended would take the slot along.
_prewarm_hold = threading.Event()


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
    _prewarm_hold.set()
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
            return
        _prewarm_hold.wait()  # keep the slot's starting thread alive while the pool may use the slot

    _prewarm_hold.clear()
    threading.Thread(target=warm, name="grading-prewarm", daemon=True).start()


def engine_release(*, source: Path, out: Path) -> graders.ReleaseManifest:
    """Build the student version of `source` into `out`; returns the engine's release manifest."""
    return graders.release(Path(source), Path(out))


def engine_release_manifest(release_dir: Path) -> graders.ReleaseManifest:
    """The manifest of a released assignment (its notebooks' cells and its data files)."""
    return manifest_read(Path(release_dir))


def engine_released_notebook(*, release_dir: Path, stem: str) -> fmt.Notebook:
    """The released notebook `<stem>.ipynb`, read by the engine's reader (`graders.format`: UTF-8 with or without a
    byte-order mark, nbformat 4); FileNotFoundError if it is not there, ValueError if it is not a notebook."""
    return fmt.read_notebook(Path(release_dir) / f"{stem}.ipynb")


def engine_notebook_parse(*, data: bytes, name: str) -> fmt.Notebook:
    """A stored notebook (a submission, a feedback notebook) parsed by the engine's reader; ValueError if it is
    not an nbformat 4 notebook."""
    return fmt.parse_notebook(data, name=name)


def engine_check_upload(
    *, release_dir: Path, data: bytes, filename: str, title: str, max_bytes: int
) -> CheckedSubmission:
    """Check an uploaded notebook against the assignment's release (`graders.check`): the notebook's stem and
    parsed notebook, or SubmissionError with the message for the student."""
    return check_submission(
        data, manifest=manifest_read(Path(release_dir)), filename=filename, title=title, max_bytes=max_bytes
    )


def engine_check_size(*, size: int, max_bytes: int) -> None:
    """The check's size rule alone (empty or over `max_bytes`: SubmissionError), before the body is read."""
    check_size(size, max_bytes=max_bytes)


def engine_limits(table: Mapping[str, object]) -> graders.Limits:
    """The engine's Limits from a `[limits]`-style table; ValueError for unknown keys or bad values."""
    return limits_from_mapping(dict(table))


def engine_autograde(
    *,
    source: Path,
    submission: Path,
    seed: int | None,
    on_progress: Callable[[graders.ProgressEvent], None] | None,
    limits: Mapping[str, object] | None = None,
    env: Mapping[str, str] | None = None,
    devices: tuple[tuple[str, str], ...] = (),
) -> graders.AutogradeResult:
    """Grade the notebooks in `submission` against `source` in the engine's sandbox; returns AutogradeResult.

    `limits` (a limit profile's table) replaces the source's own `[limits]`; `env` is added to the notebook's
    environment.  With `devices` (a leased GPU's device nodes) the run gets a fresh slot of its own whose /dev
    has them, closed afterwards, so the worker's warm CPU slot never sees a GPU it does not hold.
    """
    profile_limits = engine_limits(limits) if limits is not None else None
    pool = graders.Pool(size=1, devices=devices) if devices else engine_pool()
    try:
        return graders.autograde(
            Path(source),
            Path(submission),
            limits=profile_limits,
            seed=seed,
            env=dict(env or {}),
            on_progress=on_progress,
            pool=pool,
        )
    finally:
        if devices:
            pool.close()
