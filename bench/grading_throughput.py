"""Grading throughput: `nbgrader autograde` against our engine on the same submissions.

The synthetic homework (always, unless `--no-synthetic`): a homework in nbgrader's source format whose locked
setup cell imports numpy, scikit-learn and torch (three graded questions with visible and hidden tests); nbgrader
generates the student version, and N distinct student submissions are written from it (a mix of right answers,
wrong values, untouched stubs and exceptions).

A real assignment of the course (`--assignment assignments/hw1-supervised`: a folder with `source/` and
`mutants/`): its source folder as it is (nbgrader's source format, `assignment.toml` included, so the engine
grades under the assignment's own limits), and `--assignment-n` submissions made from nbgrader's release of it,
right and wrong in turn: the reference solution (the source's solution cells), and the assignment's mutants
(`mutants/*/<stem>.ipynb`: wrong submissions that pass the visible tests), each made distinct by a comment.
With `--pass-copy`, also a copy of that assignment whose solution and test bodies are `pass` (see
`bench/_submissions.py` for what it keeps and why), graded the same way: the engine's own cost per submission.

Each homework is graded twice, timing each: with nbgrader's own `nbgrader autograde` in a temporary course folder
(one process for all submissions), and with the engine's command line (`python -m graders autograde-batch ...
--json`, the sandbox on; or `autograde` once per submission with `--mode cli`). Both must give the same score to
every grade cell of every submission. It prints the engine's sandbox mode and each side's seconds per
submission. `--runs R` repeats the whole measurement R times (the courses are built once), printing the load
average before each run, and each figure's median at the end. The last line is `speedup_vs_nbgrader: X`, the
median over the runs of nbgrader's seconds / the engine's seconds on the synthetic homework (on the real
assignment with `--no-synthetic`). The exit status is 1 when any score differs.

    .venv/bin/python bench/grading_throughput.py [--n 40] [--workers 2] [--mode batch|cli] [--keep DIR]
        [--assignment DIR [--assignment-n 10] [--pass-copy] [--no-synthetic]] [--runs 1]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _engine_runs import EngineRun, compare, engine_scores_batch, engine_scores_cli
from _nbgrader_course import NbgraderCourse, add_submissions, auto_scores, autograde_all, create_course
from _submissions import mixed_submissions, pass_copy, perfect_notebook, read_assignment, submission_kinds

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT = "hw_throughput"
STEM = "homework"

SETUP = """import numpy as np
import torch
from sklearn.linear_model import LinearRegression

rng = np.random.default_rng(6635)
X = rng.normal(size=(60, 2))
y = X @ np.array([1.5, -2.0]) + 0.5
"""

QUESTIONS = {
    "fit": '''def fit_coefficients(X, y):
    """The slope coefficients of a least-squares fit of y on X, with scikit-learn."""
    ### BEGIN SOLUTION
    return LinearRegression().fit(X, y).coef_
    ### END SOLUTION
''',
    "softmax": '''def softmax(t):
    """The softmax of a 1-d torch tensor."""
    ### BEGIN SOLUTION
    return torch.softmax(t, dim=-1)
    ### END SOLUTION
''',
    "standardize": '''def standardize(v):
    """v rescaled to mean 0 and standard deviation 1 (numpy)."""
    ### BEGIN SOLUTION
    return (v - v.mean()) / v.std()
    ### END SOLUTION
''',
}

TESTS = {
    "test_fit": (
        2,
        "coef = fit_coefficients(X, y)\nassert coef.shape == (2,)\n"
        "### BEGIN HIDDEN TESTS\nassert np.allclose(coef, [1.5, -2.0])\n### END HIDDEN TESTS",
    ),
    "test_softmax": (
        1,
        "p = softmax(torch.tensor([0.0, 0.0, 0.0, 0.0]))\nassert torch.allclose(p, torch.full((4,), 0.25))\n"
        "### BEGIN HIDDEN TESTS\nq = softmax(torch.tensor([1.0, 2.0, 3.0]))\n"
        "assert torch.allclose(q.sum(), torch.tensor(1.0)) and bool(q[2] > q[1] > q[0])\n### END HIDDEN TESTS",
    ),
    "test_standardize": (
        1,
        "z = standardize(np.arange(5.0))\n"
        "### BEGIN HIDDEN TESTS\nassert abs(z.mean()) < 1e-9 and abs(z.std() - 1) < 1e-9\n### END HIDDEN TESTS",
    ),
}


def _meta(grade_id: str, *, grade: bool, solution: bool, locked: bool, points: float | None = None) -> dict:
    meta: dict[str, object] = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
    }
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def source_notebook() -> NotebookNode:
    """The instructor's notebook: setup, then each question followed by its test cell."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    cells = [
        nbformat.v4.new_markdown_cell("# Throughput homework\nnumpy, scikit-learn and torch."),
        nbformat.v4.new_code_cell(SETUP, metadata=_meta("setup", grade=False, solution=False, locked=True)),
    ]
    for (grade_id, source), (test_id, (points, test)) in zip(QUESTIONS.items(), TESTS.items(), strict=True):
        cells.append(
            nbformat.v4.new_code_cell(
                source, metadata=_meta(grade_id, grade=False, solution=True, locked=False)
            )
        )
        cells.append(
            nbformat.v4.new_code_cell(
                test, metadata=_meta(test_id, grade=True, solution=False, locked=True, points=points)
            )
        )
    nb.cells = cells
    return nb


RIGHT = {
    "fit": "def fit_coefficients(X, y):\n    return LinearRegression().fit(X, y).coef_\n",
    "softmax": "def softmax(t):\n    e = torch.exp(t - t.max())\n    return e / e.sum()\n",
    "standardize": "def standardize(v):\n    return (v - np.mean(v)) / np.std(v)\n",
}
ALTERNATIVE = {
    "fit": "def fit_coefficients(X, y):\n    A = np.c_[X, np.ones(len(X))]\n"
    "    return np.linalg.lstsq(A, y, rcond=None)[0][:2]\n",
    "softmax": "def softmax(t):\n    return torch.nn.functional.softmax(t, dim=0)\n",
    "standardize": "def standardize(v):\n    from sklearn.preprocessing import scale\n    return scale(v)\n",
}
WRONG = {
    "fit": "def fit_coefficients(X, y):\n    return np.zeros(2)\n",
    "softmax": "def softmax(t):\n    return t / t.sum()\n",
    "standardize": "def standardize(v):\n    return v - v.mean()\n",
}


def student_answers(index: int) -> dict[str, str | None]:
    """Question -> the student's cell source (None keeps the release's stub). Five kinds of students."""
    kind = index % 5
    answers: dict[str, str | None] = dict(ALTERNATIVE if kind == 4 else RIGHT)
    if kind == 1:
        answers["fit"] = WRONG["fit"]
    elif kind == 2:
        answers["softmax"] = None
        answers["standardize"] = WRONG["standardize"]
    elif kind == 3:
        answers["softmax"] = WRONG["softmax"]
        answers["fit"] = "def fit_coefficients(X, y):\n    raise ValueError('not today')\n"
    return {k: (f"# student {index:03d}\n{v}" if v is not None else None) for k, v in answers.items()}


def student_notebook(release: NotebookNode, answers: dict[str, str | None]) -> NotebookNode:
    nb = nbformat.from_dict(json.loads(json.dumps(release)))
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if answers.get(grade_id) is not None:
            cell.source = answers[grade_id]
    return nb


@dataclass(frozen=True)
class Homework:
    """A homework ready to grade: its nbgrader course and the submitted/ tree (built once, graded each run)."""

    label: str
    course: NbgraderCourse
    submitted: Path
    n: int
    stems: tuple[str, ...]


@dataclass(frozen=True)
class Figures:
    """One run on one homework."""

    nbgrader_s: float
    engine_s: float
    n: int
    problems: list[str]

    @property
    def speedup(self) -> float:
        return self.nbgrader_s / self.engine_s


def synthetic_homework(root: Path, *, n: int) -> Homework:
    course = create_course(root=root, assignment=ASSIGNMENT, notebooks={STEM: source_notebook()})
    release = course.release_notebook(STEM)
    submissions = {f"s{i:03d}": {STEM: student_notebook(release, student_answers(i))} for i in range(n)}
    submitted = add_submissions(course=course, submissions=submissions)
    print(f"[synthetic] {ASSIGNMENT} (numpy, scikit-learn, torch), {n} submissions in {root}", flush=True)
    return Homework("synthetic", course, submitted, n, (STEM,))


def real_homework(root: Path, *, folder: Path, n: int) -> Homework:
    assignment = read_assignment(folder)
    course = create_course(
        root=root, assignment=assignment.name, notebooks=assignment.notebooks, files=assignment.files
    )
    releases = {stem: course.release_notebook(stem) for stem in assignment.notebooks}
    submitted = add_submissions(
        course=course, submissions=mixed_submissions(assignment=assignment, releases=releases, n=n)
    )
    kinds = submission_kinds(assignment=assignment, n=n)
    wrong = sorted(set(kinds) - {"reference"})
    print(
        f"[{assignment.name}] nbgrader generated its release; {n} submissions in {root}: "
        f"{kinds.count('reference')} reference, {n - kinds.count('reference')} mutants ({', '.join(wrong)})",
        flush=True,
    )
    return Homework(assignment.name, course, submitted, n, tuple(assignment.notebooks))


def pass_homework(root: Path, *, folder: Path, n: int) -> Homework:
    assignment = read_assignment(folder)
    name = f"{assignment.name}-pass"
    notebooks = {stem: pass_copy(nb) for stem, nb in assignment.notebooks.items()}
    course = create_course(root=root, assignment=name, notebooks=notebooks, files=assignment.files)
    releases = {stem: course.release_notebook(stem) for stem in notebooks}
    submissions = {
        f"s{i:03d}": {
            stem: perfect_notebook(notebooks[stem], release, tag=f"student {i:03d}")
            for stem, release in releases.items()
        }
        for i in range(n)
    }
    submitted = add_submissions(course=course, submissions=submissions)
    print(f"[{name}] solution and test bodies replaced by pass; {n} submissions in {root}", flush=True)
    return Homework(name, course, submitted, n, tuple(notebooks))


def measure(homework: Homework, *, mode: str, workers: int) -> Figures:
    """Grade the homework with nbgrader, then with the engine; print and return the figures."""
    tag, n = f"[{homework.label}]", homework.n
    nb_seconds = autograde_all(course=homework.course)
    nb_scores = auto_scores(course=homework.course, stems=list(homework.stems))
    print(f"{tag} nbgrader autograde: {nb_seconds:.1f} s, {nb_seconds / n:.3f} s per submission", flush=True)
    grade: Callable[..., EngineRun] = engine_scores_batch if mode == "batch" else engine_scores_cli
    engine = grade(
        source=homework.course.root / "source" / homework.course.assignment,
        submitted=homework.submitted,
        workers=workers,
    )
    engine_seconds = engine.seconds
    print(f"{tag} engine sandbox: {engine.sandbox}")
    print(
        f"{tag} engine ({mode}, workers={workers}): {engine_seconds:.1f} s, "
        f"{engine_seconds / n:.3f} s per submission"
    )
    print(f"{tag} engine's own timings, median per submission (s): {engine.describe_timings()}")
    problems = compare(nb_scores, engine.scores)
    totals = sorted({sum(cells.values()) for cells in nb_scores.values()})
    print(f"{tag} distinct nbgrader totals: {totals}")
    print(f"{tag} scores agree: {not problems} ({len(nb_scores)} submissions compared cell by cell)")
    for line in problems[:20]:
        print(f"{tag}   mismatch {line}")
    figures = Figures(nb_seconds, engine_seconds, n, problems)
    print(f"{tag} speedup: {figures.speedup:.2f}", flush=True)
    return figures


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min; {os.cpu_count()} cores)"


def summarise(results: dict[str, list[Figures]]) -> None:
    """Each homework's figures run by run, and their medians."""
    print("summary (seconds per submission: nbgrader / engine, speedup):")
    for label, runs in results.items():
        each = ", ".join(
            f"{f.nbgrader_s / f.n:.3f} / {f.engine_s / f.n:.3f} ({f.speedup:.2f}x)" for f in runs
        )
        nb_median = statistics.median(f.nbgrader_s / f.n for f in runs)
        engine_median = statistics.median(f.engine_s / f.n for f in runs)
        speedup_median = statistics.median(f.speedup for f in runs)
        print(f"  {label}: runs {each}")
        print(
            f"  {label}: median nbgrader {nb_median:.3f} s, engine {engine_median:.3f} s per submission, "
            f"speedup {speedup_median:.2f}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--n", type=int, default=40, help="synthetic submissions (default 40)")
    parser.add_argument("--workers", type=int, default=2, help="engine workers (default 2)")
    parser.add_argument("--mode", choices=("batch", "cli"), default="batch", help="engine entry point")
    parser.add_argument("--keep", type=Path, help="build the courses in this folder and keep it")
    parser.add_argument("--assignment", type=Path, help="also a course assignment folder (source/, mutants/)")
    parser.add_argument("--assignment-n", type=int, default=10, help="its submissions (default 10)")
    parser.add_argument("--pass-copy", action="store_true", help="also its copy with `pass` bodies")
    parser.add_argument("--no-synthetic", action="store_true", help="only the real assignment")
    parser.add_argument("--runs", type=int, default=1, help="repeat the measurement (default 1)")
    args = parser.parse_args(argv)
    if (args.pass_copy or args.no_synthetic) and args.assignment is None:
        parser.error("--pass-copy and --no-synthetic need --assignment")
    root = args.keep or Path(tempfile.mkdtemp(prefix="grading-throughput-"))
    try:
        homeworks = [] if args.no_synthetic else [synthetic_homework(root / "course", n=args.n)]
        if args.assignment is not None:
            homeworks.append(real_homework(root / "real", folder=args.assignment, n=args.assignment_n))
            if args.pass_copy:
                homeworks.append(pass_homework(root / "pass", folder=args.assignment, n=args.assignment_n))
        results: dict[str, list[Figures]] = {hw.label: [] for hw in homeworks}
        for run in range(1, args.runs + 1):
            print(f"run {run} of {args.runs}: load average {load_average()}", flush=True)
            for homework in homeworks:
                results[homework.label].append(measure(homework, mode=args.mode, workers=args.workers))
        print(f"load average at the end: {load_average()}")
        if args.runs > 1 or len(homeworks) > 1:
            summarise(results)
        first = results[homeworks[0].label]
        disagree = any(f.problems for runs in results.values() for f in runs)
        print(f"scores agree in every run: {not disagree}")
        print(f"speedup_vs_nbgrader: {statistics.median(f.speedup for f in first):.2f}")
        return 1 if disagree else 0
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
