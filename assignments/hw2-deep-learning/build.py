"""Build homework 2 (deep learning): the nbgrader source notebook, assignment.toml and the mutants.

Run from anywhere: ``.venv/bin/python assignments/hw2-deep-learning/build.py``. The outputs are committed;
rebuilding gives identical files.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from cells_numpy import INTRO, NUMPY_NET  # noqa: E402
from cells_torch import TORCH_LOOP  # noqa: E402
from mutants_spec import MUTANTS  # noqa: E402
from nbbuild import write_assignment  # noqa: E402

ASSIGNMENT_TOML = """
[course]
title = "Homework 2: Deep learning from the chain rule up"
release_session = 2
requires_gpu = false
late_policy = "percent_per_day"
late_percent = 10

[limits]
cell_timeout_s = 40
total_timeout_s = 60
memory_mb = 2048
"""


def main() -> None:
    write_assignment(
        root=HERE,
        stem="deep_learning",
        cells=[*INTRO, *NUMPY_NET, *TORCH_LOOP],
        mutants=MUTANTS,
        assignment_toml=ASSIGNMENT_TOML,
    )


if __name__ == "__main__":
    main()
