"""Build homework 11 (learning from preferences and rewards): the source notebook, assignment.toml and mutants.

Run from anywhere: ``.venv/bin/python assignments/hw11-preferences/build.py``. The outputs are committed;
rebuilding gives identical files.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from cells_grpo import GRPO  # noqa: E402
from cells_preferences import INTRO, PREFERENCES  # noqa: E402
from mutants_spec import MUTANTS  # noqa: E402
from nbbuild import write_assignment  # noqa: E402

ASSIGNMENT_TOML = """
[course]
title = "Homework 11: Learning from preferences and rewards"
release_session = 8
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
        stem="preferences",
        cells=[*INTRO, *PREFERENCES, *GRPO],
        mutants=MUTANTS,
        assignment_toml=ASSIGNMENT_TOML,
    )


if __name__ == "__main__":
    main()
