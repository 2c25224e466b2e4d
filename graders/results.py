"""Typed results that cross the boundary between the engine and its callers (site, CLI, benchmarks).

All classes are frozen dataclasses. ``AutogradeResult.to_json()`` is exactly the CLI's ``--json`` object.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["passed", "failed", "error", "timeout", "needs_manual"]
Phase = Literal["preparing", "starting", "running", "testing", "scoring", "done"]
STATUSES: tuple[str, ...] = ("passed", "failed", "error", "timeout", "needs_manual")


@dataclass(frozen=True)
class ProgressEvent:
    """One step of grading, for live progress in the site."""

    phase: Phase
    notebook: str | None = None
    cell_index: int | None = None
    cell_count: int | None = None
    message: str = ""


@dataclass(frozen=True)
class CellResult:
    """The outcome of one graded cell (test, manually graded answer or task)."""

    score: float | None
    max_score: float
    status: Status
    message: str = ""
    # a failed or errored test's traceback as the student may see it (no hidden line, message or value;
    # see graders/tracebacks.py); its last line is "Type: message"
    traceback: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "score": self.score,
            "max_score": self.max_score,
            "status": self.status,
            "message": self.message,
        }
        if self.traceback:  # only a failed or errored test has one
            out["traceback"] = list(self.traceback)
        return out


@dataclass(frozen=True)
class NotebookResult:
    """Scores of one notebook plus the feedback notebook shown to the student (nbformat 4 dict)."""

    cells: Mapping[str, CellResult]
    score: float
    max_score: float
    feedback_notebook: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "max_score": self.max_score,
            "cells": {gid: cell.to_json() for gid, cell in self.cells.items()},
        }


@dataclass(frozen=True)
class Resources:
    cpu_s: float = 0.0
    max_rss_mb: float = 0.0

    def to_json(self) -> dict[str, float]:
        return {"cpu_s": round(self.cpu_s, 3), "max_rss_mb": round(self.max_rss_mb, 1)}


@dataclass(frozen=True)
class AutogradeResult:
    """The result of grading one submission.

    ``score`` is the automatic total; ``max_score`` includes manually graded points; ``flags`` are
    staff-only notes (tampering detected, limits hit); ``error`` is set when the submission as a whole
    could not be graded (not a notebook, another assignment), in which case the score is 0.
    """

    score: float
    max_score: float
    needs_manual: bool
    notebooks: Mapping[str, NotebookResult]
    flags: tuple[str, ...] = ()
    timings: Mapping[str, float] = field(default_factory=dict)
    resources: Resources = field(default_factory=Resources)
    sandbox: str = ""
    error: str | None = None
    source_hash: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "max_score": self.max_score,
            "needs_manual": self.needs_manual,
            "notebooks": {stem: nb.to_json() for stem, nb in self.notebooks.items()},
            "flags": list(self.flags),
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "resources": self.resources.to_json(),
            "sandbox": self.sandbox,
            "error": self.error,
            "source_hash": self.source_hash,
        }
