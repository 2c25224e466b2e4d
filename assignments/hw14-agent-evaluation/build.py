"""Build homework 14 (evaluating agents): the nbgrader source notebook, assignment.toml and the mutants.

Run from anywhere: ``.venv/bin/python assignments/hw14-agent-evaluation/build.py``. The outputs are
committed; rebuilding gives identical files.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from cells_compare import CONTAMINATION, PAIRED  # noqa: E402
from cells_harness import HARNESS, INTERVALS, INTRO, PASS_AT_K  # noqa: E402
from mutants_spec import MUTANTS  # noqa: E402
from nbbuild import write_assignment  # noqa: E402

ASSIGNMENT_TOML = """
[course]
title = "Homework 14: Evaluating agents"
release_session = 11
requires_gpu = false
late_policy = "percent_per_day"
late_percent = 10

[limits]
cell_timeout_s = 30
total_timeout_s = 60
memory_mb = 2048
"""


def main() -> None:
    write_assignment(
        root=HERE,
        stem="agent_evaluation",
        cells=[*INTRO, *HARNESS, *INTERVALS, *PASS_AT_K, *PAIRED, *CONTAMINATION],
        mutants=MUTANTS,
        assignment_toml=ASSIGNMENT_TOML,
    )


if __name__ == "__main__":
    main()
