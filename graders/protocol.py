"""The host's state machine for one notebook's events from the sandbox.

The notebook process (S) reports cells, outputs, the start of each test and staff flags with frames on the
events pipe (its own key). Verdicts never come from there: the trusted tester T reports to the zygote, which
relays its result and the end of the test on the control pipe (the slot's key, which S cannot use: it has no
descriptor of that pipe). The host hands a test's full source to the zygote once, when S reaches that test, and
accepts a result only for the test that is running, once. A test result or end on the events pipe is ignored and
flagged for staff: it can only come from submission code speaking for the harness.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MAX_FLAGS = 100
# Phases the notebook process S times (seconds summed over the notebook; S is the submission's process, so these
# are diagnostics, never used for a decision): its own cells, serving the tests (replay included), replaying the
# tests' visible parts, and the tamper check after the last cell.
NOTEBOOK_PHASES = ("cells_s", "tests_s", "replay_s", "tamper_s")
# Phases the trusted tester T times for each test (summed over the notebook's tests): from its fork to its
# confinement, asking S for the notebook's names, binding the locked cells' imports and definitions, the test.
TESTER_PHASES = ("tester_start_s", "tester_names_s", "tester_bind_s", "tester_test_s")


def reported_timings(value: Any, phases: tuple[str, ...]) -> dict[str, float]:
    """The known phases of a reported ``{phase: seconds}`` map, as finite non-negative floats."""
    if not isinstance(value, dict):
        return {}
    out: dict[str, float] = {}
    for phase in phases:
        seconds = value.get(phase)
        if isinstance(seconds, int | float) and not isinstance(seconds, bool) and 0 <= seconds < 1e7:
            out[phase] = float(seconds)
    return out


@dataclass
class NotebookRun:
    """What the sandbox reported for one notebook (raw, before scoring)."""

    cells: dict[int, dict[str, Any]] = field(default_factory=dict)
    tests: dict[int, dict[str, Any]] = field(default_factory=dict)
    timeouts: set[int] = field(default_factory=set)
    flags: list[str] = field(default_factory=list)
    finished: bool = False
    exit_info: dict[str, Any] = field(default_factory=dict)
    total_timeout: bool = False
    output_overflow: bool = False
    timings: dict[str, float] = field(default_factory=dict)  # NOTEBOOK_PHASES and TESTER_PHASES, in seconds


class EventHandler:
    """Consumes frames for one notebook run and fills a :class:`NotebookRun`."""

    def __init__(
        self, *, tests: dict[int, str], run: NotebookRun, on_cell: Callable[[int], None] | None
    ) -> None:
        self.tests = tests
        self.run = run
        self.on_cell = on_cell
        self.current: int | None = None
        self.current_kind: str | None = None
        self.started_at: float | None = None
        self.requested: int | None = None
        self.fed_tests: set[int] = set()
        self.ended_tests: set[int] = set()
        self.wait_test_end: Callable[[], None] = lambda: None

    def flag(self, text: str) -> None:
        if len(self.run.flags) < MAX_FLAGS and text not in self.run.flags:
            self.run.flags.append(text)

    def cell_deadline(self, timeout: float) -> float | None:
        if self.current is None or self.started_at is None or self.current in self.run.timeouts:
            return None
        extra = 5.0 if self.current_kind == "test" else 0.0  # S enforces the test's own limit first
        return self.started_at + timeout + extra

    def timed_out(self) -> None:
        if self.current is not None:
            self.run.timeouts.add(self.current)

    def still_in_timed_out_cell(self) -> bool:
        return self.current is not None and self.current in self.run.timeouts

    def pending_feeds(self) -> list[tuple[int, str]]:
        if self.requested is None or self.requested in self.fed_tests:
            return []
        return [(self.requested, self.tests[self.requested])]

    def fed(self, index: int) -> None:
        self.fed_tests.add(index)

    def _begin(self, index: int, kind: str) -> None:
        self.current, self.current_kind, self.started_at = index, kind, time.monotonic()
        if self.on_cell is not None:
            self.on_cell(index)

    def handle(self, frame: dict[str, Any]) -> None:
        """A frame from the notebook process (events pipe)."""
        kind = frame.get("t")
        index = frame.get("i")
        if (
            kind in ("cell_start", "test_start", "done")
            and self.current is not None
            and self.current_kind == "test"
        ):
            self.wait_test_end()  # S goes on only after the zygote reported the test's end
        if kind == "begin":
            return
        if kind == "done":
            self.current = None
            self.run.finished = True
            self.run.timings.update(reported_timings(frame.get("timings"), NOTEBOOK_PHASES))
            return
        if kind == "tamper_flags":
            flags = frame.get("flags")
            for text in flags[:50] if isinstance(flags, list) else []:
                self.flag(f"after the last cell: {str(text)[:300]}")
            return
        if not isinstance(index, int):
            self.flag("malformed message from the notebook")
            return
        if kind == "cell_start":
            if self.current is not None or index in self.tests:
                self.flag("out-of-order message from the notebook")
                return
            self._begin(index, "cell")
        elif kind == "cell_end":
            if self.current != index or self.current_kind != "cell":
                self.flag("out-of-order message from the notebook")
                return
            self.run.cells[index] = {
                "status": frame.get("status"),
                "outputs": frame.get("outputs") or [],
                "count": frame.get("count"),
            }
            self.current = None
        elif kind == "test_start":
            if self.current is not None or index not in self.tests or index in self.ended_tests:
                self.flag("out-of-order message from the notebook")
                return
            self._begin(index, "test")
            self.requested = index
        elif kind in ("test_result", "test_end", "need_source"):
            self.flag("a test verdict from the notebook process was ignored (possible forgery)")
        else:
            self.flag("unknown message from the notebook")

    def handle_control(self, frame: dict[str, Any]) -> None:
        """A frame relayed by the zygote from the trusted tester (control pipe)."""
        kind = frame.get("t")
        index = frame.get("i")
        if not isinstance(index, int):
            return
        if kind == "test_result":
            if self.current != index or index not in self.fed_tests or index in self.run.tests:
                self.flag("a test result arrived out of order")
                return
            self.run.tests[index] = frame
            for phase, seconds in reported_timings(frame.get("timing"), TESTER_PHASES).items():
                self.run.timings[phase] = self.run.timings.get(phase, 0.0) + seconds
        elif kind == "test_end":
            if self.current != index or self.current_kind != "test":
                self.flag("out-of-order end of a test")
                return
            self.ended_tests.add(index)
            result = self.run.tests.get(index)
            if frame.get("outcome") == "timeout":
                self.run.timeouts.add(index)
            elif result is None:
                self.run.tests[index] = {"outcome": "died", "status": frame.get("status"), "flags": []}
            self.current = None
