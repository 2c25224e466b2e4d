"""Shared fixtures for the grading engine's tests: one warm sandbox pool per test session."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graders.engine import Pool
from graders.sandbox import BWRAP

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
COMPAT = SHARED / "compat" / "nbgrader-ps1"


def _need_bubblewrap() -> None:
    if not Path(BWRAP).exists():
        pytest.skip(f"bubblewrap ({BWRAP}) is not installed: the engine refuses to grade without a sandbox")


@pytest.fixture(scope="session")
def pool() -> Iterator[Pool]:
    """A warm slot with the default sandbox (bwrap-root here) shared by the session's tests."""
    _need_bubblewrap()
    engine_pool = Pool(size=1)
    yield engine_pool
    engine_pool.close()


@pytest.fixture(scope="session")
def light_pool() -> Iterator[Pool]:
    """A sandbox slot that preloads only numpy and IPython (faster to start) for generated assignments."""
    _need_bubblewrap()
    engine_pool = Pool(size=1, preload=("numpy", "IPython"))
    yield engine_pool
    engine_pool.close()


@pytest.fixture(scope="session")
def compat() -> Path:
    if not (COMPAT / "EXPECTED.json").is_file():
        pytest.skip(f"the nbgrader compat corpus is not available at {COMPAT} (it lives in ../shared)")
    return COMPAT


def code_cell(
    source: str,
    *,
    gid: str | None = None,
    grade: bool = False,
    solution: bool = False,
    locked: bool = False,
    points: float | None = None,
) -> dict[str, Any]:
    cell: dict[str, Any] = {
        "cell_type": "code",
        "metadata": {},
        "source": source,
        "outputs": [],
        "execution_count": None,
    }
    if gid is not None:
        meta: dict[str, Any] = {
            "grade": grade,
            "grade_id": gid,
            "locked": locked,
            "solution": solution,
            "schema_version": 3,
        }
        if points is not None:
            meta["points"] = points
        cell["metadata"]["nbgrader"] = meta
    return cell


def notebook(cells: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    }


def write_assignment(folder: Path, cells: list[dict[str, Any]], *, stem: str = "hw", toml: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stem}.ipynb").write_text(json.dumps(notebook(cells)))
    if toml:
        (folder / "assignment.toml").write_text(toml)
    return folder
