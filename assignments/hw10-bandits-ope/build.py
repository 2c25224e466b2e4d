"""Build homework 10 (bandits and off-policy evaluation): the source notebook, assignment.toml and mutants.

Run from anywhere: ``.venv/bin/python assignments/hw10-bandits-ope/build.py``. The outputs are committed;
rebuilding gives identical files.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from cells_bandits import BANDITS, INTRO  # noqa: E402
from cells_ope import OPE  # noqa: E402
from mutants_spec import MUTANTS  # noqa: E402
from nbbuild import write_assignment  # noqa: E402

ASSIGNMENT_TOML = """
[course]
title = "Homework 10: Bandits and off-policy evaluation"
release_session = 7
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
        stem="bandits_ope",
        cells=[*INTRO, *BANDITS, *OPE],
        mutants=MUTANTS,
        assignment_toml=ASSIGNMENT_TOML,
    )


if __name__ == "__main__":
    main()
