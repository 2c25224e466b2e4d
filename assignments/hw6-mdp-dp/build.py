"""Build homework 6 (MDPs and dynamic programming): the source notebook, assignment.toml and the mutants.

Run from anywhere: ``.venv/bin/python assignments/hw6-mdp-dp/build.py``. The outputs are committed;
rebuilding gives identical files.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from cells_model import EVALUATION, INTRO, MODEL  # noqa: E402
from cells_solvers import POLICY_ITERATION, STRUCTURE, VALUE_ITERATION  # noqa: E402
from mutants_spec import MUTANTS  # noqa: E402
from nbbuild import write_assignment  # noqa: E402

ASSIGNMENT_TOML = """
[course]
title = "Homework 6: MDPs and dynamic programming"
release_session = 3
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
        stem="mdp_dp",
        cells=[*INTRO, *MODEL, *EVALUATION, *VALUE_ITERATION, *POLICY_ITERATION, *STRUCTURE],
        mutants=MUTANTS,
        assignment_toml=ASSIGNMENT_TOML,
    )


if __name__ == "__main__":
    main()
