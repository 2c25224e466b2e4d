"""Find the course's assignments and grade them through the grading engine's command line.

Every directory ``assignments/<id>/source/`` holding notebooks is an assignment; its mutants are
``assignments/<id>/mutants/<name>/`` (a complete submission plus ``expect.json``). Grading goes through
``python -m graders release SRC OUT`` and ``python -m graders autograde SRC SUBMISSION [--seed N] --json``
in a subprocess, exactly as the site's workers call it.

Setting ``HOMEWORK_GRADER=nbgrader`` grades with nbgrader 0.9.6 itself instead (a throw-away course
directory, ``nbgrader generate_assignment`` and ``nbgrader autograde``), which is how notebooks are checked
for format compatibility independently of the engine. Both backends return the same :class:`GradeResult`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import nbformat

from tests.assignments import hwnotebooks

REPO = Path(__file__).resolve().parents[2]
ASSIGNMENTS_DIR = REPO / "assignments"
# Test-only assignments with the same layout (e.g. one that ships a data file); never synced to the site.
FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"
PYTHON = sys.executable
BACKEND = os.environ.get("HOMEWORK_GRADER", "engine")
ENGINE_TIMEOUT_S = 900

CellKey = tuple[str, str]  # (notebook stem, grade id)


@dataclass(frozen=True)
class CellResult:
    """One graded cell; ``score`` is None while a written answer waits for a human."""

    score: float | None
    max_score: float
    status: str


def _number(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


@dataclass(frozen=True)
class GradeResult:
    score: float
    max_score: float
    cells: dict[CellKey, CellResult]
    error: str | None = None
    cpu_s: float | None = None
    flags: tuple[str, ...] = ()  # the engine's staff flags (tamper signals, edited cells, limits)


@dataclass(frozen=True)
class MutantSpec:
    name: str
    path: Path
    fails: tuple[str, ...]

    @cached_property
    def games_equality(self) -> bool:
        """Whether a solution cell defines ``__eq__`` (an answer whose object claims to equal anything)."""
        return any(
            "def __eq__" in cell.source
            for nb_path in self.path.glob("*.ipynb")
            for cell in nbformat.read(nb_path, as_version=4).cells
            if cell.metadata.get("nbgrader", {}).get("solution")
        )


@dataclass(frozen=True)
class Assignment:
    """One assignment directory and what its source notebooks declare."""

    root: Path

    @property
    def id(self) -> str:
        return self.root.name

    @property
    def source(self) -> Path:
        return self.root / "source"

    @cached_property
    def notebooks(self) -> dict[str, nbformat.NotebookNode]:
        return {p.stem: nbformat.read(p, as_version=4) for p in sorted(self.source.glob("*.ipynb"))}

    @cached_property
    def data_files(self) -> list[Path]:
        """The source's files other than its notebooks and assignment.toml (shipped to students too)."""
        from graders.release import data_files

        return [self.source / rel for rel in data_files(self.source)]

    @cached_property
    def auto_cells(self) -> dict[CellKey, float]:
        """Auto-graded test cells (grade, not solution, code) and their points."""
        cells: dict[CellKey, float] = {}
        for stem, nb in self.notebooks.items():
            for cell in nb.cells:
                meta = cell.metadata.get("nbgrader", {})
                if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
                    cells[(stem, meta["grade_id"])] = float(meta.get("points", 0))
        return cells

    @cached_property
    def mutants(self) -> list[MutantSpec]:
        specs = []
        for expect in sorted((self.root / "mutants").glob("*/expect.json")):
            fails = json.loads(expect.read_text())["fails"]
            specs.append(MutantSpec(name=expect.parent.name, path=expect.parent, fails=tuple(fails)))
        return specs

    def resolve(self, grade_ids: tuple[str, ...]) -> set[CellKey]:
        """Map expect.json entries ("grade_id" or "stem/grade_id") to auto-graded cells."""
        keys: set[CellKey] = set()
        for entry in grade_ids:
            stem, _, gid = entry.rpartition("/")
            found = {k for k in self.auto_cells if k[1] == gid and (not stem or k[0] == stem)}
            if not found:
                raise KeyError(f"{self.id}: {entry!r} is not an auto-graded cell")
            keys |= found
        return keys


def discover() -> list[Assignment]:
    """Every assignments/*/source/ directory that holds at least one notebook."""
    sources = [*sorted(ASSIGNMENTS_DIR.glob("*/source")), *sorted(FIXTURES_DIR.glob("*/source"))]
    return [Assignment(root=p.parent) for p in sources if any(p.glob("*.ipynb"))]


def engine_available() -> bool:
    return (REPO / "graders" / "__main__.py").exists()


def _run(args: list[str], *, cwd: Path, seed: int | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PATH=f"{Path(PYTHON).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("GRADER_SEED", None)
    if seed is not None and BACKEND == "nbgrader":
        env["GRADER_SEED"] = str(seed)
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=ENGINE_TIMEOUT_S)
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        )
    return proc


def release(source: Path, out: Path) -> None:
    """Build the student version of ``source`` into ``out``."""
    if BACKEND == "nbgrader":
        with tempfile.TemporaryDirectory() as tmp:
            course = _nbgrader_course(Path(tmp), source)
            shutil.copytree(course / "release" / "ps", out, dirs_exist_ok=True)
        return
    _run([PYTHON, "-m", "graders", "release", str(source), str(out)], cwd=REPO)


def autograde(source: Path, submission: Path, *, seed: int | None = None) -> GradeResult:
    """Grade the notebooks in ``submission`` against ``source``."""
    if BACKEND == "nbgrader":
        return _nbgrader_autograde(source, submission, seed)
    args = [PYTHON, "-m", "graders", "autograde", str(source), str(submission), "--json"]
    if seed is not None:
        args += ["--seed", str(seed)]
    return _result(json.loads(_run(args, cwd=REPO).stdout))


def _result(payload: dict) -> GradeResult:
    cells = {
        (stem, gid): CellResult(_number(c["score"]), float(c["max_score"]), str(c.get("status", "")))
        for stem, nb in payload["notebooks"].items()
        for gid, c in nb["cells"].items()
    }
    cpu_s = payload.get("resources", {}).get("cpu_s")
    return GradeResult(
        float(payload["score"]),
        float(payload["max_score"]),
        cells,
        payload.get("error"),
        cpu_s,
        tuple(payload.get("flags", ())),
    )


def autograde_batch(
    source: Path, submissions: dict[str, Path], *, workdir: Path
) -> dict[str, GradeResult | EngineFailure]:
    """Grade several submissions of one assignment in one warm sandbox (``python -m graders autograde-batch``).

    Each submission is graded exactly as ``autograde`` grades it; only the sandbox start-up is shared. A
    submission the engine failed on raises when its result is asked for, as a one-shot call would.
    """
    root = workdir / "submitted"
    if root.exists():
        shutil.rmtree(root)
    names = {}
    for index, (key, folder) in enumerate(submissions.items()):
        name = f"s{index:03d}"
        names[name] = key
        shutil.copytree(folder, root / name)
    args = [PYTHON, "-m", "graders", "autograde-batch", str(source), str(root), "--json"]
    env = dict(os.environ, PATH=f"{Path(PYTHON).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("GRADER_SEED", None)
    proc = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=ENGINE_TIMEOUT_S)
    results: dict[str, GradeResult | EngineFailure] = {}
    failures: dict[str, str] = {}
    for line in proc.stdout.splitlines():
        payload = json.loads(line)
        key = names[payload.pop("student")]
        if "engine_error" in payload:
            failures[key] = str(payload["engine_error"])
        else:
            results[key] = _result(payload)
    missing = set(submissions) - set(results) - set(failures)
    if missing or proc.returncode not in (0, 1):
        raise RuntimeError(
            f"{' '.join(args)} failed ({proc.returncode}) for {sorted(missing)}:\n{proc.stderr[-3000:]}"
        )
    return {**results, **{key: EngineFailure(error) for key, error in failures.items()}}


@dataclass(frozen=True)
class EngineFailure:
    """A batch submission the engine itself failed on (``grade`` raises it, as a one-shot call would)."""

    message: str


def _nbgrader(course: Path, *args: str, seed: int | None = None) -> None:
    nbgrader = str(Path(PYTHON).parent / "nbgrader")
    _run([nbgrader, *args, f"--CourseDirectory.root={course}"], cwd=course, seed=seed)


def _nbgrader_course(tmp: Path, source: Path) -> Path:
    course = tmp / "course"
    shutil.copytree(source, course / "source" / "ps")
    _nbgrader(course, "db", "assignment", "add", "ps")
    _nbgrader(course, "generate_assignment", "ps", "--force")
    return course


def _nbgrader_autograde(source: Path, submission: Path, seed: int | None) -> GradeResult:
    from nbgrader.api import Gradebook

    with tempfile.TemporaryDirectory() as tmp:
        course = _nbgrader_course(Path(tmp), source)
        _nbgrader(course, "db", "student", "add", "student")
        target = course / "submitted" / "student" / "ps"
        target.mkdir(parents=True)
        for nb in submission.glob("*.ipynb"):
            shutil.copy(nb, target / nb.name)
        _nbgrader(course, "autograde", "ps", "--force", "--ExecutePreprocessor.timeout=300", seed=seed)
        cells: dict[CellKey, CellResult] = {}
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            for nb in gb.find_submission("ps", "student").notebooks:
                for grade in nb.grades:
                    status = "manual" if grade.auto_score is None else "graded"
                    cells[(nb.name, grade.name)] = CellResult(
                        float(grade.score), float(grade.max_score), status
                    )
    score = sum(c.score or 0.0 for c in cells.values())
    return GradeResult(score, sum(c.max_score for c in cells.values()), cells)


class GradingSession:
    """Engine calls (release, autograde) and visible-test runs, each done at most once per test session."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._grades: dict[tuple[str, str, int | None], GradeResult | EngineFailure] = {}
        self._released: dict[str, Path] = {}
        self._visible: dict[str, dict[str, str | None]] = {}
        self._batched: set[str] = set()

    def released(self, assignment: Assignment) -> Path:
        if assignment.id not in self._released:
            out = self.workdir / "release" / assignment.id
            if out.exists():
                shutil.rmtree(out)
            release(assignment.source, out)
            self._released[assignment.id] = out
        return self._released[assignment.id]

    def grade(self, assignment: Assignment, submission: Path, *, seed: int | None = None) -> GradeResult:
        key = (assignment.id, str(submission), seed)
        if key not in self._grades and seed is None and BACKEND == "engine":
            self._grade_all(assignment)
        if key not in self._grades and seed is None and BACKEND == "engine":
            self._grade_other_mutants(assignment)
        if key not in self._grades:
            self._grades[key] = autograde(assignment.source, submission, seed=seed)
        result = self._grades[key]
        if isinstance(result, EngineFailure):
            raise RuntimeError(f"the engine failed on {submission}: {result.message}")
        return result

    def _grade_all(self, assignment: Assignment) -> None:
        """Grade the reference, the released notebook and the mutants that game equality in one warm batch.

        One-shot gradings pay the sandbox start-up (an interpreter importing numpy, torch, ...) every time;
        the batch pays it once per assignment. Each submission still gets its own result, checked by its own
        test. The other mutants are graded only when a test asks for one (``make test-slow``), all together.
        """
        if assignment.id in self._batched:
            return
        self._batched.add(assignment.id)
        gaming = [m.path for m in assignment.mutants if m.games_equality]
        self._batch(assignment, [assignment.source, self.released(assignment), *gaming], "batch")

    def _grade_other_mutants(self, assignment: Assignment) -> None:
        """Every mutant of ``assignment`` not graded yet, in one warm batch."""
        rest = [m.path for m in assignment.mutants if (assignment.id, str(m.path), None) not in self._grades]
        if rest:
            self._batch(assignment, rest, "mutants")

    def _batch(self, assignment: Assignment, folders: list[Path], name: str) -> None:
        work = self.workdir / name / assignment.id
        results = autograde_batch(assignment.source, {str(f): f for f in folders}, workdir=work)
        for folder, result in results.items():
            self._grades[(assignment.id, folder, None)] = result

    def visible(self, notebook: Path, *, data: Path | None = None) -> dict[str, str | None]:
        """Visible-test errors of ``notebook``, run beside the data files of the source folder ``data``."""
        if str(notebook) not in self._visible:
            self._visible[str(notebook)] = hwnotebooks.run_visible_tests(notebook, data=data)
        return self._visible[str(notebook)]
