"""Grade every student folder of an nbgrader ``submitted/`` tree with a pool of warm sandbox slots.

Accepted layouts: ``ROOT/<student>/<assignment>/*.ipynb`` (nbgrader's) and ``ROOT/<student>/*.ipynb``.
Results are yielded as they complete, one per student.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from graders.engine import Pool, autograde, cached_source
from graders.limits import Limits
from graders.results import AutogradeResult
from graders.slot import DEFAULT_PRELOAD


@dataclass(frozen=True)
class BatchItem:
    student: str
    submission: Path
    result: AutogradeResult | None
    failure: str | None = None


def submission_folders(*, root: Path, assignment: str) -> dict[str, Path]:
    """Student name -> the folder holding that student's notebooks."""
    found: dict[str, Path] = {}
    for student in sorted(p for p in Path(root).iterdir() if p.is_dir() and not p.name.startswith(".")):
        nested = student / assignment
        found[student.name] = nested if nested.is_dir() else student
    return found


def autograde_batch(
    *,
    source: Path,
    submitted_root: Path,
    workers: int = 1,
    limits: Limits | None = None,
    seed: int | None = None,
    env: Mapping[str, str] | None = None,
    mode: str | None = None,
    preload: tuple[str, ...] = DEFAULT_PRELOAD,
) -> Iterator[BatchItem]:
    src = cached_source(Path(source))
    folders = submission_folders(root=Path(submitted_root), assignment=src.name)
    pool = Pool(size=max(1, workers), mode=mode, preload=preload)
    try:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as executor:
            futures: dict[Future[AutogradeResult], tuple[str, Path]] = {
                executor.submit(
                    autograde, Path(source), folder, limits=limits, seed=seed, env=env, pool=pool
                ): (student, folder)
                for student, folder in folders.items()
            }
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    student, folder = futures[future]
                    try:
                        yield BatchItem(student=student, submission=folder, result=future.result())
                    except Exception as exc:
                        yield BatchItem(student=student, submission=folder, result=None, failure=str(exc))
    finally:
        pool.close()
