"""The feedback notebook a student sees: their cells with outputs, tests with a verdict, no hidden source.

Every cell shows its visible source (a test cell shows its released version, without hidden tests). Outputs
are those of the student's cells and of tests without hidden parts; a test with hidden parts shows only
"passed"/"failed". A failed or errored test also gets an ``error`` output: the exception and the traceback
lines of the test's visible part and of the student's code, rebuilt on the host without any hidden line,
message or value (graders/tracebacks.py). Each graded cell carries ``metadata.grader`` with its score, max
score, status, message and that traceback.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from graders import format as fmt
from graders.plan import NotebookPlan, SourceNotebook
from graders.protocol import NotebookRun
from graders.results import CellResult


def _verdict_output(result: CellResult) -> dict[str, Any]:
    text = f"[grader] {result.status}: {result.score if result.score is not None else '-'} / {result.max_score:g}"
    if result.message:
        text += f" ({result.message})"
    return {"output_type": "stream", "name": "stdout", "text": text + "\n"}


def _error_output(result: CellResult) -> dict[str, Any]:
    """The test's exception as an nbformat error output, from the filtered traceback (graders/tracebacks.py)."""
    final = result.traceback[-1]
    ename = re.match(r"[\w.]*", final).group(0)  # type: ignore[union-attr]  # always matches
    evalue = final[len(ename) + 2 :] if final.startswith(f"{ename}: ") else ""
    return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": list(result.traceback)}


def _clean_outputs(outputs: list[Any]) -> list[dict[str, Any]]:
    clean: list[dict[str, Any]] = []
    for output in outputs:
        if isinstance(output, dict) and output.get("output_type") in (
            "stream",
            "display_data",
            "execute_result",
            "error",
        ):
            clean.append(output)
    return clean


def build_feedback(
    *,
    plan: NotebookPlan,
    run: NotebookRun | None,
    results: dict[str, CellResult],
    source: SourceNotebook,
) -> dict[str, Any]:
    """An nbformat 4 notebook for the student."""
    base = source.released
    notebook: dict[str, Any] = {
        "nbformat": 4,
        "nbformat_minor": int(base.get("nbformat_minor", 5)),
        "metadata": copy.deepcopy(base.get("metadata", {})),
        "cells": [],
    }
    if plan.missing or plan.error or run is None:
        for cell in base["cells"]:
            cell = copy.deepcopy(cell)
            gid = fmt.grade_id(cell)
            if gid in results:
                cell["metadata"]["grader"] = results[gid].to_json()
            notebook["cells"].append(cell)
        return notebook
    for pc in plan.cells:
        cell = copy.deepcopy(pc.cell)
        sc = pc.source_cell
        result = results.get(pc.grade_id) if pc.grade_id else None
        if pc.kind == "test" and sc is not None:
            cell["source"] = sc.release_source
            record = run.tests.get(pc.index) or {}
            outputs: list[dict[str, Any]] = []
            if not sc.has_hidden:
                outputs = _clean_outputs(list(record.get("outputs") or []))
            if result is not None and result.traceback:
                outputs.append(_error_output(result))
            if result is not None:
                outputs.append(_verdict_output(result))
            cell["outputs"] = outputs
        elif cell.get("cell_type") == "code":
            record = run.cells.get(pc.index) or {}
            cell["outputs"] = _clean_outputs(list(record.get("outputs") or []))
            cell["execution_count"] = record.get("count")
            if pc.index in run.timeouts:
                cell["outputs"].append(
                    {
                        "output_type": "stream",
                        "name": "stderr",
                        "text": "[grader] the cell hit the time limit\n",
                    }
                )
        if result is not None:
            cell.setdefault("metadata", {})["grader"] = result.to_json()
        if sc is not None and sc.locked and pc.kind != "test":
            cell["source"] = sc.release_source
        notebook["cells"].append(cell)
    return notebook
