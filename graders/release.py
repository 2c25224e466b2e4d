"""Build the student version of an assignment (nbgrader's generate_assignment, minus the database).

For every source notebook: solution regions become nbgrader's stubs, hidden-test regions are removed,
outputs are cleared, nbgrader cells get their checksum and lock hints; non-notebook files are copied
(except ``assignment.toml``). The manifest records, per notebook and cell, the checksums the grader
compares against: the release checksum (an unchanged solution scores 0) and, for locked cells, the
checksum of the instructor's version (which the grader restores).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from graders import format as fmt

ASSIGNMENT_TOML = "assignment.toml"
MANIFEST_NAME = "release-manifest.json"
SKIP_NAMES = frozenset({ASSIGNMENT_TOML, ".ipynb_checkpoints", "__pycache__", ".git"})
ERR_NO_SOURCE = "source assignment folder {path} does not exist or has no notebooks"


@dataclass(frozen=True)
class CellManifest:
    """What the grader needs to know about one nbgrader cell of the source."""

    grade_id: str
    cell_type: str
    grade: bool
    solution: bool
    locked: bool
    task: bool
    points: float
    release_checksum: str
    source_checksum: str

    @property
    def kind(self) -> str | None:
        """How the cell is graded: `format.TEST_CELL`, `format.MANUAL_CELL`, or None (no points of its own)."""
        return fmt.graded_kind(grade=self.grade, solution=self.solution, task=self.task)


@dataclass(frozen=True)
class ReleaseManifest:
    """The release's cell checksums per notebook stem, plus the source hash the site records."""

    assignment: str
    source_hash: str
    max_score: float
    notebooks: dict[str, list[CellManifest]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def grade_ids(self, stem: str) -> list[str]:
        """Every grade id of the notebook's nbgrader cells, in notebook order (empty for an unknown stem)."""
        return [c.grade_id for c in self.notebooks.get(stem, [])]

    def test_cells(self, stem: str) -> list[str]:
        """The grade ids of the notebook's autograded test cells, in notebook order."""
        return [c.grade_id for c in self.notebooks.get(stem, []) if c.kind == fmt.TEST_CELL]

    def manual_cells(self, stem: str) -> list[str]:
        """The grade ids of the notebook's manually graded cells (answers graded by hand and tasks)."""
        return [c.grade_id for c in self.notebooks.get(stem, []) if c.kind == fmt.MANUAL_CELL]

    def points(self, stem: str) -> dict[str, float]:
        """Grade id -> points of each cell of the notebook that is graded (a test or a manual cell)."""
        return {c.grade_id: c.points for c in self.notebooks.get(stem, []) if c.kind is not None}


def source_hash(source: Path) -> str:
    """SHA-256 over every file of the source assignment (relative path and bytes), in path order."""
    digest = hashlib.sha256()
    for path in sorted(p for p in source.rglob("*") if p.is_file() and ".ipynb_checkpoints" not in p.parts):
        rel = path.relative_to(source).as_posix()
        digest.update(rel.encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def release_notebook(nb: fmt.Notebook) -> tuple[fmt.Notebook, list[CellManifest]]:
    """The student version of one validated source notebook and its cell manifest."""
    fmt.validate_source_notebook(nb)
    out = {k: v for k, v in nb.items() if k != "cells"}
    out["metadata"] = {k: v for k, v in dict(nb.get("metadata", {})).items() if k != "celltoolbar"}
    cells: list[fmt.Cell] = []
    manifest: list[CellManifest] = []
    for index, cell in enumerate(nb["cells"]):
        source_version = fmt.clean_cell(cell)
        student = fmt.clean_cell(cell)
        replaced_source, replaced = fmt.replace_solution_regions(cell, where=index)
        if fmt.is_solution(cell) and not replaced:
            replaced_source = fmt.CODE_STUB if cell["cell_type"] == "code" else fmt.TEXT_STUB
        student["source"] = replaced_source
        source_version["source"] = replaced_source  # what nbgrader stores: solutions cleared, tests kept
        visible, _ = fmt.remove_hidden_regions(replaced_source, where=index)
        student["source"] = visible
        nbg = fmt.nbgrader_meta(cell)
        if nbg is not None and fmt.grade_id(cell):
            meta = student["metadata"]
            if fmt.is_grade(cell) or fmt.is_solution(cell):
                meta["deletable"] = False
            if fmt.is_locked(cell):
                meta["deletable"] = False
                meta["editable"] = False
            gid = fmt.grade_id(cell) or ""
            for version in (student, source_version):
                version["metadata"].setdefault("nbgrader", {})["cell_type"] = cell["cell_type"]
            src_sum = fmt.compute_checksum(source_version)
            rel_sum = fmt.compute_checksum(student)
            student["metadata"]["nbgrader"]["checksum"] = rel_sum
            if fmt.is_grade(cell) or fmt.is_solution(cell) or fmt.is_locked(cell) or fmt.is_task(cell):
                manifest.append(
                    CellManifest(
                        grade_id=gid,
                        cell_type=cell["cell_type"],
                        grade=fmt.is_grade(cell),
                        solution=fmt.is_solution(cell),
                        locked=fmt.is_locked(cell),
                        task=fmt.is_task(cell),
                        points=fmt.points(cell) if (fmt.is_grade(cell) or fmt.is_task(cell)) else 0.0,
                        release_checksum=rel_sum,
                        source_checksum=src_sum,
                    )
                )
        cells.append(student)
    out["cells"] = cells
    return out, manifest


def release(source: Path, out: Path) -> ReleaseManifest:
    """Write the student version of ``source`` into ``out`` and return (and write) its manifest."""
    source = Path(source)
    out = Path(out)
    stems = fmt.notebook_stems(source) if source.is_dir() else {}
    if not stems:
        raise FileNotFoundError(ERR_NO_SOURCE.format(path=source))
    released: dict[str, tuple[fmt.Notebook, list[CellManifest]]] = {}
    for stem, path in stems.items():
        released[stem] = release_notebook(fmt.read_notebook(path))
    out.mkdir(parents=True, exist_ok=True)
    files = copy_data_files(source=source, dest=out)
    for stem, (nb, _) in released.items():
        (out / f"{stem}.ipynb").write_text(
            json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    notebooks = {stem: cells for stem, (_, cells) in released.items()}
    max_score = sum(c.points for cells in notebooks.values() for c in cells if c.grade or c.task)
    manifest = ReleaseManifest(
        assignment=source.name,
        source_hash=source_hash(source),
        max_score=max_score,
        notebooks=notebooks,
        files=files,
    )
    (out / MANIFEST_NAME).write_text(json.dumps(manifest.to_json(), indent=1) + "\n", encoding="utf-8")
    return manifest


def data_files(source: Path) -> list[Path]:
    """Non-notebook files of the source that students (and the sandbox) get, relative paths."""
    found: list[Path] = []
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if any(part in SKIP_NAMES or part.startswith(".") for part in rel.parts):
            continue
        if path.is_symlink() or not path.is_file():
            continue
        if path.suffix == ".ipynb" and len(rel.parts) == 1:
            continue
        found.append(rel)
    return found


def copy_data_files(*, source: Path, dest: Path) -> list[str]:
    copied: list[str] = []
    for rel in data_files(source):
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / rel, target)
        copied.append(rel.as_posix())
    return copied
