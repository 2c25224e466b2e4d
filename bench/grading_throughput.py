"""Grading throughput: `nbgrader autograde` against our engine on the same N submissions.

Builds a homework in nbgrader's source format whose locked setup cell imports numpy, scikit-learn and torch
(three graded questions with visible and hidden tests), lets nbgrader generate the student version, and writes N
distinct student submissions from it (a mix of right answers, wrong values, untouched stubs and exceptions).
Then it grades all of them twice, timing each: with nbgrader's own `nbgrader autograde` in a temporary course
folder, and with the engine's command line (`python -m graders autograde-batch ... --json`, the sandbox on; or
`autograde` once per submission with `--mode cli`). It checks that both give the same score to every grade cell
of every submission, prints the engine's sandbox mode and the seconds per submission of each, and ends with the
line `speedup_vs_nbgrader: X`.

    .venv/bin/python bench/grading_throughput.py [--n 40] [--workers 2] [--mode batch|cli] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import nbformat
from nbformat import NotebookNode

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _nbgrader_course import add_submissions, auto_scores, autograde_all, create_course

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


def engine_scores_batch(*, source: Path, submitted: Path, workers: int) -> tuple[dict[str, dict], float, str]:
    """Grade everything with one `autograde-batch` run; student -> "stem/grade_id" -> score."""
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "graders", "autograde-batch", str(source), str(submitted),
         "--workers", str(workers), "--json"],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    if proc.returncode != 0 and not proc.stdout.strip():
        raise RuntimeError(f"autograde-batch failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    results = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    return {r["student"]: cell_scores(r) for r in results}, seconds, sandbox_of(results)


def engine_scores_cli(*, source: Path, submitted: Path, workers: int) -> tuple[dict[str, dict], float, str]:
    """Grade each submission with its own `python -m graders autograde --json` (workers ignored)."""
    scores: dict[str, dict] = {}
    results = []
    started = time.perf_counter()
    for folder in sorted(submitted.iterdir()):
        proc = subprocess.run(
            [sys.executable, "-m", "graders", "autograde", str(source), str(folder / ASSIGNMENT), "--json"],
            cwd=REPO, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if proc.returncode != 0:
            raise RuntimeError(f"autograde failed for {folder.name}:\n{proc.stderr[-4000:]}")
        result = json.loads(proc.stdout)
        results.append(result)
        scores[folder.name] = cell_scores(result)
    return scores, time.perf_counter() - started, sandbox_of(results)


def cell_scores(result: dict) -> dict[str, float]:
    return {
        f"{stem}/{grade_id}": float(cell["score"])
        for stem, notebook in (result.get("notebooks") or {}).items()
        for grade_id, cell in (notebook.get("cells") or {}).items()
        if cell.get("status") != "needs_manual"
    }


def sandbox_of(results: Sequence[dict]) -> str:
    modes = sorted({str(r.get("sandbox")) for r in results})
    return ", ".join(modes) if modes else "(no result)"


def compare(nbgrader: dict[str, dict[str, float]], engine: dict[str, dict[str, float]]) -> list[str]:
    problems = []
    for student in sorted(set(nbgrader) | set(engine)):
        ours, theirs = engine.get(student), nbgrader.get(student)
        if ours != theirs:
            problems.append(f"{student}: nbgrader {theirs} engine {ours}")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=40, help="number of student submissions (default 40)")
    parser.add_argument("--workers", type=int, default=2, help="engine workers (default 2)")
    parser.add_argument("--mode", choices=("batch", "cli"), default="batch", help="engine entry point")
    parser.add_argument("--keep", type=Path, help="build the course in this folder and keep it")
    args = parser.parse_args(argv)
    root = args.keep or Path(tempfile.mkdtemp(prefix="grading-throughput-"))
    try:
        course = create_course(
            root=root / "course", assignment=ASSIGNMENT, notebooks={STEM: source_notebook()}
        )
        release = course.release_notebook(STEM)
        submissions = {
            f"s{i:03d}": {STEM: student_notebook(release, student_answers(i))} for i in range(args.n)
        }
        submitted = add_submissions(course=course, submissions=submissions)
        print(
            f"homework: {ASSIGNMENT} (numpy, scikit-learn, torch), {args.n} submissions in {root}", flush=True
        )

        nb_seconds = autograde_all(course=course)
        nb_scores = auto_scores(course=course, stems=[STEM])
        print(
            f"nbgrader autograde: {nb_seconds:.1f} s, {nb_seconds / args.n:.3f} s per submission", flush=True
        )

        grade: Callable[..., tuple[dict[str, dict], float, str]] = (
            engine_scores_batch if args.mode == "batch" else engine_scores_cli
        )
        engine_scores, engine_seconds, sandbox = grade(
            source=course.root / "source" / ASSIGNMENT, submitted=submitted, workers=args.workers
        )
        print(f"engine sandbox: {sandbox}")
        print(
            f"engine ({args.mode}, workers={args.workers}): {engine_seconds:.1f} s, "
            f"{engine_seconds / args.n:.3f} s per submission"
        )
        problems = compare(nb_scores, engine_scores)
        totals = sorted({sum(cells.values()) for cells in nb_scores.values()})
        print(f"distinct nbgrader totals: {totals}")
        print(f"scores agree: {not problems} ({len(nb_scores)} submissions compared cell by cell)")
        for line in problems[:20]:
            print(f"  mismatch {line}")
        print(f"speedup_vs_nbgrader: {nb_seconds / engine_seconds:.2f}")
        return 1 if problems else 0
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
