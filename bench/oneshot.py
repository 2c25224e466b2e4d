"""One-shot grading: one `python -m graders autograde` process against one `nbgrader autograde`, one submission.

The question it answers: how long does an instructor wait for one notebook graded from the command line? It sets
up a throwaway nbgrader course with a course assignment (default `assignments/hw1-supervised`: its source folder
as it is, `assignment.toml` included) and one student whose submission is the reference solution (the source's
solution cells in nbgrader's release of it). That setup is not timed. Then, `--runs` times (default 3), it times
two commands, each a process of its own started from scratch:

* `python -m graders autograde SOURCE SUBMISSION --json` (the engine's one-shot command line, sandbox on);
* `nbgrader autograde ASSIGNMENT --student s000 --force` in the course folder (nbgrader's database and course
  were set up before; the command itself, with its start-up, its kernel and its gradebook writes, is counted).

Before the timed runs each command runs once untimed, so that neither pays for a cold page cache. Both must give
every grade cell the same score. It prints each run's seconds, the ratio and the load average before the run;
the last line is `oneshot_speedup_vs_nbgrader: X`, the median of the runs' ratios (nbgrader's seconds / the
engine's). The exit status is 1 when any score differs.

    .venv/bin/python bench/oneshot.py [--assignment assignments/hw1-supervised] [--runs 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _engine_runs import EngineRun, cell_scores, compare, engine_autograde_one, sandbox_of, timing_medians
from _nbgrader_course import NbgraderCourse, add_submissions, auto_scores, autograde_all, create_course
from _submissions import perfect_notebook, read_assignment

REPO = Path(__file__).resolve().parents[1]
STUDENT = "s000"


def one_run(*, course: NbgraderCourse, stems: list[str]) -> tuple[float, EngineRun, list[str]]:
    """One nbgrader autograde and one engine autograde of the student: nbgrader's seconds, the engine's run,
    the disagreements."""
    nb_seconds = autograde_all(course=course, student=STUDENT)
    result, engine_seconds = engine_autograde_one(
        source=course.root / "source" / course.assignment,
        submission=course.root / "submitted" / STUDENT / course.assignment,
    )
    scores = {STUDENT: cell_scores(result)}
    engine = EngineRun(scores, engine_seconds, sandbox_of([result]), timing_medians([result]))
    return nb_seconds, engine, compare(auto_scores(course=course, stems=stems), scores)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--assignment", type=Path, default=REPO / "assignments" / "hw1-supervised")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build the course in this folder and keep it")
    args = parser.parse_args(argv)
    root = args.keep or Path(tempfile.mkdtemp(prefix="oneshot-"))
    try:
        assignment = read_assignment(args.assignment)
        course = create_course(
            root=root / "course",
            assignment=assignment.name,
            notebooks=assignment.notebooks,
            files=assignment.files,
        )
        submission = {
            stem: perfect_notebook(nb, course.release_notebook(stem), tag=f"student {STUDENT}")
            for stem, nb in assignment.notebooks.items()
        }
        add_submissions(course=course, submissions={STUDENT: submission})
        stems = list(assignment.notebooks)
        print(f"assignment: {assignment.name} ({args.assignment}), one reference submission in {root}")
        nb_s, engine, problems = one_run(course=course, stems=stems)
        print(f"warm-up (not counted): nbgrader {nb_s:.2f} s, engine {engine.seconds:.2f} s")
        print(f"engine sandbox: {engine.sandbox}")
        ratios, disagree = [], bool(problems)
        for run in range(1, args.runs + 1):
            load = " ".join(f"{x:.2f}" for x in os.getloadavg())
            nb_s, engine, problems = one_run(course=course, stems=stems)
            engine_s = engine.seconds
            ratios.append(nb_s / engine_s)
            disagree = disagree or bool(problems)
            print(
                f"run {run}: load average {load}; nbgrader autograde {nb_s:.2f} s, "
                f"python -m graders autograde {engine_s:.2f} s, ratio {nb_s / engine_s:.2f}; "
                f"scores agree: {not problems}"
            )
            print(f"  the engine's own timings (s): {engine.describe_timings()}")
            for line in problems:
                print(f"  mismatch {line}")
        print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"oneshot_speedup_vs_nbgrader: {statistics.median(ratios):.2f}")
        return 1 if disagree else 0
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
