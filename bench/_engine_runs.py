"""The engine's side of the comparisons: grade a `submitted/` tree with the engine's command line, read the
scores per grade cell, and compare them with nbgrader's (shared by the throughput and one-shot benchmarks).

Both entry points are the engine's command line with its default sandbox, run as a child process, so the times
include its start-up: `python -m graders autograde-batch SRC SUBMITTED --workers N --json` (one process for all),
or `python -m graders autograde SRC SUBMISSION --json` once per submission.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

Scores = dict[str, dict[str, float]]  # student -> "stem/grade_id" -> score


@dataclass(frozen=True)
class EngineRun:
    """The engine's side of one measurement: scores, wall seconds in all, sandbox, its own timings' medians."""

    scores: Scores
    seconds: float
    sandbox: str
    timings: dict[str, float]

    def describe_timings(self) -> str:
        """The engine's own phase timings (the results' `timings`), median per submission, biggest first."""
        ordered = sorted(self.timings.items(), key=lambda kv: (kv[0] != "total_s", -kv[1]))
        return ", ".join(f"{name} {seconds:.3f}" for name, seconds in ordered) or "(none reported)"


def timing_medians(results: Sequence[dict]) -> dict[str, float]:
    names = {name for r in results for name in (r.get("timings") or {})}
    return {
        name: statistics.median(float((r.get("timings") or {}).get(name, 0.0)) for r in results)
        for name in sorted(names)
    }


def engine_scores_batch(*, source: Path, submitted: Path, workers: int) -> EngineRun:
    """Grade everything with one `autograde-batch` run."""
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "graders", "autograde-batch", str(source), str(submitted),
         "--workers", str(workers), "--json"],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    if proc.returncode != 0 and not proc.stdout.strip():
        raise RuntimeError(f"autograde-batch failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    results = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    scores = {r["student"]: cell_scores(r) for r in results}
    return EngineRun(scores, seconds, sandbox_of(results), timing_medians(results))


def engine_autograde_one(*, source: Path, submission: Path) -> tuple[dict, float]:
    """One `python -m graders autograde SOURCE SUBMISSION --json` process; returns its result and seconds."""
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "graders", "autograde", str(source), str(submission), "--json"],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"autograde failed for {submission}:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout), seconds


def engine_scores_cli(*, source: Path, submitted: Path, workers: int) -> EngineRun:
    """Grade each submission with its own `python -m graders autograde --json` (workers ignored)."""
    scores: Scores = {}
    results = []
    total = 0.0
    for folder in sorted(submitted.iterdir()):
        result, seconds = engine_autograde_one(source=source, submission=folder / source.name)
        total += seconds
        results.append(result)
        scores[folder.name] = cell_scores(result)
    return EngineRun(scores, total, sandbox_of(results), timing_medians(results))


def cell_scores(result: dict) -> dict[str, float]:
    """Each automatically graded cell of one result: "stem/grade_id" -> score."""
    return {
        f"{stem}/{grade_id}": float(cell["score"])
        for stem, notebook in (result.get("notebooks") or {}).items()
        for grade_id, cell in (notebook.get("cells") or {}).items()
        if cell.get("status") != "needs_manual"
    }


def sandbox_of(results: Sequence[dict]) -> str:
    modes = sorted({str(r.get("sandbox")) for r in results})
    return ", ".join(modes) if modes else "(no result)"


def compare(nbgrader: Scores, engine: Scores) -> list[str]:
    """One line per student whose scores differ in any grade cell (or who is missing on one side)."""
    problems = []
    for student in sorted(set(nbgrader) | set(engine)):
        ours, theirs = engine.get(student), nbgrader.get(student)
        if ours != theirs:
            problems.append(f"{student}: nbgrader {theirs} engine {ours}")
    return problems
