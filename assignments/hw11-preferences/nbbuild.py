"""Build an nbgrader source notebook, its mutant submissions and their expect.json files from cell specs.

An assignment's ``build.py`` lists its cells with the constructors below (``markdown``, ``locked``,
``solution``, ``tests``, ``answer``) and its mutants with :class:`Mutant`, then calls
:func:`write_assignment`. The source notebook uses nbgrader 0.9.6's cell metadata (schema_version 3):

- solution cells hold exactly one ``### BEGIN SOLUTION`` / ``### END SOLUTION`` region;
- test cells are locked, graded and may hold one ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS`` region;
- written answers are Markdown cells with ``solution`` and ``grade`` set (graded by hand).

A mutant is what a student would hand in: the released notebook (solution regions cleared, hidden tests
removed) with every solution region filled in, by the reference code except for the regions the mutant
replaces. Only solution regions differ between a mutant and the reference. Cell ids are fixed, so running
the build twice gives byte-identical files.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
TEXT_STUB = "YOUR ANSWER HERE"


@dataclass(frozen=True)
class Cell:
    """One notebook cell: ``kind`` is markdown, locked, solution, tests or answer."""

    kind: str
    cell_id: str
    source: str
    points: float = 0.0


@dataclass(frozen=True)
class Mutant:
    """A plausible wrong submission: region bodies to replace and the grade ids it must lose."""

    name: str
    description: str
    fills: Mapping[str, str]
    fails: Sequence[str]
    answers: Mapping[str, str] = field(default_factory=dict)


def _clean(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def markdown(cell_id: str, text: str) -> Cell:
    """A read-only Markdown cell (context, instructions)."""
    return Cell(kind="markdown", cell_id=cell_id, source=_clean(text))


def locked(cell_id: str, code: str) -> Cell:
    """A locked code cell (imports, data generation, demonstrations)."""
    return Cell(kind="locked", cell_id=cell_id, source=_clean(code))


def solution(cell_id: str, code: str) -> Cell:
    """A code cell the student completes; it must contain exactly one solution region."""
    source = _clean(code)
    if source.count(BEGIN_SOLUTION) != 1 or source.count(END_SOLUTION) != 1:
        raise ValueError(f"solution cell {cell_id} needs exactly one solution region")
    return Cell(kind="solution", cell_id=cell_id, source=source)


def tests(cell_id: str, points: float, code: str) -> Cell:
    """An auto-graded test cell: visible asserts, then an optional hidden-tests region."""
    source = _clean(code)
    if source.count(BEGIN_HIDDEN) != source.count(END_HIDDEN) or source.count(BEGIN_HIDDEN) > 1:
        raise ValueError(f"test cell {cell_id} has unbalanced hidden-test markers")
    return Cell(kind="tests", cell_id=cell_id, source=source, points=points)


def answer(cell_id: str, points: float, text: str) -> Cell:
    """A written answer graded by hand; ``text`` is the model answer kept in the source notebook."""
    return Cell(kind="answer", cell_id=cell_id, source=_clean(text), points=points)


def _split_region(source: str, begin: str, end: str) -> tuple[list[str], list[str], list[str], str]:
    """Return (lines before, region body lines, lines after, indentation of the begin line)."""
    lines = source.split("\n")
    start = next(i for i, line in enumerate(lines) if begin in line)
    stop = next(i for i, line in enumerate(lines) if end in line)
    indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
    return lines[:start], lines[start + 1 : stop], lines[stop + 1 :], indent


def _metadata(cell: Cell) -> dict[str, object]:
    flags = {
        "markdown": (False, False, True),
        "locked": (False, False, True),
        "solution": (True, False, False),
        "tests": (False, True, True),
        "answer": (True, True, False),
    }[cell.kind]
    meta: dict[str, object] = {
        "schema_version": 3,
        "solution": flags[0],
        "grade": flags[1],
        "locked": flags[2],
        "grade_id": cell.cell_id,
        "task": False,
    }
    if flags[1]:
        meta["points"] = cell.points
    return {"nbgrader": meta}


def _student_source(cell: Cell, fills: Mapping[str, str], answers: Mapping[str, str]) -> str:
    if cell.kind == "solution":
        before, body, after, indent = _split_region(cell.source, BEGIN_SOLUTION, END_SOLUTION)
        if cell.cell_id in fills:
            body = [indent + line if line else "" for line in _clean(fills[cell.cell_id]).split("\n")]
        return "\n".join([*before, *body, *after])
    if cell.kind == "tests" and BEGIN_HIDDEN in cell.source:
        before, _hidden, after, _indent = _split_region(cell.source, BEGIN_HIDDEN, END_HIDDEN)
        return "\n".join([*before, *after]).rstrip("\n")
    if cell.kind == "answer":
        return _clean(answers.get(cell.cell_id, TEXT_STUB))
    return cell.source


def _notebook(cells: Sequence[Cell], sources: Sequence[str]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for cell, source in zip(cells, sources, strict=True):
        if cell.kind in {"markdown", "answer"}:
            node = nbformat.v4.new_markdown_cell(source=source, metadata=_metadata(cell))
        else:
            node = nbformat.v4.new_code_cell(source=source, metadata=_metadata(cell))
        node.id = cell.cell_id
        nb.cells.append(node)
    nbformat.validate(nb)
    return nb


def source_notebook(cells: Sequence[Cell]) -> nbformat.NotebookNode:
    """The instructor's notebook, with solutions, hidden tests and model answers."""
    return _notebook(cells, [cell.source for cell in cells])


def submission_notebook(
    cells: Sequence[Cell], *, fills: Mapping[str, str], answers: Mapping[str, str]
) -> nbformat.NotebookNode:
    """A student's filled-in notebook: reference bodies except where ``fills`` replaces them."""
    unknown = set(fills) - {cell.cell_id for cell in cells if cell.kind == "solution"}
    if unknown:
        raise ValueError(f"fills name cells that are not solution cells: {sorted(unknown)}")
    return _notebook(cells, [_student_source(cell, fills, answers) for cell in cells])


def write_assignment(
    *,
    root: Path,
    stem: str,
    cells: Sequence[Cell],
    mutants: Sequence[Mutant],
    assignment_toml: str,
) -> None:
    """Write ``source/<stem>.ipynb``, ``source/assignment.toml`` and ``mutants/<name>/``."""
    ids = [cell.cell_id for cell in cells]
    if len(ids) != len(set(ids)):
        raise ValueError("cell ids must be unique")
    graded = {cell.cell_id for cell in cells if cell.kind in {"tests", "answer"}}
    source_dir = root / "source"
    source_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(source_notebook(cells), source_dir / f"{stem}.ipynb")
    (source_dir / "assignment.toml").write_text(_clean(assignment_toml) + "\n")
    mutants_dir = root / "mutants"
    if mutants_dir.exists():
        shutil.rmtree(mutants_dir)
    for mutant in mutants:
        if not set(mutant.fails) <= graded:
            raise ValueError(f"mutant {mutant.name} expects unknown grade ids")
        out = mutants_dir / mutant.name
        out.mkdir(parents=True)
        nb = submission_notebook(cells, fills=mutant.fills, answers=mutant.answers)
        nbformat.write(nb, out / f"{stem}.ipynb")
        expect = {"description": mutant.description, "fails": sorted(mutant.fails)}
        (out / "expect.json").write_text(json.dumps(expect, indent=2) + "\n")
