"""Build nbgrader-format assignments and student submissions for the adversarial corpus.

The corpus never imports the engine: it writes nbgrader source notebooks (schema 3 metadata, solution regions,
hidden-test regions, points) with nbformat, and builds the student's copy itself the way `nbgrader
generate_assignment` does (solutions replaced, hidden tests removed, outputs cleared, checksums stamped with
nbgrader's own checksum function), then puts the student's code into the solution cells.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbgrader.utils import compute_checksum

SCHEMA_VERSION = 3
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"


@dataclass(frozen=True)
class Cell:
    """One cell of a source notebook; `grade_id` is None for plain cells."""

    kind: str  # "markdown", "code", "locked", "solution", "test", "manual"
    source: str
    grade_id: str | None = None
    points: float = 0.0


def md(source: str) -> Cell:
    return Cell(kind="markdown", source=source)


def locked(grade_id: str, source: str) -> Cell:
    return Cell(kind="locked", source=source, grade_id=grade_id)


def solution(grade_id: str, source: str) -> Cell:
    return Cell(kind="solution", source=source, grade_id=grade_id)


def test(grade_id: str, points: float, source: str) -> Cell:
    return Cell(kind="test", source=source, grade_id=grade_id, points=points)


@dataclass(frozen=True)
class Assignment:
    """A source assignment: notebooks by stem, an optional assignment.toml text and extra data files."""

    name: str
    notebooks: Mapping[str, Sequence[Cell]]
    toml: str = ""
    files: Mapping[str, str] = field(default_factory=dict)

    def grade_cells(self, stem: str) -> dict[str, float]:
        return {c.grade_id: c.points for c in self.notebooks[stem] if c.kind == "test" and c.grade_id}

    def max_score(self) -> float:
        return sum(sum(self.grade_cells(stem).values()) for stem in self.notebooks)


def _nbgrader_meta(cell: Cell) -> dict[str, object]:
    meta: dict[str, object] = {
        "grade": cell.kind == "test",
        "grade_id": cell.grade_id,
        "locked": cell.kind in ("locked", "test"),
        "schema_version": SCHEMA_VERSION,
        "solution": cell.kind == "solution",
    }
    if cell.kind == "test":
        meta["points"] = cell.points
    return meta


def source_notebook(cells: Sequence[Cell]) -> NotebookNode:
    """The instructor's notebook: solutions and hidden tests in place, nbgrader metadata on every graded cell."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    for cell in cells:
        if cell.kind == "markdown":
            node = nbformat.v4.new_markdown_cell(cell.source)
        else:
            node = nbformat.v4.new_code_cell(cell.source)
        if cell.grade_id is not None:
            node.metadata["nbgrader"] = _nbgrader_meta(cell)
        nb.cells.append(node)
    return nb


def strip_solutions(source: str) -> str:
    """Replace each solution region by the code stub, line by line as nbgrader's ClearSolutions does."""
    out: list[str] = []
    inside = False
    for line in source.split("\n"):
        if "BEGIN SOLUTION" in line:
            inside = True
            indent = re.match(r"\s*", line).group(0)  # type: ignore[union-attr]
            out.extend(indent + stub for stub in STUB.split("\n"))
        elif "END SOLUTION" in line:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def strip_hidden_tests(source: str) -> str:
    """Drop each hidden-test region, line by line as nbgrader's ClearHiddenTests does."""
    out: list[str] = []
    inside = False
    for line in source.split("\n"):
        if "BEGIN HIDDEN TESTS" in line:
            inside = True
        elif "END HIDDEN TESTS" in line:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def release_notebook(cells: Sequence[Cell]) -> NotebookNode:
    """What students download: solutions stubbed, hidden tests removed, checksums stamped as nbgrader does."""
    nb = source_notebook(cells)
    for node in nb.cells:
        node.source = strip_hidden_tests(strip_solutions(node.source))
        meta = node.metadata.get("nbgrader")
        if meta is not None:
            meta["checksum"] = compute_checksum(node)
            meta["cell_type"] = node.cell_type
    return nb


def student_notebook(
    cells: Sequence[Cell],
    *,
    answers: Mapping[str, str],
    before: Mapping[str, Sequence[str]] | None = None,
    after: Mapping[str, Sequence[str]] | None = None,
) -> NotebookNode:
    """The release with the student's work: `answers` replaces solution cells by grade_id; `before`/`after`
    insert extra code cells (no nbgrader metadata, as a student adding cells does) around a grade_id."""
    nb = release_notebook(cells)
    out: list[NotebookNode] = []
    for node in nb.cells:
        grade_id = node.metadata.get("nbgrader", {}).get("grade_id")
        for extra in (before or {}).get(grade_id, ()):
            out.append(nbformat.v4.new_code_cell(extra))
        if grade_id in answers:
            node.source = answers[grade_id]
        out.append(node)
        for extra in (after or {}).get(grade_id, ()):
            out.append(nbformat.v4.new_code_cell(extra))
    nb.cells = out
    for index, node in enumerate(nb.cells):  # inserted cells need ids unique within the notebook
        node["id"] = f"cell-{index:04d}"
    return nb


def write_assignment(assignment: Assignment, *, root: Path) -> Path:
    """Write the source assignment folder (notebooks, assignment.toml, data files) and return it."""
    folder = root / assignment.name
    folder.mkdir(parents=True, exist_ok=True)
    for stem, cells in assignment.notebooks.items():
        nbformat.write(source_notebook(cells), folder / f"{stem}.ipynb")
    if assignment.toml:
        (folder / "assignment.toml").write_text(assignment.toml, encoding="utf-8")
    for name, text in assignment.files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def write_submission(folder: Path, *, notebooks: Mapping[str, NotebookNode | str | bytes]) -> Path:
    """Write a submission folder; a value that is not a notebook is written verbatim (broken uploads)."""
    folder.mkdir(parents=True, exist_ok=True)
    for stem, nb in notebooks.items():
        path = folder / f"{stem}.ipynb"
        if isinstance(nb, bytes):
            path.write_bytes(nb)
        elif isinstance(nb, str):
            path.write_text(nb, encoding="utf-8")
        else:
            nbformat.write(nb, path)
    return folder
