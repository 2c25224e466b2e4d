"""Merge a submission with its source assignment into an execution plan (nbgrader's sanitize step).

Locked and grade cells come from the source, matched by ``grade_id``: an edited test cell gets the
instructor's version back (hidden tests included), a deleted one is put back after the nearest preceding
nbgrader cell, and points, cell types and flags always come from the source. Cells whose ``grade_id`` the
source does not know lose their nbgrader metadata. Each plan cell says how it runs: ``student`` and
``locked`` cells run in the notebook process, ``test`` cells run in a separate test process.
"""

from __future__ import annotations

import ast
import copy
import importlib.util
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from graders import format as fmt
from graders.limits import Limits, load_limits
from graders.release import data_files, release_notebook, source_hash

ERR_OTHER_ASSIGNMENT = (
    "{name} belongs to another assignment (none of its graded cells are part of {assignment})"
)
ERR_NO_NOTEBOOKS = "the submission contains no notebook of {assignment}"
MISSING_NOTE = "This cell (id:{gid}) was missing from the submission. It was added back by the grader.\n\n"


@dataclass(frozen=True)
class SourceCell:
    index: int
    grade_id: str
    cell_type: str
    grade: bool
    solution: bool
    locked: bool
    task: bool
    points: float
    release_source: str
    full_source: str
    release_checksum: str
    has_hidden: bool


@dataclass(frozen=True)
class SourceNotebook:
    stem: str
    cells: tuple[SourceCell, ...]
    released: fmt.Notebook

    def by_id(self) -> dict[str, SourceCell]:
        return {c.grade_id: c for c in self.cells}


@dataclass(frozen=True)
class SourceAssignment:
    """A source assignment parsed once (reused for every submission of a batch)."""

    name: str
    path: Path
    notebooks: dict[str, SourceNotebook]
    files: tuple[str, ...]
    source_hash: str
    limits: Limits
    max_score: float
    imports: tuple[str, ...] = ()


@dataclass
class PlanCell:
    index: int
    cell: fmt.Cell
    kind: str  # "student", "locked", "test" or "text"
    grade_id: str | None = None
    source_cell: SourceCell | None = None
    unchanged: bool = False


@dataclass
class NotebookPlan:
    stem: str
    cells: list[PlanCell] = field(default_factory=list)
    missing: bool = False
    error: str | None = None
    flags: list[str] = field(default_factory=list)

    def job_cells(self) -> list[dict[str, object]]:
        """What the notebook process receives: visible sources only."""
        out: list[dict[str, object]] = []
        for pc in self.cells:
            if pc.kind == "text":
                continue
            source = fmt.cell_source(pc.cell)
            if pc.kind == "test" and pc.source_cell is not None:
                source = pc.source_cell.release_source
            out.append({"i": pc.index, "kind": pc.kind, "source": source})
        return out

    def test_sources(self) -> dict[int, str]:
        return {
            pc.index: pc.source_cell.full_source for pc in self.cells if pc.kind == "test" and pc.source_cell
        }


@dataclass
class SubmissionPlan:
    notebooks: dict[str, NotebookPlan]
    extra_files: dict[str, Path]
    error: str | None = None
    flags: list[str] = field(default_factory=list)


def load_source(path: Path) -> SourceAssignment:
    path = Path(path)
    stems = fmt.notebook_stems(path) if path.is_dir() else {}
    if not stems:
        raise FileNotFoundError(f"source assignment folder {path} does not exist or has no notebooks")
    notebooks: dict[str, SourceNotebook] = {}
    for stem, nb_path in stems.items():
        nb = fmt.read_notebook(nb_path)
        released, _ = release_notebook(nb)
        cells: list[SourceCell] = []
        for index, (cell, rel) in enumerate(zip(nb["cells"], released["cells"], strict=True)):
            gid = fmt.grade_id(cell)
            if not gid or not (
                fmt.is_grade(cell) or fmt.is_solution(cell) or fmt.is_locked(cell) or fmt.is_task(cell)
            ):
                continue
            replaced, found = fmt.replace_solution_regions(cell, where=index)
            if fmt.is_solution(cell) and not found:
                replaced = fmt.CODE_STUB if cell["cell_type"] == "code" else fmt.TEXT_STUB
            cells.append(
                SourceCell(
                    index=index,
                    grade_id=gid,
                    cell_type=cell["cell_type"],
                    grade=fmt.is_grade(cell),
                    solution=fmt.is_solution(cell),
                    locked=fmt.is_locked(cell),
                    task=fmt.is_task(cell),
                    points=fmt.points(cell) if (fmt.is_grade(cell) or fmt.is_task(cell)) else 0.0,
                    release_source=fmt.cell_source(rel),
                    full_source=replaced,
                    release_checksum=rel["metadata"]["nbgrader"]["checksum"],
                    has_hidden=fmt.has_marker(replaced, fmt.BEGIN_HIDDEN),
                )
            )
        notebooks[stem] = SourceNotebook(stem=stem, cells=tuple(cells), released=released)
    max_score = sum(c.points for nb in notebooks.values() for c in nb.cells if c.grade or c.task)
    return SourceAssignment(
        name=path.name,
        path=path,
        notebooks=notebooks,
        files=tuple(p.as_posix() for p in data_files(path)),
        source_hash=source_hash(path),
        limits=load_limits(source=path),
        max_score=max_score,
        imports=source_imports(notebooks=[fmt.read_notebook(p) for p in stems.values()]),
    )


def source_imports(*, notebooks: list[fmt.Notebook]) -> tuple[str, ...]:
    """Modules the instructor's notebooks import (preloaded, so they are in the tamper snapshot)."""
    found: dict[str, None] = {}
    for nb in notebooks:
        for cell in nb["cells"]:
            if cell.get("cell_type") != "code":
                continue
            lines = [
                ln for ln in fmt.cell_source(cell).splitlines() if not ln.lstrip().startswith(("%", "!"))
            ]
            try:
                tree = ast.parse("\n".join(lines))
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        found[alias.name] = None
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    found[node.module] = None
                    for alias in node.names:
                        if f"{node.module}.{alias.name}" in LAZY_IMPORTS:
                            found[f"{node.module}.{alias.name}"] = None
                elif (
                    isinstance(node, ast.Attribute)
                    and isinstance(node.value, ast.Name)
                    and f"{node.value.id}.{node.attr}" in LAZY_IMPORTS  # e.g. torch.optim.SGD(...)
                ):
                    found[f"{node.value.id}.{node.attr}"] = None
    for name in list(found):
        for used, lazy in LAZY_IMPORTS.items():
            if name == used or name.startswith(used + "."):
                found.update(dict.fromkeys(lazy))
    return tuple(name for name in found if importlib.util.find_spec(name.split(".")[0]) is not None)


# Modules a library imports only when a feature is first used. A tester process is a fresh fork of the zygote
# for every test, so without them in the zygote each test that uses the feature pays the import again: torch
# imports torch._dynamo (with sympy, about 0.9 s) when a process makes its first optimizer.
LAZY_IMPORTS: dict[str, tuple[str, ...]] = {"torch.optim": ("torch._dynamo",)}


def _canonical_meta(sc: SourceCell) -> dict[str, object]:
    meta: dict[str, object] = {
        "grade": sc.grade,
        "grade_id": sc.grade_id,
        "locked": sc.locked,
        "solution": sc.solution,
        "schema_version": 3,
        "checksum": sc.release_checksum,
        "cell_type": sc.cell_type,
    }
    if sc.grade or sc.task:
        meta["points"] = sc.points
    if sc.task:
        meta["task"] = True
    return meta


def _restored_cell(sc: SourceCell, *, note: str = "") -> fmt.Cell:
    source = sc.full_source if sc.locked else sc.release_source
    if note:
        source = ("# " + note.replace("\n", "\n# ") if sc.cell_type == "code" else note) + source
    cell: fmt.Cell = {
        "cell_type": sc.cell_type,
        "metadata": {"nbgrader": _canonical_meta(sc)},
        "source": source,
    }
    if sc.cell_type == "code":
        cell.update(outputs=[], execution_count=None)
    return cell


def _kind(cell: fmt.Cell, sc: SourceCell | None) -> str:
    if cell.get("cell_type") != "code":
        return "text"
    if sc is not None and sc.grade and not sc.solution:
        return "test"
    if sc is not None and sc.locked:
        return "locked"
    return "student"


def other_assignment(cells: Iterable[fmt.Cell], *, release_checksums: Mapping[str, str]) -> bool:
    """Whether submitted cells are a notebook of another assignment: the one rule, for grading and uploads.

    `release_checksums` maps the grade ids of the source notebook's nbgrader cells to their release checksums.
    A notebook is foreign when it has nbgrader cells whose grade ids the source does not know and either none
    that it knows, or none of those still carries the release's checksum (or none at all).
    """
    if not release_checksums:
        return False
    known = consistent = foreign = 0
    for cell in cells:
        gid = fmt.grade_id(cell)
        if not gid:
            continue
        if gid not in release_checksums:
            foreign += 1
            continue
        known += 1
        if (fmt.nbgrader_meta(cell) or {}).get("checksum") in (None, release_checksums[gid]):
            consistent += 1
    return bool(foreign) and (not known or not consistent)


def merge_notebook(*, source: SourceNotebook, submitted: fmt.Notebook, name: str) -> NotebookPlan:
    plan = NotebookPlan(stem=source.stem)
    by_id = source.by_id()
    if other_assignment(
        submitted["cells"], release_checksums={sc.grade_id: sc.release_checksum for sc in source.cells}
    ):
        plan.error = ERR_OTHER_ASSIGNMENT.format(name=name, assignment=source.stem)
        return plan
    seen: set[str] = set()
    merged: list[tuple[fmt.Cell, SourceCell | None]] = []
    for raw in submitted["cells"]:
        cell = fmt.clean_cell(raw)
        gid = fmt.grade_id(cell) if fmt.nbgrader_meta(cell) is not None else None
        sc = by_id.get(gid) if gid else None
        if gid and (sc is None or gid in seen):
            cell["metadata"].pop("nbgrader", None)
            sc = None
        if sc is not None:
            seen.add(sc.grade_id)
            if cell.get("cell_type") != sc.cell_type:
                plan.flags.append(f"cell {sc.grade_id}: cell type changed, restored")
            if sc.locked:
                if fmt.cell_source(cell) != sc.release_source:
                    plan.flags.append(f"cell {sc.grade_id}: locked cell was edited, restored")
                cell = _restored_cell(sc)
            else:
                old_points = (fmt.nbgrader_meta(cell) or {}).get("points")
                if sc.grade and old_points is not None and fmt.points(cell) != sc.points:
                    plan.flags.append(f"cell {sc.grade_id}: points changed, restored")
                cell["cell_type"] = sc.cell_type
                cell["metadata"]["nbgrader"] = _canonical_meta(sc)
                if sc.cell_type == "code":
                    cell.setdefault("outputs", [])
                    cell.setdefault("execution_count", None)
                else:
                    cell.pop("outputs", None)
                    cell.pop("execution_count", None)
        merged.append((cell, sc))
    positions = {sc.grade_id: pos for pos, (_, sc) in enumerate(merged) if sc is not None}
    insert_after = -1
    additions: list[tuple[int, fmt.Cell, SourceCell]] = []
    for sc in source.cells:
        if sc.grade_id in positions:
            insert_after = positions[sc.grade_id]
            continue
        if sc.grade or sc.task or sc.locked:
            additions.append(
                (insert_after, _restored_cell(sc, note=MISSING_NOTE.format(gid=sc.grade_id)), sc)
            )
            plan.flags.append(f"cell {sc.grade_id}: missing from the submission, added back")
    for offset, (after, cell, sc) in enumerate(additions):
        merged.insert(after + 1 + offset, (cell, sc))
    for index, (cell, sc) in enumerate(merged):
        unchanged = bool(sc and sc.solution and fmt.compute_checksum(cell) == sc.release_checksum)
        plan.cells.append(
            PlanCell(
                index=index,
                cell=cell,
                kind=_kind(cell, sc),
                grade_id=sc.grade_id if sc else None,
                source_cell=sc,
                unchanged=unchanged,
            )
        )
    return plan


def plan_submission(*, source: SourceAssignment, submission: Path) -> SubmissionPlan:
    """Match submitted notebooks to source notebooks by stem and merge them."""
    submission = Path(submission)
    if submission.is_file() and submission.suffix == ".ipynb":
        submitted_paths = {submission.stem: submission}
        folder = submission.parent
    else:
        submitted_paths = fmt.notebook_stems(submission) if submission.is_dir() else {}
        folder = submission
    plans: dict[str, NotebookPlan] = {}
    errors: list[str] = []
    for stem, src_nb in source.notebooks.items():
        path = submitted_paths.get(stem)
        if path is None and len(source.notebooks) == 1 and len(submitted_paths) == 1:
            path = next(iter(submitted_paths.values()))
        if path is None:
            plans[stem] = NotebookPlan(stem=stem, missing=True)
            continue
        try:
            submitted = fmt.read_notebook(path)
        except (fmt.FormatError, OSError) as exc:
            plans[stem] = NotebookPlan(stem=stem, error=str(exc))
            errors.append(str(exc))
            continue
        plan = merge_notebook(source=src_nb, submitted=copy.deepcopy(submitted), name=path.name)
        if plan.error:
            errors.append(plan.error)
        plans[stem] = plan
    if all(p.missing for p in plans.values()):
        errors.append(ERR_NO_NOTEBOOKS.format(assignment=source.name))
    extra: dict[str, Path] = {}
    if folder.is_dir() and not submission.is_file():
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder)
            if (
                path.is_file()
                and not path.is_symlink()
                and path.suffix != ".ipynb"
                and not any(part.startswith(".") for part in rel.parts)
            ):
                extra[rel.as_posix()] = path
    for name in source.files:
        extra[name] = source.path / name  # the instructor's files always win, as in nbgrader
    return SubmissionPlan(notebooks=plans, extra_files=extra, error="; ".join(errors) or None)
