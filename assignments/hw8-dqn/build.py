"""Build homework 8 (value-based deep RL): the nbgrader source notebook, assignment.toml and the mutants.

Run from anywhere: ``.venv/bin/python assignments/hw8-dqn/build.py``. The outputs are committed;
rebuilding gives identical files.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from cells_parts import TARGETS  # noqa: E402
from cells_setup import INTRO  # noqa: E402
from cells_training import TRAINING  # noqa: E402
from mutants_spec import MUTANTS  # noqa: E402
from nbbuild import write_assignment  # noqa: E402

ASSIGNMENT_TOML = """
[course]
title = "Homework 8: Value-based deep RL"
release_session = 5
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
        stem="dqn",
        cells=[*INTRO, *TARGETS, *TRAINING],
        mutants=MUTANTS,
        assignment_toml=ASSIGNMENT_TOML,
    )


if __name__ == "__main__":
    main()
