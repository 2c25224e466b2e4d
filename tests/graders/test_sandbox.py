"""The sandbox as the student's code sees it, and the limits the engine survives.

Each case is one submission to a small assignment whose solution cell is replaced by the attack; every test cell
must report what the notebook observed, and the engine must return a result with nothing of the slot's uid left
running. Limits are lowered in the assignment's assignment.toml so that the cases stay quick.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from graders import autograde
from graders.engine import Pool
from graders.sandbox import DEFAULT_BASE_UID, uid_processes

from .conftest import REPO, code_cell, notebook, write_assignment

TOML = """[course]
title = "ignored by the engine"

[limits]
cell_timeout_s = 4
total_timeout_s = 60
memory_mb = 256
max_processes = 32
output_cell_bytes = 65536
output_total_bytes = 1048576
"""
SOLUTION = "def answer():\n    ### BEGIN SOLUTION\n    return 42\n    ### END SOLUTION\n"
PROBE = """import json, os, resource, socket
SEEN = {"uid": os.getuid(), "nproc": resource.getrlimit(resource.RLIMIT_NPROC)[0], "env": dict(os.environ)}
SEEN["reach"] = []
for host, port in [("127.0.0.1", 5432), ("127.0.0.1", 6379), ("::1", 6379), ("127.0.0.1", PORT)]:
    try:
        socket.create_connection((host, port), timeout=1).close()
        SEEN["reach"].append(port)
    except OSError:
        pass
SEEN["files"] = [p for p in ("REPO/pyproject.toml", "SOURCE/hw.ipynb", "/root/.bashrc", "/etc/shadow")
                 if os.path.exists(p)]
SEEN["write"] = []
for target in ("/tmp/x", "/opt/course-env/x", "/usr/x", "REPO/x"):
    try:
        open(target, "w").close()
        SEEN["write"].append(target)
    except OSError:
        pass
"""


def make_assignment(root: Path) -> Path:
    return write_assignment(
        root / "src" / "hw",
        [
            code_cell("import os\n", gid="setup", locked=True),
            code_cell(SOLUTION, gid="answer", solution=True),
            code_cell(
                "### BEGIN HIDDEN TESTS\nassert answer() == 42\n### END HIDDEN TESTS\n",
                gid="test_answer",
                grade=True,
                points=1,
            ),
        ],
        toml=TOML,
    )


def submit(root: Path, source: Path, code: str, *, name: str, last: str = "") -> Path:
    nb = json.loads((source / "hw.ipynb").read_text())
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "answer":
            cell["source"] = code
    if last:
        nb["cells"].append(code_cell(last))
    folder = root / "submitted" / name
    folder.mkdir(parents=True)
    (folder / "hw.ipynb").write_text(json.dumps(nb))
    return folder


@pytest.fixture(scope="module")
def assignment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_assignment(tmp_path_factory.mktemp("sandbox"))


def grade(source: Path, code: str, pool: Pool, tmp_path: Path, **kwargs: object):  # type: ignore[no-untyped-def]
    result = autograde(source, submit(tmp_path, source, code, name="s"), pool=pool, **kwargs)  # type: ignore[arg-type]
    assert result.sandbox.startswith("bwrap"), result.sandbox
    return result


def nothing_left(pool: Pool) -> None:
    for slot in pool._idle:  # the slot is idle again: none of its uid's processes may remain
        assert slot.lease is not None and slot.lease.uid is not None
        assert slot.lease.uid >= DEFAULT_BASE_UID
        assert uid_processes(slot.lease.uid) == []


def test_notebook_runs_unprivileged_without_network_files_or_secrets(
    assignment: Path, light_pool: Pool, tmp_path: Path
) -> None:
    server = socket.create_server(("0.0.0.0", 0))
    port = server.getsockname()[1]
    os.environ["GRADER_TEST_SECRET"] = "s3cret-value"
    try:
        code = PROBE.replace("PORT", str(port)).replace("REPO", str(REPO)).replace("SOURCE", str(assignment))
        code += "\nprint(json.dumps(SEEN))\ndef answer():\n    return 42\n"
        result = grade(assignment, code, light_pool, tmp_path, seed=7, env={"COURSE_FLAVOUR": "x1"})
    finally:
        server.close()
        del os.environ["GRADER_TEST_SECRET"]
    fb = result.notebooks["hw"].feedback_notebook
    printed = [o["text"] for c in fb["cells"] for o in c.get("outputs", []) if o.get("name") == "stdout"]
    seen = json.loads(next(t for t in printed if t.startswith("{")))
    assert seen["uid"] >= DEFAULT_BASE_UID and seen["uid"] != 0
    assert 0 < seen["nproc"] <= 32
    assert seen["reach"] == []
    assert seen["files"] == []
    assert seen["write"] == ["/tmp/x"]  # only the private scratch tmpfs is writable
    assert "GRADER_TEST_SECRET" not in seen["env"]
    assert seen["env"]["GRADER_SEED"] == "7" and seen["env"]["COURSE_FLAVOUR"] == "x1"
    assert not any(k.startswith(("DJANGO", "DATABASE", "PYTEST")) for k in seen["env"])
    assert result.notebooks["hw"].cells["test_answer"].status == "passed"
    assert not (REPO / "x").exists()
    nothing_left(light_pool)


LIMIT_CASES = {
    "infinite_loop": "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n",
    "memory_bomb": "blocks = []\nwhile True:\n    blocks.append(bytearray(50 * 1024 * 1024))\n",
    "fork_bomb": "import os, time\nfor _ in range(500):\n    try:\n        os.fork()\n    except OSError:\n        break\n"
    "time.sleep(300)\n",
    "sigterm_ignored": "import signal, subprocess, sys\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "subprocess.Popen([sys.executable, '-c', 'import signal,time\\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\\n"
    "time.sleep(600)'], start_new_session=True)\ndef answer():\n    return 0\n",
    "output_flood": "import os\nchunk = 'x' * 1_000_000\nfor _ in range(400):\n    print(chunk)\n"
    "    os.write(1, chunk.encode())\n",
    "os_exit": "import os\nos._exit(0)\n",
    "sys_exit": "import sys\nsys.exit(0)\n",
    "exit_in_test": "def answer():\n    import os\n    os._exit(0)\n",
}


@pytest.mark.parametrize("case", sorted(LIMIT_CASES))
def test_engine_survives_and_cleans_up(case: str, assignment: Path, light_pool: Pool, tmp_path: Path) -> None:
    result = grade(assignment, LIMIT_CASES[case], light_pool, tmp_path)
    cell = result.notebooks["hw"].cells["test_answer"]
    assert cell.score == 0.0
    assert cell.status in ("failed", "error", "timeout")
    assert result.max_score == 1.0
    nothing_left(light_pool)
    if case == "output_flood":
        fb = json.dumps(result.notebooks["hw"].feedback_notebook)
        assert len(fb) < 2 * 1024 * 1024
    if case == "infinite_loop":
        assert any("time limit" in f for f in result.flags)


def test_daemon_started_after_the_last_test_is_gone_when_grading_ends(
    assignment: Path, light_pool: Pool, tmp_path: Path
) -> None:
    daemon = (
        "import subprocess, sys\n"
        "subprocess.Popen([sys.executable, '-c', 'import signal, time\\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\\ntime.sleep(600)'], start_new_session=True)\n"
    )
    folder = submit(tmp_path, assignment, "def answer():\n    return 42\n", name="d", last=daemon)
    result = autograde(assignment, folder, pool=light_pool)
    assert result.score == 1.0
    nothing_left(light_pool)


def test_not_json_and_other_assignment_give_an_error_and_zero(
    assignment: Path, light_pool: Pool, tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "hw.ipynb").write_bytes(b"not a notebook {\x00")
    result = autograde(assignment, broken, pool=light_pool)
    assert result.error and "not a valid notebook" in result.error
    assert result.score == 0.0 and result.max_score == 1.0
    other = tmp_path / "other"
    other.mkdir()
    foreign = notebook([code_cell("x = 1\n", gid="q1", grade=True, points=5)])
    (other / "hw.ipynb").write_text(json.dumps(foreign))
    result = autograde(assignment, other, pool=light_pool)
    assert result.error and "another assignment" in result.error
    assert result.score == 0.0


def test_cli_json_contract(assignment: Path, tmp_path: Path) -> None:
    folder = submit(tmp_path, assignment, "def answer():\n    return 42\n", name="cli")
    proc = subprocess.run(
        [sys.executable, "-m", "graders", "autograde", str(assignment), str(folder), "--seed", "3", "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert set(payload) >= {
        "score",
        "max_score",
        "needs_manual",
        "notebooks",
        "flags",
        "timings",
        "resources",
        "sandbox",
        "error",
    }
    assert payload["score"] == 1.0
    assert payload["notebooks"]["hw"]["cells"]["test_answer"] == {
        "score": 1.0,
        "max_score": 1.0,
        "status": "passed",
        "message": "hidden tests passed",
    }
