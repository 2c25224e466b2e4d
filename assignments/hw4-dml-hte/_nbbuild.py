"""Write an nbgrader source notebook and its wrong-submission mutants from a list of cell specs.

An assignment's ``build.py`` describes its notebook as a list of ``Markdown``, ``Locked``, ``Solution``,
``Tests`` and ``Written`` cells and a list of ``Mutant`` objects, then calls ``write_assignment``. That writes

* ``source/<stem>.ipynb``: the instructor version (nbgrader cell metadata schema 3, ``### BEGIN SOLUTION``
  regions, ``### BEGIN HIDDEN TESTS`` regions in grade cells, written answers as manually graded markdown);
* ``mutants/<name>/<stem>.ipynb``: the student version (same cells and nbgrader metadata, hidden tests
  removed) with every solution region filled in by the reference body, except the bodies the mutant
  replaces with wrong code;
* ``mutants/<name>/expect.json``: ``{"fails": [grade ids the mutant must lose], "description": ...}``.

Each assignment directory carries its own copy of this module so that it stays self-contained when a
course keeps its assignments outside the repository.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"


@dataclass(frozen=True)
class Markdown:
    """Read-only context text."""

    cell_id: str
    text: str


@dataclass(frozen=True)
class Locked:
    """Code students cannot change (imports, data generation); restored from the source when grading."""

    cell_id: str
    code: str


@dataclass(frozen=True)
class Solution:
    """``head`` + solution region (``body`` indented by ``indent`` spaces) + ``tail``."""

    cell_id: str
    head: str
    body: str
    tail: str = ""
    indent: int = 4


@dataclass(frozen=True)
class Tests:
    """An auto-graded cell: visible asserts, then hidden asserts that decide."""

    cell_id: str
    points: float
    visible: str
    hidden: str = ""


@dataclass(frozen=True)
class Written:
    """A manually graded written answer.

    ``model_answer`` is the grading guide kept in the source only; ``sample_answer`` is what the mutants
    (complete student submissions) write in the cell, so that it is left for manual grading.
    """

    cell_id: str
    points: float
    model_answer: str
    sample_answer: str = "The estimates printed above agree with the theory discussed in the notes."


@dataclass(frozen=True)
class Mutant:
    """A plausible wrong submission: replacement bodies for some solution cells."""

    name: str
    description: str
    fails: Sequence[str]
    bodies: Mapping[str, str] = field(default_factory=dict)


Cell = Markdown | Locked | Solution | Tests | Written


def _clean(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def _meta(*, grade_id: str, grade: bool, solution: bool, locked: bool, points: float | None) -> dict:
    meta: dict = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _solution_source(cell: Solution, *, body: str, markers: bool) -> str:
    pad = " " * cell.indent
    lines = [_clean(cell.head)] if cell.head.strip() else []
    inner = textwrap.indent(_clean(body), pad)
    if markers:
        lines += [pad + BEGIN_SOLUTION, inner, pad + END_SOLUTION]
    else:
        lines.append(inner)
    if cell.tail.strip():
        lines.append(_clean(cell.tail))
    return "\n".join(lines)


def _to_cell(cell: Cell) -> NotebookNode:
    if isinstance(cell, Markdown):
        out = new_markdown_cell(_clean(cell.text))
    elif isinstance(cell, Locked):
        out = new_code_cell(_clean(cell.code))
        out.metadata.update(
            _meta(grade_id=cell.cell_id, grade=False, solution=False, locked=True, points=None)
        )
    elif isinstance(cell, Solution):
        out = new_code_cell(_solution_source(cell, body=cell.body, markers=True))
        out.metadata.update(
            _meta(grade_id=cell.cell_id, grade=False, solution=True, locked=False, points=None)
        )
    elif isinstance(cell, Tests):
        source = _clean(cell.visible)
        if cell.hidden.strip():
            source += "\n\n" + "\n".join([BEGIN_HIDDEN, _clean(cell.hidden), END_HIDDEN])
        out = new_code_cell(source)
        out.metadata.update(
            _meta(grade_id=cell.cell_id, grade=True, solution=False, locked=True, points=cell.points)
        )
    else:
        out = new_markdown_cell(_clean(cell.model_answer))
        out.metadata.update(
            _meta(grade_id=cell.cell_id, grade=True, solution=True, locked=False, points=cell.points)
        )
    out["id"] = cell.cell_id.replace("_", "-")
    return out


def build_source(cells: Sequence[Cell]) -> NotebookNode:
    """The instructor notebook (with solutions and hidden tests)."""
    ids = [c.cell_id for c in cells]
    if len(ids) != len(set(ids)):
        raise ValueError(f"duplicate cell ids: {sorted({i for i in ids if ids.count(i) > 1})}")
    nb = new_notebook(cells=[_to_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def build_mutant(cells: Sequence[Cell], mutant: Mutant) -> NotebookNode:
    """A complete student submission: the released notebook with every solution filled in.

    Cells and their nbgrader metadata are the source's; grade cells keep only their visible tests; each
    solution region holds the reference body, or the mutant's wrong body where it has one; written answers
    hold the cell's ``sample_answer``.
    """
    solutions = {c.cell_id for c in cells if isinstance(c, Solution)}
    unknown = set(mutant.bodies) - solutions
    if unknown:
        raise ValueError(f"mutant {mutant.name} replaces unknown solution cells {sorted(unknown)}")
    nb = build_source(cells)
    for spec, cell in zip(cells, nb.cells, strict=True):
        if isinstance(spec, Solution):
            body = mutant.bodies.get(spec.cell_id, spec.body)
            cell.source = _solution_source(spec, body=body, markers=False)
        elif isinstance(spec, Tests):
            cell.source = _clean(spec.visible)
        elif isinstance(spec, Written):
            cell.source = _clean(spec.sample_answer)
    return nb


def write_assignment(
    *,
    root: Path,
    stem: str,
    cells: Sequence[Cell],
    mutants: Sequence[Mutant],
    assignment_toml: str,
) -> None:
    """Write source/, source/assignment.toml and mutants/ under ``root`` (mutants/ is rebuilt from scratch)."""
    graded = {c.cell_id for c in cells if isinstance(c, Tests | Written)}
    source_dir = root / "source"
    source_dir.mkdir(parents=True, exist_ok=True)
    source = build_source(cells)
    nbformat.validate(source)
    nbformat.write(source, source_dir / f"{stem}.ipynb")
    (source_dir / "assignment.toml").write_text(_clean(assignment_toml) + "\n")
    mutants_dir = root / "mutants"
    if mutants_dir.exists():
        shutil.rmtree(mutants_dir)
    for mutant in mutants:
        missing = set(mutant.fails) - graded
        if missing:
            raise ValueError(f"mutant {mutant.name} expects unknown grade ids {sorted(missing)}")
        out = mutants_dir / mutant.name
        out.mkdir(parents=True)
        nbformat.write(build_mutant(cells, mutant), out / f"{stem}.ipynb")
        expect = {"fails": sorted(mutant.fails), "description": mutant.description}
        (out / "expect.json").write_text(json.dumps(expect, indent=2) + "\n")
