"""Notebook-level checks for the assignment harness that need no grading engine.

- :func:`solution_region_diff` says where a submission differs from its source outside solution regions
  (a mutant must differ only inside them);
- :func:`run_visible_tests` executes a submission as the student would (hidden tests are not in it) and
  reports which test cells raised;
- :func:`data_fingerprints` runs an assignment's locked data-generation cells under several values of
  ``GRADER_SEED`` in a fresh interpreter and hashes the arrays they create.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CELL_TIMEOUT_S = 600


def _meta(cell: nbformat.NotebookNode) -> dict:
    return dict(cell.metadata.get("nbgrader", {}))


def _drop_region(source: str, begin: str, end: str) -> str:
    lines, out, inside = source.split("\n"), [], False
    for line in lines:
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def solution_region_diff(source_nb: nbformat.NotebookNode, submitted_nb: nbformat.NotebookNode) -> list[str]:
    """Differences between a submission and its source outside solution regions (empty when none)."""
    problems: list[str] = []
    if len(source_nb.cells) != len(submitted_nb.cells):
        return [f"{len(submitted_nb.cells)} cells, source has {len(source_nb.cells)}"]
    for index, (src, sub) in enumerate(zip(source_nb.cells, submitted_nb.cells, strict=True)):
        meta = _meta(src)
        where = f"cell {index} ({meta.get('grade_id', src.cell_type)})"
        if src.cell_type != sub.cell_type or meta != _meta(sub):
            problems.append(f"{where}: type or nbgrader metadata changed")
            continue
        if meta.get("solution") and src.cell_type == "markdown":
            continue  # a written answer: the whole cell is the student's
        if meta.get("solution") and BEGIN_SOLUTION in src.source:
            lines = src.source.split("\n")
            start = next(i for i, line in enumerate(lines) if BEGIN_SOLUTION in line)
            stop = next(i for i, line in enumerate(lines) if END_SOLUTION in line)
            before, after = lines[:start], lines[stop + 1 :]
            got = sub.source.split("\n")
            if got[: len(before)] != before or (after and got[-len(after) :] != after):
                problems.append(f"{where}: code outside the solution region changed")
            continue
        expected = _drop_region(src.source, BEGIN_HIDDEN, END_HIDDEN).rstrip("\n")
        if sub.source.rstrip("\n") != expected:
            problems.append(f"{where}: a locked cell differs from the released version")
    return problems


def run_visible_tests(notebook: Path, *, seed: int = 0, data: Path | None = None) -> dict[str, str | None]:
    """Execute ``notebook`` top to bottom; map each auto-graded test cell's grade id to its error or None.

    ``data``: a source assignment folder whose data files are copied next to the notebook first, as a
    student receives them.
    """
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    env = dict(os.environ, GRADER_SEED=str(seed), MPLBACKEND="Agg")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    with tempfile.TemporaryDirectory() as tmp:
        if data is not None:
            from graders.release import copy_data_files

            copy_data_files(source=data, dest=Path(tmp))
        client = NotebookClient(
            nb,
            timeout=CELL_TIMEOUT_S,
            kernel_name="python3",
            allow_errors=True,
            resources={"metadata": {"path": tmp}},
        )
        client.execute(env=env)
    results: dict[str, str | None] = {}
    for cell in nb.cells:
        meta = _meta(cell)
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            results[meta["grade_id"]] = f"{errors[0]['ename']}: {errors[0]['evalue']}" if errors else None
    return results


def data_cells(nb: nbformat.NotebookNode) -> list[str]:
    """Locked code up to the last cell that reads GRADER_SEED (solution and test cells excluded)."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    last = max((i for i, c in enumerate(code) if "GRADER_SEED" in c.source), default=-1)
    return [c.source for c in code[: last + 1] if not _meta(c).get("solution") and not _meta(c).get("grade")]


_FINGERPRINT_SCRIPT = r"""
import contextlib, hashlib, io, json, os, sys
import numpy as np

cells, seeds = json.load(sys.stdin)
out = {}
for seed in seeds:
    os.environ["GRADER_SEED"] = str(seed)
    ns = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()):
        for source in cells:
            exec(compile(source, "<data cell>", "exec"), ns)
    digest, arrays = hashlib.sha256(), 0
    for name in sorted(ns):
        value = ns[name]
        if type(value).__module__.startswith("torch") and hasattr(value, "detach"):
            value = value.detach().cpu().numpy()
        elif hasattr(value, "to_numpy") and type(value).__module__.startswith("pandas"):
            value = value.to_numpy()
        if isinstance(value, np.ndarray) and value.dtype != object:
            digest.update(name.encode() + np.ascontiguousarray(value).tobytes())
            arrays += 1
    out[str(seed)] = [digest.hexdigest(), arrays]
json.dump(out, sys.stdout)
"""


def data_fingerprints(
    nb: nbformat.NotebookNode, seeds: list[int], *, cwd: Path | None = None
) -> dict[int, tuple[str, int]]:
    """Hash of the arrays the data cells create, per seed, as (sha256, number of arrays hashed).

    ``cwd``: the folder the cells run in (the source folder, for data cells that read shipped files)."""
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.run(
        [sys.executable, "-c", _FINGERPRINT_SCRIPT],
        input=json.dumps([data_cells(nb), seeds]),
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=CELL_TIMEOUT_S,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"data cells failed:\n{proc.stderr[-3000:]}")
    return {int(seed): (digest, count) for seed, (digest, count) in json.loads(proc.stdout).items()}
