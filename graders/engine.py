"""``autograde``: plan a submission, run it in a warm sandbox slot, score it, build feedback.

Slots come from a :class:`Pool` (one per process by default, kept warm between calls, closed at exit), so a
Celery worker or a batch pays the interpreter start-up and library imports once per slot, not per
submission.
"""

from __future__ import annotations

import atexit
import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from graders import feedback, score
from graders.limits import Limits
from graders.plan import SourceAssignment, load_source, plan_submission
from graders.protocol import NotebookRun
from graders.release import source_hash
from graders.results import AutogradeResult, NotebookResult, ProgressEvent, Resources
from graders.slot import DEFAULT_PRELOAD, Slot

Progress = Callable[[ProgressEvent], None]
_SOURCE_CACHE: dict[tuple[str, str], SourceAssignment] = {}
_CACHE_LOCK = threading.Lock()


class Pool:
    """Up to ``size`` warm slots, handed out one at a time per submission."""

    def __init__(
        self,
        *,
        size: int = 1,
        mode: str | None = None,
        preload: tuple[str, ...] = DEFAULT_PRELOAD,
        devices: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.size = size
        self.devices = devices
        self.mode = mode
        self.preload = preload
        self._idle: list[Slot] = []
        self._lock = threading.Lock()
        self._free = threading.Semaphore(size)

    @contextlib.contextmanager
    def slot(self, *, required: tuple[str, ...] = ()) -> Iterator[Slot]:
        """A started slot whose zygote has preloaded the pool's modules and ``required``."""
        self._free.acquire()
        slot: Slot | None = None
        healthy = False
        try:
            with self._lock:
                slot = self._idle.pop() if self._idle else None
            if slot is not None and not set(required) <= set(slot.preload):
                self.preload = tuple(dict.fromkeys((*self.preload, *required)))
                slot.close()
                slot = None
            if slot is None or not slot.reusable:
                if slot is not None:
                    slot.close()
                preload = tuple(dict.fromkeys((*self.preload, *required)))
                slot = Slot(mode=self.mode, preload=preload, devices=self.devices)
                slot.start()
            yield slot
            healthy = True
        finally:
            if slot is not None:
                if healthy and slot.reusable:
                    with self._lock:
                        self._idle.append(slot)
                else:
                    slot.close()
            self._free.release()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for slot in idle:
            slot.close()


_POOLS: dict[str | None, Pool] = {}


def default_pool(mode: str | None = None) -> Pool:
    with _CACHE_LOCK:
        if mode not in _POOLS:
            _POOLS[mode] = Pool(mode=mode)
        return _POOLS[mode]


@atexit.register
def _close_pools() -> None:
    for pool in list(_POOLS.values()):
        pool.close()


def _files_signature(folder: Path) -> tuple[tuple[str, int, int, int, int], ...]:
    """Each file's path, size, inode and change times: what a write to any of them changes (no byte read)."""
    out = []
    for file in sorted(p for p in folder.rglob("*") if p.is_file() and ".ipynb_checkpoints" not in p.parts):
        info = file.stat()
        out.append(
            (
                file.relative_to(folder).as_posix(),
                info.st_size,
                info.st_ino,
                info.st_mtime_ns,
                info.st_ctime_ns,
            )
        )
    return tuple(out)


_SIGNATURES: dict[tuple[str, tuple[tuple[str, int, int, int, int], ...]], str] = {}


def cached_source(path: Path) -> SourceAssignment:
    """The parsed source assignment, parsed once per content (its ``source_hash``).

    A submission does not re-read the source's bytes to hash them: the hash is reused while no file of the
    folder changed its size, inode or change times (a write changes ``st_ctime_ns``).
    """
    folder = str(Path(path).resolve())
    signature = (folder, _files_signature(Path(path)))
    with _CACHE_LOCK:
        digest = _SIGNATURES.get(signature)
    if digest is None:
        digest = source_hash(Path(path))
        with _CACHE_LOCK:
            _SIGNATURES[signature] = digest
    key = (folder, digest)
    with _CACHE_LOCK:
        if key not in _SOURCE_CACHE:
            _SOURCE_CACHE[key] = load_source(Path(path))
        return _SOURCE_CACHE[key]


def _job_limits(limits: Limits, slot: Slot) -> dict[str, Any]:
    return {
        "max_processes": limits.max_processes,
        "file_size_mb": limits.file_size_mb,
        "cpu_s": limits.cpu_limit_s,
        "memory_mb": limits.memory_mb,
        "rlimit_as": slot.cgroup is None or not slot.cgroup.memory_limited(),
        "cell_timeout_s": limits.cell_timeout_s,
        "output_cell_bytes": limits.output_cell_bytes,
    }


def _staged_files(
    files: dict[str, Path], *, source: SourceAssignment, limits: Limits, flags: list[str]
) -> dict[str, Path]:
    """The files copied into the scratch folder: the assignment's, and the submission's up to half the scratch."""
    budget = limits.scratch_mb * 1024 * 1024 // 2
    staged: dict[str, Path] = {}
    used = 0
    for rel, path in sorted(files.items()):
        size = path.stat().st_size
        if source.path not in path.parents and used + size > budget:
            flags.append(f"file {rel} of the submission was not staged (over {budget // (1024 * 1024)} MB)")
            continue
        used += size
        staged[rel] = path
    return staged


def _run_flags(stem: str, run: NotebookRun, *, cell_count: int) -> list[str]:
    flags = [f"{stem}: {flag}" for flag in run.flags]
    for index in sorted(run.timeouts):
        flags.append(f"{stem}: cell {index} hit the time limit")
    if run.total_timeout:
        flags.append(f"{stem}: the submission hit its total time limit")
    if run.output_overflow:
        flags.append(f"{stem}: the output limit was exceeded; the notebook was stopped")
    for index, record in sorted(run.tests.items()):
        for flag in record.get("flags") or []:
            flags.append(f"{stem}: test cell {index}: {flag}")
    sig = run.exit_info.get("signal")
    if not run.finished and not run.total_timeout and not run.output_overflow:
        if sig == 9:
            flags.append(f"{stem}: the notebook process was killed (memory or process limit)")
        elif sig == 24:
            flags.append(f"{stem}: the notebook process hit the CPU time limit")
        elif cell_count:
            flags.append(f"{stem}: the notebook process ended early (exit code {run.exit_info.get('code')})")
    return flags


def autograde(
    source: Path,
    submission: Path,
    *,
    limits: Limits | None = None,
    seed: int | None = None,
    env: Mapping[str, str] | None = None,
    on_progress: Progress | None = None,
    pool: Pool | None = None,
) -> AutogradeResult:
    """Grade one submission folder (or notebook file) against a source assignment folder."""
    started = time.perf_counter()
    report = on_progress or (lambda event: None)
    report(ProgressEvent(phase="preparing", message="reading the assignment and the submission"))
    src = cached_source(Path(source))
    limits = limits or src.limits
    plan = plan_submission(source=src, submission=Path(submission))
    runnable = {stem: nb for stem, nb in plan.notebooks.items() if not nb.missing and not nb.error}
    runs: dict[str, NotebookRun] = {}
    timings: dict[str, float] = {"prepare_s": time.perf_counter() - started}
    cpu, rss, sandbox_desc = 0.0, 0.0, "not started (nothing to run)"
    if runnable:
        pool = pool or default_pool()
        wait_start = time.perf_counter()
        with pool.slot(required=src.imports) as slot:
            timings["slot_s"] = time.perf_counter() - wait_start
            sandbox_desc = slot.describe()
            slot.apply_limits(limits)
            mark = time.perf_counter()
            slot.reset(files=_staged_files(plan.extra_files, source=src, limits=limits, flags=plan.flags))
            timings["reset_s"] = time.perf_counter() - mark
            run_start = time.perf_counter()
            deadline = time.monotonic() + limits.total_timeout_s
            job_env = {**slot.env, **dict(env or {})}
            if seed is not None:
                job_env["GRADER_SEED"] = str(seed)
            for stem, nb_plan in runnable.items():
                cells = nb_plan.job_cells()
                report(
                    ProgressEvent(phase="running", notebook=stem, cell_count=len(cells), message="running")
                )

                def on_cell(index: int, stem: str = stem, count: int = len(nb_plan.cells)) -> None:
                    report(ProgressEvent(phase="running", notebook=stem, cell_index=index, cell_count=count))

                job = {"notebook": stem, "cells": cells, "limits": _job_limits(limits, slot), "env": job_env}
                run = slot.run_notebook(
                    job=job, tests=nb_plan.test_sources(), limits=limits, deadline=deadline, on_cell=on_cell
                )
                runs[stem] = run
                for phase, seconds in run.timings.items():
                    timings[phase] = timings.get(phase, 0.0) + seconds
                cpu += float(run.exit_info.get("cpu_s") or 0.0)
                rss = max(rss, float(run.exit_info.get("max_rss_mb") or 0.0))
            timings["run_s"] = time.perf_counter() - run_start
            mark = time.perf_counter()
            slot.finish()
            timings["finish_s"] = time.perf_counter() - mark
    report(ProgressEvent(phase="scoring", message="scoring"))
    mark = time.perf_counter()
    notebooks: dict[str, NotebookResult] = {}
    flags = list(plan.flags)
    for stem, nb_plan in plan.notebooks.items():
        src_nb = src.notebooks[stem]
        nb_run = runs.get(stem)
        scored = score.score_notebook(nb_plan, nb_run, source=src_nb)
        flags += [f"{stem}: {flag}" for flag in nb_plan.flags]
        if nb_run is not None:
            flags += _run_flags(stem, nb_run, cell_count=len(nb_plan.cells))
        nb_score, nb_max, _ = score.totals(scored)
        notebooks[stem] = NotebookResult(
            cells=scored,
            score=nb_score,
            max_score=nb_max,
            feedback_notebook=feedback.build_feedback(
                plan=nb_plan, run=nb_run, results=scored, source=src_nb
            ),
        )
    timings["score_s"] = time.perf_counter() - mark
    all_cells = {f"{stem}/{gid}": c for stem, nb in notebooks.items() for gid, c in nb.cells.items()}
    total, maximum, manual = score.totals(all_cells)
    if plan.error and not runnable:
        total = 0.0
    timings["total_s"] = time.perf_counter() - started
    report(ProgressEvent(phase="done", message=f"{total:g} / {maximum:g}"))
    return AutogradeResult(
        score=total,
        max_score=src.max_score if src.max_score else maximum,
        needs_manual=manual,
        notebooks=notebooks,
        flags=tuple(dict.fromkeys(flags)),
        timings=timings,
        resources=Resources(cpu_s=cpu, max_rss_mb=rss),
        sandbox=sandbox_desc,
        error=plan.error,
        source_hash=src.source_hash,
    )
