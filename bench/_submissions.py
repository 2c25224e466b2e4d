"""Submissions for the benchmarks, built from a course assignment folder (shared by the bench scripts).

An assignment folder is `assignments/<name>/` with the instructor's notebooks and files in `source/` and, where
the course has them, wrong submissions in `mutants/<mutant>/<stem>.ipynb` (a folder holding the notebooks
directly, like a test fixture, also works). From it this module builds:

* a right submission (`perfect_notebook`): the released notebook with the source notebook's solution cells
  (markers and all) in place of the stubs, made distinct by a comment so that no two uploads are duplicates;
* a wrong submission (`mutant_notebook`): the released notebook with a mutant's solution cells;
* `mixed_submissions`: N students' notebooks, right and wrong in turn;
* `pass_copy`: the source notebook with every solution region's body and every test cell's body replaced by
  `pass`, for measuring what the engine costs per submission when the student's cells and tests cost nothing.

  What the pass copy keeps: every cell, in order, with its metadata (grade ids, points, locked, solution,
  grade), the markdown unchanged (manual answers included), the code outside the solution markers of a solution
  cell (the `def` line and its docstring). In every other code cell (setup, data, helpers, demos) it keeps the
  top-level imports and the function and class definitions, and drops every other statement (`pass` where
  nothing is left). The imports stay because what is loaded is part of the engine's cost: its warm slot
  preloads the source's imports, and each submission runs (and its snapshot is checked) with them in memory;
  a copy without them would measure a bare interpreter. The data generation and the demos go: they are the
  assignment's own work (the demos also call the students' functions, which return None in the copy).

Notebooks are plain dicts (`nbformat.NotebookNode` is one), so JSON read with `json.loads` works too.
"""

from __future__ import annotations

import ast
import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
_REGION = re.compile(r"^([ \t]*)### BEGIN SOLUTION[^\n]*\n.*?^[ \t]*### END SOLUTION[^\n]*$", re.M | re.S)
KEPT_STATEMENTS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)

Notebook = dict[str, Any]


def _nbgrader(cell: Mapping[str, Any]) -> dict[str, Any]:
    return (cell.get("metadata") or {}).get("nbgrader") or {}


def _text(source: str | list[str]) -> str:
    return "".join(source) if isinstance(source, list) else source


@dataclass(frozen=True)
class AssignmentFolder:
    """A course assignment: its source folder, notebooks (stem -> notebook) and wrong submissions."""

    name: str
    source: Path
    notebooks: dict[str, Notebook]
    mutants: dict[str, dict[str, Notebook]]  # mutant -> stem -> notebook

    @property
    def files(self) -> dict[str, Path]:
        """The source folder's other files (assignment.toml, data), relative name -> path."""
        return {
            str(p.relative_to(self.source)): p
            for p in sorted(self.source.rglob("*"))
            if p.is_file() and p.suffix != ".ipynb" and ".ipynb_checkpoints" not in p.parts
        }


def read_assignment(folder: Path) -> AssignmentFolder:
    """Read `folder/source/*.ipynb` (or `folder/*.ipynb`) and `folder/mutants/*/<stem>.ipynb`."""
    folder = Path(folder).resolve()
    source = folder / "source" if (folder / "source").is_dir() else folder
    notebooks = {p.stem: nbformat.read(p, as_version=4) for p in sorted(source.glob("*.ipynb"))}
    if not notebooks:
        raise SystemExit(f"{folder}: no notebook in {source}")
    mutants: dict[str, dict[str, Notebook]] = {}
    for mutant in sorted(p for p in (folder / "mutants").glob("*") if p.is_dir()):
        mutants[mutant.name] = {
            stem: nbformat.read(mutant / f"{stem}.ipynb", as_version=4)
            for stem in notebooks
            if (mutant / f"{stem}.ipynb").is_file()
        }
    return AssignmentFolder(name=folder.name, source=source, notebooks=notebooks, mutants=mutants)


def solution_sources(nb: Mapping[str, Any]) -> dict[str, str]:
    """grade id -> source of every solution cell."""
    return {
        meta["grade_id"]: _text(cell["source"])
        for cell in nb["cells"]
        if (meta := _nbgrader(cell)).get("solution") and meta.get("grade_id")
    }


def with_solutions(released_nb: Mapping[str, Any], solutions: Mapping[str, str], *, tag: str) -> Notebook:
    """The released notebook with these solution cells' sources; the first code solution ends in `# tag`."""
    nb = copy.deepcopy(dict(released_nb))
    tagged = False
    for cell in nb["cells"]:
        meta = _nbgrader(cell)
        gid = meta.get("grade_id")
        if not meta.get("solution") or gid not in solutions:
            continue
        cell["source"] = solutions[gid]
        if cell["cell_type"] == "code" and not tagged:
            cell["source"] = f"{solutions[gid]}\n# {tag}"
            tagged = True
    return nb


def perfect_notebook(source_nb: Mapping[str, Any], released_nb: Mapping[str, Any], *, tag: str) -> Notebook:
    """The reference solution: the source's solution cells (markers and all) in the release; made distinct by tag."""
    return with_solutions(released_nb, solution_sources(source_nb), tag=tag)


def mutant_notebook(mutant_nb: Mapping[str, Any], released_nb: Mapping[str, Any], *, tag: str) -> Notebook:
    """A wrong submission: the mutant's solution cells in the release; made distinct by tag."""
    return with_solutions(released_nb, solution_sources(mutant_nb), tag=tag)


def mixed_submissions(
    *, assignment: AssignmentFolder, releases: Mapping[str, Notebook], n: int
) -> dict[str, dict[str, Notebook]]:
    """Student -> stem -> notebook: even students hand in the reference, odd ones the mutants in turn."""
    mutants = list(assignment.mutants.items())
    students: dict[str, dict[str, Notebook]] = {}
    for i in range(n):
        student, tag = f"s{i:03d}", f"student {i:03d}"
        wrong: Mapping[str, Notebook] = mutants[(i // 2) % len(mutants)][1] if mutants and i % 2 else {}
        students[student] = {
            stem: (
                mutant_notebook(wrong[stem], release, tag=tag)
                if stem in wrong
                else perfect_notebook(assignment.notebooks[stem], release, tag=tag)
            )
            for stem, release in releases.items()
        }
    return students


def submission_kinds(*, assignment: AssignmentFolder, n: int) -> list[str]:
    """What `mixed_submissions` hands in, student by student ("reference" or the mutant's name)."""
    names = list(assignment.mutants)
    return ["reference" if not names or i % 2 == 0 else names[(i // 2) % len(names)] for i in range(n)]


def _pass_regions(source: str) -> str:
    """Each solution region's body replaced by `pass` at the marker's indentation; the markers stay."""
    if BEGIN not in source:
        return "pass"
    return _REGION.sub(lambda m: f"{m.group(1)}{BEGIN}\n{m.group(1)}pass\n{m.group(1)}{END}", source)


def _kept_statements(source: str) -> str:
    """Top-level imports and definitions of a cell; `pass` when there are none (or it is not plain Python)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return "pass"
    lines = source.splitlines()
    kept = []
    for node in tree.body:
        if isinstance(node, KEPT_STATEMENTS):
            decorators: Sequence[ast.expr] = getattr(node, "decorator_list", [])
            first = min([node.lineno, *(d.lineno for d in decorators)])
            kept.append("\n".join(lines[first - 1 : node.end_lineno]))
    return "\n".join(kept) if kept else "pass"


def pass_copy(source_nb: Mapping[str, Any]) -> Notebook:
    """The source notebook with solution and test bodies replaced by `pass` (see the module docstring)."""
    nb = copy.deepcopy(dict(source_nb))
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        meta = _nbgrader(cell)
        text = _text(cell["source"])
        if meta.get("solution"):
            cell["source"] = _pass_regions(text)
        elif meta.get("grade"):
            cell["source"] = "pass"
        else:
            cell["source"] = _kept_statements(text)
        cell["outputs"] = []
    return nb
