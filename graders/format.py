"""nbgrader notebook format: cell metadata (schema 3), markers and checksums.

This module is the single place that knows how nbgrader marks up a notebook:

* ``metadata.nbgrader`` with ``grade``, ``solution``, ``locked``, ``task``, ``grade_id`` and ``points``;
* the ``### BEGIN SOLUTION`` / ``### END SOLUTION`` and ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``
  regions, matched as substrings of a line exactly as nbgrader 0.9.6 does (so ``# BEGIN SOLUTION`` works too);
* nbgrader's MD5 cell checksum, so that "an unchanged solution scores 0" compares like nbgrader does.

Notebooks are handled as plain JSON dicts (nbformat 4); nothing here executes code.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path
from typing import Any

BEGIN_SOLUTION = "BEGIN SOLUTION"
END_SOLUTION = "END SOLUTION"
BEGIN_HIDDEN = "BEGIN HIDDEN TESTS"
END_HIDDEN = "END HIDDEN TESTS"
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"
GRADE_ID_RE = re.compile(r"^[a-zA-Z0-9_\-]+$")
MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024

ERR_NOT_JSON = "{name} is not a valid notebook (not JSON): {detail}"
ERR_NOT_NOTEBOOK = "{name} is not an nbformat 4 notebook"
ERR_TOO_BIG = "{name} is larger than {limit} bytes"
ERR_NESTED = "cell {cell}: nested '{marker}' regions"
ERR_UNCLOSED = "cell {cell}: '{marker}' region is never closed"
ERR_SOLUTION_OUTSIDE = "cell {cell}: solution region in a cell that is not a solution cell"
ERR_HIDDEN_OUTSIDE = "cell {cell}: hidden-test region in a cell that is not a grade cell"
ERR_BAD_GRADE_ID = "cell {cell}: grade_id {grade_id!r} is missing or invalid"
ERR_DUPLICATE_ID = "grade_id {grade_id!r} is used by more than one cell"
ERR_BAD_POINTS = "cell {cell}: grade cell {grade_id!r} has invalid points {points!r}"


class FormatError(ValueError):
    """A notebook or cell that does not follow the nbgrader format."""


Notebook = dict[str, Any]
Cell = dict[str, Any]


def cell_source(cell: Cell) -> str:
    """The cell's source as one string (nbformat allows a list of lines)."""
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def nbgrader_meta(cell: Cell) -> dict[str, Any] | None:
    meta = cell.get("metadata")
    if not isinstance(meta, dict):
        return None
    nbg = meta.get("nbgrader")
    return nbg if isinstance(nbg, dict) else None


def is_grade(cell: Cell) -> bool:
    nbg = nbgrader_meta(cell)
    return bool(nbg and nbg.get("grade", False))


def is_solution(cell: Cell) -> bool:
    nbg = nbgrader_meta(cell)
    return bool(nbg and nbg.get("solution", False))


def is_task(cell: Cell) -> bool:
    nbg = nbgrader_meta(cell)
    return bool(nbg and nbg.get("task", False))


def is_locked(cell: Cell) -> bool:
    """nbgrader's rule: solution cells are never locked, grade cells always are."""
    nbg = nbgrader_meta(cell)
    if not nbg:
        return False
    if is_solution(cell):
        return False
    if is_grade(cell):
        return True
    return bool(nbg.get("locked", False))


TEST_CELL = "test"  # an autograded test: a grade cell that is neither a solution nor a task
MANUAL_CELL = "manual"  # graded by hand: a manually graded answer (grade and solution) or a task


def graded_kind(*, grade: bool, solution: bool, task: bool) -> str | None:
    """How an nbgrader cell is graded, from its flags: TEST_CELL, MANUAL_CELL, or None (no points of its own)."""
    if task or (grade and solution):
        return MANUAL_CELL
    if grade:
        return TEST_CELL
    return None


def cell_graded_kind(cell: Cell) -> str | None:
    """`graded_kind` of a notebook cell."""
    return graded_kind(grade=is_grade(cell), solution=is_solution(cell), task=is_task(cell))


def grade_id(cell: Cell) -> str | None:
    nbg = nbgrader_meta(cell)
    if not nbg:
        return None
    gid = nbg.get("grade_id")
    return gid if isinstance(gid, str) else None


def points(cell: Cell) -> float:
    nbg = nbgrader_meta(cell) or {}
    try:
        value = float(nbg.get("points", 0) or 0)
    except (TypeError, ValueError):
        return 0.0
    return value


def compute_checksum(cell: Cell) -> str:
    """nbgrader's ``utils.compute_checksum``: MD5 of source, type, flags, id and points."""
    m = hashlib.md5(usedforsecurity=False)
    m.update(cell_source(cell).encode("utf-8"))
    m.update(str(cell.get("cell_type", "")).encode("utf-8"))
    m.update(str(is_grade(cell)).encode("utf-8"))
    m.update(str(is_solution(cell)).encode("utf-8"))
    m.update(str(is_locked(cell)).encode("utf-8"))
    m.update(str(grade_id(cell) or "").encode("utf-8"))
    if is_grade(cell):
        m.update(str(points(cell)).encode("utf-8"))
    return m.hexdigest()


def _scan_regions(
    source: str, *, begin: str, end: str, where: int
) -> tuple[list[str], list[tuple[int, int]]]:
    """Split into lines and find [start, stop] line spans of begin/end regions (nbgrader's rules)."""
    lines = source.split("\n")
    spans: list[tuple[int, int]] = []
    start: int | None = None
    for number, line in enumerate(lines):
        if begin in line:
            if start is not None:
                raise FormatError(ERR_NESTED.format(cell=where, marker=begin))
            start = number
        elif end in line and start is not None:
            spans.append((start, number))
            start = None
    if start is not None:
        raise FormatError(ERR_UNCLOSED.format(cell=where, marker=begin))
    return lines, spans


def replace_solution_regions(cell: Cell, *, where: int) -> tuple[str, bool]:
    """The source with solution regions replaced by nbgrader's stub; and whether a region was found."""
    source = cell_source(cell)
    lines, spans = _scan_regions(source, begin=BEGIN_SOLUTION, end=END_SOLUTION, where=where)
    stub = CODE_STUB if cell.get("cell_type") == "code" else TEXT_STUB
    out: list[str] = []
    skip_until = -1
    starts = dict(spans)
    for number, line in enumerate(lines):
        if number <= skip_until:
            continue
        if number in starts:
            indent = re.match(r"\s*", line).group(0)  # type: ignore[union-attr]
            out.extend(indent + stub_line for stub_line in stub.split("\n"))
            skip_until = starts[number]
            continue
        if END_SOLUTION in line:
            continue  # a stray END marker is dropped, as nbgrader does
        out.append(line)
    return "\n".join(out), bool(spans)


def remove_hidden_regions(source: str, *, where: int) -> tuple[str, bool]:
    """The source without hidden-test regions (marker lines included); and whether one was found."""
    lines, spans = _scan_regions(source, begin=BEGIN_HIDDEN, end=END_HIDDEN, where=where)
    hidden: set[int] = set()
    for start, stop in spans:
        hidden.update(range(start, stop + 1))
    kept = [line for n, line in enumerate(lines) if n not in hidden and END_HIDDEN not in line]
    return "\n".join(kept), bool(spans)


def has_marker(source: str, marker: str) -> bool:
    return any(marker in line for line in source.split("\n"))


def load_json(raw: bytes) -> Any:
    """A notebook file's JSON: UTF-8, with or without a byte-order mark (as Jupyter reads it)."""
    return json.loads(raw.decode("utf-8-sig"))


def parse_notebook(raw: bytes, *, name: str) -> Notebook:
    """Parse and minimally validate an nbformat 4 notebook given as bytes."""
    if len(raw) > MAX_NOTEBOOK_BYTES:
        raise FormatError(ERR_TOO_BIG.format(name=name, limit=MAX_NOTEBOOK_BYTES))
    try:
        nb = load_json(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise FormatError(ERR_NOT_JSON.format(name=name, detail=str(exc)[:200])) from exc
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list) or nb.get("nbformat") != 4:
        raise FormatError(ERR_NOT_NOTEBOOK.format(name=name))
    for cell in nb["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise FormatError(ERR_NOT_NOTEBOOK.format(name=name))
        if not isinstance(cell.get("metadata", {}), dict):
            cell["metadata"] = {}
        src = cell.get("source", "")
        if not (isinstance(src, str) or (isinstance(src, list) and all(isinstance(s, str) for s in src))):
            raise FormatError(ERR_NOT_NOTEBOOK.format(name=name))
    return nb


def read_notebook(path: Path) -> Notebook:
    return parse_notebook(path.read_bytes(), name=path.name)


def validate_source_notebook(nb: Notebook) -> None:
    """Check an instructor notebook the way nbgrader's generate_assignment would refuse it."""
    seen: set[str] = set()
    for index, cell in enumerate(nb["cells"]):
        source = cell_source(cell)
        if nbgrader_meta(cell) is not None and (
            is_grade(cell) or is_solution(cell) or is_locked(cell) or is_task(cell)
        ):
            gid = grade_id(cell)
            if not gid or not GRADE_ID_RE.match(gid):
                raise FormatError(ERR_BAD_GRADE_ID.format(cell=index, grade_id=gid))
            if gid in seen:
                raise FormatError(ERR_DUPLICATE_ID.format(grade_id=gid))
            seen.add(gid)
        if is_grade(cell) or is_task(cell):
            raw = (nbgrader_meta(cell) or {}).get("points")
            try:
                value = float(raw) if raw is not None else -1.0
            except (TypeError, ValueError):
                value = -1.0
            if not value >= 0 or value != value or value == float("inf"):
                raise FormatError(ERR_BAD_POINTS.format(cell=index, grade_id=grade_id(cell), points=raw))
        _, solution_found = replace_solution_regions(cell, where=index)
        if solution_found and not is_solution(cell):
            raise FormatError(ERR_SOLUTION_OUTSIDE.format(cell=index))
        _, hidden_found = remove_hidden_regions(source, where=index)
        if hidden_found and not is_grade(cell):
            raise FormatError(ERR_HIDDEN_OUTSIDE.format(cell=index))


def clean_cell(cell: Cell) -> Cell:
    """A deep copy with outputs cleared (code cells) and the source as one string."""
    out = copy.deepcopy(cell)
    out["source"] = cell_source(cell)
    if out.get("cell_type") == "code":
        out["outputs"] = []
        out["execution_count"] = None
    else:
        out.pop("outputs", None)
        out.pop("execution_count", None)
    return out


def notebook_stems(folder: Path) -> dict[str, Path]:
    """Notebook files directly in ``folder`` keyed by stem (checkpoints and hidden files skipped)."""
    return {
        p.stem: p
        for p in sorted(folder.glob("*.ipynb"))
        if p.is_file() and not p.name.startswith(".") and not p.is_symlink()
    }
