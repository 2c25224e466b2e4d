"""A deliberately naive in-process grader, used as a control: it shows each attack really forges a pass.

It runs the student's cells and the instructor's test cells one after another in one IPython shell (what nbgrader
does, minus the kernel), and counts a test cell as passed when IPython reports it ran without an error. If an
attack does not fool this runner, the corresponding engine test proves nothing, so the suite checks that it does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import nbformat
from nbformat import NotebookNode

RUNNER = r"""
import json, os, signal, sys
import IPython.core.interactiveshell
for name in sys.argv[2:]:
    __import__(name)  # warm the libraries once; every case runs in a fresh fork
jobs = json.load(sys.stdin)
out_fd = int(sys.argv[1])
for case, cells in jobs:
    pid = os.fork()
    if pid == 0:
        out = os.fdopen(out_fd, "w")
        shell = IPython.core.interactiveshell.InteractiveShell.instance()
        for grade_id, source in cells:
            result = shell.run_cell(source, store_history=True)
            if grade_id:
                out.write(json.dumps([case, grade_id, bool(result.success)]) + "\n")
                out.flush()
        os._exit(0)
    signal.alarm(120)
    os.waitpid(pid, 0)
    signal.alarm(0)
"""


def graded_cells(*, source: NotebookNode, submission: NotebookNode) -> list[tuple[str | None, str]]:
    """The submission's cells in order, with grade and locked cells taken from the source by grade_id."""
    by_id = {
        c.metadata["nbgrader"]["grade_id"]: c
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("locked") and c.cell_type == "code"
    }
    cells: list[tuple[str | None, str]] = []
    for cell in submission.cells:
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        grade_id = meta.get("grade_id")
        if grade_id in by_id:
            cells.append((grade_id if meta.get("grade") else None, by_id[grade_id].source))
        else:
            cells.append((None, cell.source))
    return cells


def naive_run(
    *, jobs: Mapping[str, tuple[Path, Path]], preload: Sequence[str] = ("numpy",), timeout: float = 600.0
) -> dict[str, dict[str, bool]]:
    """Grade notebooks the naive way, each in a fork of one warm interpreter.

    `jobs` maps a case name to (source notebook, submission notebook); returns case -> grade_id -> passed
    (cells never reached are absent).
    """
    payload = []
    for case, (source_path, submission_path) in jobs.items():
        source = nbformat.read(source_path, as_version=4)
        submission = nbformat.read(submission_path, as_version=4)
        payload.append([case, graded_cells(source=source, submission=submission)])
    read_fd, write_fd = os.pipe()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-c", RUNNER, str(write_fd), *preload],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(write_fd,),
            start_new_session=True,
        )
    finally:
        os.close(write_fd)
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(payload).encode())
    proc.stdin.close()
    with os.fdopen(read_fd) as results:
        lines = results.read().splitlines()
    proc.wait(timeout=timeout)
    outcome: dict[str, dict[str, bool]] = {case: {} for case in jobs}
    for line in lines:
        try:
            case, grade_id, passed = json.loads(line)
        except (ValueError, TypeError):
            continue  # an attack wrote junk into the channel
        if case in outcome and isinstance(grade_id, str) and grade_id not in outcome[case]:
            outcome[case][grade_id] = bool(passed)
    return outcome
