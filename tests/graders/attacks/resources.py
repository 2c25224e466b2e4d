"""The "resources" assignment and the submissions that try to exhaust, outlive or crash the grader.

Limits are lowered in its assignment.toml (5 s per cell, 512 MB, 64 processes) so the suite stays fast. The
attacks: an infinite loop that ignores SIGTERM and SIGINT, a memory bomb, a fork bomb whose children keep forking
and ignore SIGTERM, 400 MB of printed output (through sys.stdout and the raw file descriptors), daemons that
detach from the session, a file that is not JSON and a notebook of another assignment. Each must end with exit
status 0 and a result, and no process of the submission may outlive the grading.
"""

from __future__ import annotations

import nbformat

from . import tamper
from .cases import AttackCase
from .notebooks import Assignment, locked, md, solution, student_notebook, test

MAX_PROCESSES = 64
TOML = f"""[course]
title = "adversarial corpus"

[limits]
cell_timeout_s = 5
total_timeout_s = 90
memory_mb = 512
max_processes = {MAX_PROCESSES}
"""

SOLUTION = '''def answer():
    """Return the answer to everything."""
    ### BEGIN SOLUTION
    return 42
    ### END SOLUTION
'''

ASSIGNMENT = Assignment(
    name="resources",
    notebooks={
        "resources": [
            md("# Resources"),
            locked("setup", "import os\nimport sys\nimport time\n"),
            solution("answers", SOLUTION),
            test("test_answer", 1, "### BEGIN HIDDEN TESTS\nassert answer() == 42\n### END HIDDEN TESTS\n"),
            test(
                "probe_forks",
                1,
                '"""The fork bomb (if any) hit the process limit."""\n'
                'if "FORKED" in globals():\n'
                f"    assert ERRNO is not None and FORKED <= {MAX_PROCESSES}, (FORKED, ERRNO)\n",
            ),
        ]
    },
    toml=TOML,
)

INFINITE_LOOP = """import signal
signal.signal(signal.SIGTERM, signal.SIG_IGN)
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGHUP, signal.SIG_IGN)


def answer():
    while True:
        pass
"""

MEMORY_BOMB = """def answer():
    hog = []
    while True:
        hog.append(b"x" * (128 << 20))
"""

FORK_BOMB = """import os
import signal
import time

FORKED = 0
ERRNO = None
for _ in range(3000):
    try:
        pid = os.fork()
    except OSError as exc:
        ERRNO = exc.errno
        break
    if pid == 0:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            while True:
                os.fork()
        except OSError:
            pass
        time.sleep(600)
        os._exit(0)
    FORKED += 1


def answer():
    return 0
"""

OUTPUT_FLOOD = """import os
import sys

_chunk = "x" * (1 << 20) + "\\n"
for _ in range(300):
    sys.stdout.write(_chunk)
sys.stdout.flush()
for _ in range(50):
    os.write(1, _chunk.encode())
    os.write(2, _chunk.encode())


def answer():
    return 0
"""

DAEMONS = """import ctypes
import os
import signal
import subprocess
import sys
import time

subprocess.Popen(
    [sys.executable, "-c",
     "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)", "@@MARKER@@"],
    start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
)
_pid = os.fork()
if _pid == 0:
    os.setsid()
    if os.fork() == 0:
        for _sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(_sig, signal.SIG_IGN)
        ctypes.CDLL(None).prctl(15, b"@@MARKER@@", 0, 0, 0)
        time.sleep(600)
    os._exit(0)
os.waitpid(_pid, 0)


def answer():
    return 0
"""

OTHER_ASSIGNMENT = nbformat.writes(
    student_notebook(tamper.ASSIGNMENT.notebooks["tamper"], answers={"answers": tamper.HONEST})
)


def _heavy(name: str, vector: str, code: str, **expect: object) -> AttackCase:
    return AttackCase(
        name=name,
        assignment=ASSIGNMENT,
        vector=vector,
        answers={"answers": code},
        zero=("test_answer",),
        heavy=True,
        **expect,  # type: ignore[arg-type]
    )


CASES: list[AttackCase] = [
    AttackCase(
        name="resources_honest",
        assignment=ASSIGNMENT,
        vector="control: the instructor's answer gets every point",
        answers={"answers": SOLUTION},
        zero=(),
        passed=("*",),
        honest=True,
    ),
    _heavy(
        "infinite_loop",
        "infinite loop in the tested function, SIGTERM/SIGINT/SIGHUP ignored",
        INFINITE_LOOP,
        statuses={"test_answer": ("timeout",)},
    ),
    _heavy(
        "memory_bomb",
        "memory bomb (128 MB blocks until the limit)",
        MEMORY_BOMB,
        statuses={"test_answer": ("error", "timeout")},
    ),
    _heavy(
        "fork_bomb", "fork bomb; children keep forking and ignore SIGTERM", FORK_BOMB, passed=("probe_forks",)
    ),
    _heavy("output_flood", "400 MB printed through sys.stdout and raw fds 1 and 2", OUTPUT_FLOOD),
    AttackCase(
        name="daemons",
        assignment=ASSIGNMENT,
        vector="detached children: a new-session Popen and a double-forked daemon ignoring SIGTERM/SIGHUP",
        answers={"answers": DAEMONS},
        zero=("test_answer",),
    ),
    AttackCase(
        name="not_json",
        assignment=ASSIGNMENT,
        vector="the submitted .ipynb is not JSON",
        raw={"resources": b"this is not a notebook {\x00\xff"},
        error=True,
    ),
    AttackCase(
        name="other_assignment",
        assignment=ASSIGNMENT,
        vector="a notebook of another assignment (fully correct there) under this assignment's name",
        raw={"resources": OTHER_ASSIGNMENT},
        error=True,
    ),
]
