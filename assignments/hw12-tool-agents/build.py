"""Build homework 12 (agents that call tools): the nbgrader source notebook, assignment.toml and the mutants.

Run from anywhere: ``.venv/bin/python assignments/hw12-tool-agents/build.py``. The outputs are committed;
rebuilding gives identical files.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from cells_agents import REACT, RESTOCK, TREE  # noqa: E402
from cells_tools import INTRO, PARSE, VALIDATE  # noqa: E402
from mutants_spec import MUTANTS  # noqa: E402
from nbbuild import write_assignment  # noqa: E402

ASSIGNMENT_TOML = """
[course]
title = "Homework 12: Agents that call tools"
release_session = 9
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
        stem="tool_agents",
        cells=[*INTRO, *VALIDATE, *PARSE, *REACT, *RESTOCK, *TREE],
        mutants=MUTANTS,
        assignment_toml=ASSIGNMENT_TOML,
    )


if __name__ == "__main__":
    main()
