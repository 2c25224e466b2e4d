"""Tests never assert how fast the machine is (issue 10, defect 16).

A test may wait for an outcome with a generous bound (``while time.monotonic() < deadline``, ``wait_for``);
it must not compare an elapsed time with a limit, because a loaded machine then fails it. This module scans
every Python file under ``tests/`` and fails on any assertion that compares elapsed time with ``<``, ``<=``,
``>`` or ``>=``: a difference of clock readings (``time.monotonic()``, ``time.time()``,
``time.perf_counter()``, ...), a variable holding one, or a value named like a duration (``elapsed``,
``duration``, ``took``, ``seconds``, ...), in an ``assert``, a unittest ``assertLess``-style call, or an
``if`` that fails the test.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
CLOCKS = {"monotonic", "monotonic_ns", "time", "time_ns", "perf_counter", "perf_counter_ns", "process_time"}
TIMING_WORDS = {"elapsed", "duration", "durations", "took", "seconds", "secs", "wall", "latency", "runtime"}
ORDERING = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
UNITTEST_ORDERING = {"assertLess", "assertLessEqual", "assertGreater", "assertGreaterEqual"}


def _is_clock_call(node: ast.AST) -> bool:
    """``time.monotonic()``, ``monotonic()``, ``time.perf_counter_ns()`` and the like (not ``datetime.time()``)."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if name not in CLOCKS:
        return False
    return not (isinstance(func, ast.Attribute) and _dotted(func.value) not in ("time", ""))


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _words(name: str) -> set[str]:
    return {part for part in name.lower().replace("-", "_").split("_") if part}


def _timing_named(node: ast.AST) -> bool:
    """A name, attribute or string subscript that says it holds a duration (``elapsed``, ``r.took``)."""
    if isinstance(node, ast.Name):
        return bool(_words(node.id) & TIMING_WORDS)
    if isinstance(node, ast.Attribute):
        return bool(_words(node.attr) & TIMING_WORDS)
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        return isinstance(node.slice.value, str) and bool(_words(node.slice.value) & TIMING_WORDS)
    return False


class _Scanner(ast.NodeVisitor):
    def __init__(self, path: str) -> None:
        self.path = path
        self.clock_names: set[str] = set()  # names assigned a clock reading (start = time.monotonic())
        self.elapsed_names: set[str] = set()  # names assigned a difference of clock readings
        self.problems: list[str] = []

    # --- what counts as elapsed time ---
    def _is_clock_value(self, node: ast.AST) -> bool:
        return _is_clock_call(node) or (isinstance(node, ast.Name) and node.id in self.clock_names)

    def _is_elapsed(self, node: ast.AST) -> bool:
        for sub in ast.walk(node):
            if (
                isinstance(sub, ast.BinOp)
                and isinstance(sub.op, ast.Sub)
                and (self._is_clock_value(sub.left) or self._is_clock_value(sub.right))
            ):
                return True
            if isinstance(sub, ast.Name) and sub.id in self.elapsed_names:
                return True
            if _timing_named(sub):
                return True
        return False

    def _timing_comparison(self, node: ast.AST) -> bool:
        return any(
            isinstance(sub, ast.Compare)
            and any(isinstance(op, ORDERING) for op in sub.ops)
            and any(self._is_elapsed(part) for part in [sub.left, *sub.comparators])
            for sub in ast.walk(node)
        )

    def _report(self, node: ast.AST, what: str) -> None:
        self.problems.append(f"{self.path}:{getattr(node, 'lineno', '?')}: {what}")

    # --- bookkeeping of assignments (in source order) ---
    def _remember(self, targets: list[ast.AST], value: ast.AST | None) -> None:
        if value is None:
            return
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        for name in names:
            if self._is_clock_value(value):
                self.clock_names.add(name)
            elif self._is_elapsed(value) and not _timing_named(ast.Name(id=name)):
                self.elapsed_names.add(name)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.generic_visit(node)
        self._remember(list(node.targets), node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.generic_visit(node)
        self._remember([node.target], node.value)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.generic_visit(node)
        self._remember([node.target], node.value)

    # --- the assertions ---
    def visit_Assert(self, node: ast.Assert) -> None:
        if self._timing_comparison(node.test):
            self._report(node, "assert compares elapsed time")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        if name in UNITTEST_ORDERING and any(self._is_elapsed(arg) for arg in node.args[:2]):
            self._report(node, f"{name} compares elapsed time")
        self.generic_visit(node)

    def visit_If(self, node: ast.If) -> None:
        if self._timing_comparison(node.test) and any(_fails_test(stmt) for stmt in node.body):
            self._report(node, "fails the test on elapsed time")
        self.generic_visit(node)


def _fails_test(stmt: ast.stmt) -> bool:
    for sub in ast.walk(stmt):
        if isinstance(sub, ast.Raise):
            return True
        if isinstance(sub, ast.Call) and _dotted(sub.func) in ("pytest.fail", "self.fail", "fail"):
            return True
    return False


def timing_assertions(source: str, path: str = "<snippet>") -> list[str]:
    """Every place in ``source`` that asserts something about elapsed time (``path:line: what``)."""
    scanner = _Scanner(path)
    scanner.visit(ast.parse(source, filename=path))
    return scanner.problems


def test_no_test_asserts_elapsed_time() -> None:
    problems: list[str] = []
    for path in sorted(TESTS.rglob("*.py")):
        rel = str(path.relative_to(TESTS.parent))
        problems += timing_assertions(path.read_text(encoding="utf-8"), rel)
    assert problems == [], "tests wait for outcomes; they never assert how fast the machine is"


BANNED = {
    "difference": "import time\nstart = time.monotonic()\nwork()\nassert time.monotonic() - start < 5\n",
    "variable": "import time\nt0 = time.perf_counter()\nwork()\nspent = time.perf_counter() - t0\nassert spent <= 30\n",
    "named": "elapsed = measure()\nassert elapsed < 1.0\n",
    "attribute": "result = run()\nassert 0 < result.seconds <= 30\n",
    "subscript": "assert timings['total_s'] < 10 and timings['wall_s'] > 0\n",
    "unittest": "self.assertLess(duration, 2)\n",
    "if-fail": (
        "import time, pytest\nstart = time.time()\nwork()\n"
        "if time.time() - start > 30:\n    pytest.fail('too slow')\n"
    ),
    "from-import": "from time import monotonic\nstarted = monotonic()\nwork()\nassert monotonic() - started < 3\n",
}
ALLOWED = {
    "deadline loop": (
        "import time\ndeadline = time.monotonic() + 90\n"
        "while time.monotonic() < deadline:\n    if done():\n        break\n    time.sleep(0.1)\n"
    ),
    "deadline raise": (
        "import time\ndeadline = time.monotonic() + 90\nwhile True:\n"
        "    if time.monotonic() > deadline:\n        raise AssertionError('timed out waiting')\n"
    ),
    "limits from a config": "assert 0 < config['limits']['cell_timeout_s'] <= config['limits']['total_timeout_s']\n",
    "timedelta arithmetic": "assert lock + dt.timedelta(seconds=1) > lock\n",
    "equality of durations": "elapsed = 3\nassert elapsed == 3\n",
}


def test_scan_flags_every_kind_of_timing_assertion() -> None:
    for name, source in BANNED.items():
        assert timing_assertions(source), f"the scan misses the {name} case"


def test_scan_allows_deadlines_and_non_timing_comparisons() -> None:
    for name, source in ALLOWED.items():
        assert timing_assertions(source) == [], f"the scan wrongly flags the {name} case"


def test_scan_fails_on_the_health_test_as_it_was() -> None:
    """The assertion that failed on a loaded machine (35 s against 30) is caught."""
    snippet = (
        "stopped_at = time.monotonic()\nstop_worker(proc)\n"
        "wait_for(lambda: worker_down(), timeout=30)\nassert time.monotonic() - stopped_at <= 30\n"
    )
    assert timing_assertions(snippet, "test_health.py") == ["test_health.py:4: assert compares elapsed time"]
