"""A throwaway nbgrader course directory, driven through nbgrader's own command line.

Used by the throughput and one-shot benchmarks as the baseline: it writes `nbgrader_config.py`, puts the
instructor's notebooks (and files) in `source/`, lets `nbgrader generate_assignment` build the student version,
adds the students to the gradebook, writes their submissions into `submitted/<student>/<assignment>/`, runs
`nbgrader autograde` and reads the per-cell auto scores back from the gradebook. nbgrader shells out to
`alembic`, so the virtualenv's bin/ goes first on PATH.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

CONFIG = """c = get_config()
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = "bench"
c.Execute.timeout = 120
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
"""


@dataclass(frozen=True)
class NbgraderCourse:
    """An nbgrader course folder with one assignment."""

    root: Path
    assignment: str

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.root / 'gradebook.db'}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        return env

    def nbgrader(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run one nbgrader command in the course folder; raise with its log when it fails."""
        proc = subprocess.run(
            [sys.executable, "-m", "nbgrader", *args],
            cwd=self.root,
            env=self.env(),
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"nbgrader {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-4000:]}"
            )
        return proc

    def release_notebook(self, stem: str) -> NotebookNode:
        return nbformat.read(self.root / "release" / self.assignment / f"{stem}.ipynb", as_version=4)


def create_course(
    *,
    root: Path,
    assignment: str,
    notebooks: Mapping[str, NotebookNode],
    files: Mapping[str, Path] | None = None,
) -> NbgraderCourse:
    """Write the config, the source notebooks and files (relative name -> path), and let nbgrader generate
    the student version."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "nbgrader_config.py").write_text(CONFIG.format(root=str(root)), encoding="utf-8")
    source = root / "source" / assignment
    source.mkdir(parents=True, exist_ok=True)
    for stem, nb in notebooks.items():
        nbformat.write(nbformat.from_dict(nb), source / f"{stem}.ipynb")
    for name, path in (files or {}).items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, source / name)
    course = NbgraderCourse(root=root, assignment=assignment)
    course.nbgrader("db", "assignment", "add", assignment)
    course.nbgrader("generate_assignment", assignment, "--force")
    return course


def add_submissions(*, course: NbgraderCourse, submissions: Mapping[str, Mapping[str, NotebookNode]]) -> Path:
    """Write each student's notebooks into submitted/ and register the students; returns submitted/."""
    students_csv = course.root / "students.csv"
    with students_csv.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "first_name", "last_name", "email"])
        for student in submissions:
            writer.writerow([student, student, "Bench", f"{student}@example.org"])
    course.nbgrader("db", "student", "import", str(students_csv))
    submitted = course.root / "submitted"
    for student, notebooks in submissions.items():
        folder = submitted / student / course.assignment
        folder.mkdir(parents=True, exist_ok=True)
        for stem, nb in notebooks.items():
            nbformat.write(nbformat.from_dict(nb), folder / f"{stem}.ipynb")
        (folder / "timestamp.txt").write_text("2026-01-20 12:00:00.000000 UTC\n", encoding="utf-8")
    return submitted


def autograde_all(*, course: NbgraderCourse, student: str | None = None) -> float:
    """Run `nbgrader autograde` over every submission (one process, nbgrader's usual way), or over one
    student's; returns the seconds of that one command."""
    only = ("--student", student) if student else ()
    started = time.perf_counter()
    course.nbgrader("autograde", course.assignment, "--force", *only)
    return time.perf_counter() - started


def auto_scores(*, course: NbgraderCourse, stems: list[str]) -> dict[str, dict[str, float]]:
    """Student -> "stem/grade_id" -> auto score, read from nbgrader's gradebook."""
    from nbgrader.api import Gradebook

    scores: dict[str, dict[str, float]] = {}
    with Gradebook(course.db_url) as gradebook:
        for student in gradebook.students:
            cells: dict[str, float] = {}
            for stem in stems:
                notebook = gradebook.find_submission_notebook(stem, course.assignment, student.id)
                for grade in notebook.grades:
                    if grade.auto_score is not None:
                        cells[f"{stem}/{grade.name}"] = float(grade.auto_score)
            scores[student.id] = cells
    return scores
