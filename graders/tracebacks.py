"""What a student may see of a failed or errored test: the exception and a traceback without hidden parts.

The test process reports an exception as data: its type, its message and the location of each frame (file
name, line number, function name), never the text of a line. This module, on the host, rebuilds the traceback
from the sources the host holds:

* a frame in the test cell's visible part shows its line (from the instructor's source);
* a frame in a student's cell shows the student's line (from the submission), and a frame in the visible part
  of an earlier test cell shows that line (from the released notebook);
* library frames are collapsed to one line;
* a frame in a hidden part (between nbgrader's BEGIN/END HIDDEN TESTS markers) ends the traceback: neither
  its line nor anything it called is shown, and the exception's message is withheld (the type is shown);
* the message of a hidden assertion is shown only when the instructor opts in by writing
  ``# feedback: show message`` on the assertion (``assert cond, "message"  # feedback: show message``) and
  the assertion itself raised.

A message raised from the visible part is shown unless it contains text of the hidden part that the visible
part lacks (a function that read its caller's source cannot smuggle it out through an exception message).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from graders import format as fmt

SHOW_MESSAGE_MARKER = "feedback: show message"
LEAK_WINDOW = 12
MIN_HIDDEN_LINE = 6
RE_TEST_FILE = re.compile(r"^<test-(\d+)>$")
RE_CELL_FILE = re.compile(r"^<cell-(\d+)>$")
RE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]{0,79}$|^<(module|lambda|listcomp|dictcomp|setcomp|genexpr)>$")
HIDDEN_FRAME = "  Test cell {gid}, in a hidden test (its lines are not shown)"
WITHHELD = "the message of a hidden test is not shown"
UNTRUSTED = "an exception of a class defined in the submission"


@dataclass(frozen=True)
class CellSource:
    """How a cell is named in a traceback and the text its line numbers refer to."""

    label: str
    source: str


@dataclass(frozen=True)
class VisibleError:
    """The student's view of a test's exception."""

    ename: str
    evalue: str
    traceback: tuple[str, ...]
    from_hidden: bool
    withheld: bool

    @property
    def summary(self) -> str:
        """One line for the verdict: ``Type: message``, or only the type when the message is not shown."""
        if self.from_hidden and not self.evalue:
            return f"hidden tests failed ({self.ename})" if self.ename else "hidden tests failed"
        if self.from_hidden:
            return f"hidden tests failed: {self.evalue}"
        return f"{self.ename}: {self.evalue}" if self.evalue else self.ename


def hidden_line_numbers(source: str) -> set[int]:
    """1-based numbers of the lines of hidden regions, marker lines included (stray END markers too)."""
    try:
        lines, spans = fmt._scan_regions(source, begin=fmt.BEGIN_HIDDEN, end=fmt.END_HIDDEN, where=0)
    except fmt.FormatError:  # unbalanced markers: every line counts as hidden
        return set(range(1, len(source.split("\n")) + 1))
    hidden = {n + 1 for start, stop in spans for n in range(start, stop + 1)}
    hidden |= {n + 1 for n, line in enumerate(lines) if fmt.END_HIDDEN in line or fmt.BEGIN_HIDDEN in line}
    return hidden


def _opted_in(source: str, lineno: int) -> bool:
    """Whether the assertion that covers ``lineno`` carries the opt-in marker on one of its lines."""
    lines = source.split("\n")
    span = (lineno, lineno)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        tree = None
    if tree is not None:
        found = False
        for node in ast.walk(tree):
            if isinstance(node, ast.Assert) and node.lineno <= lineno <= (node.end_lineno or node.lineno):
                span, found = (node.lineno, node.end_lineno or node.lineno), True
        if not found:
            return False
    return any(
        SHOW_MESSAGE_MARKER in lines[n - 1] for n in range(span[0], span[1] + 1) if 0 < n <= len(lines)
    )


def _leaks(text: str, *, hidden_text: str, hidden_lines: list[str], visible_text: str) -> bool:
    """Whether ``text`` carries text of the hidden part that the visible part does not contain."""
    if not hidden_text or not text:
        return False
    for line in hidden_lines:
        if len(line) >= MIN_HIDDEN_LINE and line in text and line not in visible_text:
            return True
    for start in range(max(0, len(text) - LEAK_WINDOW + 1)):
        window = text[start : start + LEAK_WINDOW]
        if window in hidden_text and window not in visible_text:
            return True
    return False


def _line(source: str, lineno: int) -> str:
    lines = source.split("\n")
    return lines[lineno - 1].strip() if 0 < lineno <= len(lines) else ""


def visible_error(
    *,
    record: Mapping[str, Any],
    index: int,
    grade_id: str,
    full_source: str,
    release_source: str,
    cell_source: Callable[[int], CellSource | None],
) -> VisibleError | None:
    """The student's view of the exception in a test's record, or None when the record has none."""
    error = record.get("error")
    if not isinstance(error, dict):
        return None
    hidden = hidden_line_numbers(full_source)
    full_lines = full_source.split("\n")
    hidden_lines = [full_lines[n - 1].strip() for n in sorted(hidden) if 0 < n <= len(full_lines)]
    hidden_text = "\n".join(hidden_lines)
    test_lines = error.get("test_lines")
    # line numbers refer to the text the test process compiled; if it is not the host's text, fail closed
    numbers_match = test_lines == len(full_source.splitlines()) or not test_lines
    trusted = bool(error.get("trusted"))
    ename = str(error.get("ename") or "")[:100] if trusted else ""
    if ename and not RE_NAME.match(ename):
        ename = "Exception"
    evalue = str(error.get("evalue") or "")[:2000] if trusted else ""
    raw_frames = error.get("frames")
    frames: list[Any] = raw_frames if isinstance(raw_frames, list) else []

    out: list[str] = ["Traceback (most recent call last):"]
    from_hidden = False
    in_library = False
    saw_test_frame = False
    last_hidden_line: int | None = None
    raised_at_hidden_line = False
    previous: tuple[str, int] | None = None
    for position, frame in enumerate(frames):
        if frame is None:  # frames left out of a very long traceback
            if hidden:
                from_hidden = True
                out.append(HIDDEN_FRAME.format(gid=grade_id))
                break
            out.append("  … (frames left out)")
            continue
        if not (isinstance(frame, list) and len(frame) == 3):
            continue
        filename, lineno, name = str(frame[0]), frame[1] if isinstance(frame[1], int) else 0, str(frame[2])
        named = RE_NAME.match(name) is not None and not name.startswith("<")
        if (filename, lineno) == previous:  # the comparison guard's lambdas run on the line that called them
            continue
        previous = (filename, lineno)
        if m := RE_TEST_FILE.match(filename):
            saw_test_frame = True
            if int(m.group(1)) != index or lineno in hidden or (hidden and not numbers_match):
                from_hidden = True
                last_hidden_line = lineno
                raised_at_hidden_line = position == len(frames) - 1
                out.append(HIDDEN_FRAME.format(gid=grade_id))
                break
            where = f", in {name}" if named and name in release_source else ""
            out += [f"  Test cell {grade_id}, line {lineno}{where}", f"    {_line(full_source, lineno)}"]
            in_library = False
        elif m := RE_CELL_FILE.match(filename):
            cell = cell_source(int(m.group(1)))
            if cell is None:
                continue
            where = f", in {name}" if named and name in cell.source else ""  # a name the cell defines
            out += [f"  {cell.label}, line {lineno}{where}", f"    {_line(cell.source, lineno)}"]
            in_library = False
        elif not in_library:
            out.append("  … (library code)")
            in_library = True
    if not saw_test_frame and hidden:
        from_hidden = True  # e.g. the test did not compile: its message may quote a hidden line

    withheld = False
    if not trusted:
        final = UNTRUSTED
    else:
        if from_hidden:
            opted = (
                ename == "AssertionError"
                and raised_at_hidden_line
                and last_hidden_line is not None
                and numbers_match
                and _opted_in(full_source, last_hidden_line)
            )
            if not opted:
                withheld, evalue = bool(evalue), ""
        elif _leaks(evalue, hidden_text=hidden_text, hidden_lines=hidden_lines, visible_text=release_source):
            withheld, evalue = True, ""
        final = f"{ename}: {evalue}" if evalue else ename
        if withheld:
            final += f" ({WITHHELD})"
    out.append(final)
    return VisibleError(
        ename=ename, evalue=evalue, traceback=tuple(out), from_hidden=from_hidden, withheld=withheld
    )
