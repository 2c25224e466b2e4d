"""What an attack case is, and what the test suite expects of the engine for it.

A case is one student submission (built from one corpus assignment) plus the outcome the engine must produce:
which grade cells must score 0, which must pass (probe cells that prove the attack code really ran, or honest
answers), whether a staff flag is required, and which canaries (process markers, files) must be gone afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .notebooks import Assignment

# The suite puts this cell before the solution cell of every attack. It sets the kernel's process name (comm)
# to the case's marker, inherited by forks: after grading, no process with that name may remain.
PRELUDE = """import ctypes
try:
    ctypes.CDLL(None).prctl(15, b"@@MARKER@@", 0, 0, 0)
except Exception:
    pass
"""


@dataclass(frozen=True)
class AttackCase:
    """One submission against one corpus assignment.

    `answers` replace solution cells by grade_id; `before`/`after` add student cells around a grade_id.
    `raw` (stem -> text or bytes) replaces the notebook files entirely (broken uploads, wrong assignment).
    `zero` lists grade cells that must score 0 ("*" = every grade cell, and the total must be 0);
    `passed` lists grade cells that must be status passed with full points.
    `flag` requires a non-empty `flags` list; `error` requires the result's `error` to be set.
    `heavy` cases (resource exhaustion) are graded one at a time after the light ones.
    """

    name: str
    assignment: Assignment
    vector: str
    answers: Mapping[str, str] = field(default_factory=dict)
    before: Mapping[str, Sequence[str]] = field(default_factory=dict)
    after: Mapping[str, Sequence[str]] = field(default_factory=dict)
    raw: Mapping[str, str | bytes] | None = None
    zero: Sequence[str] = ("*",)
    passed: Sequence[str] = ()
    statuses: Mapping[str, Sequence[str]] = field(default_factory=dict)
    flag: bool = False
    error: bool = False
    heavy: bool = False
    honest: bool = False
