"""What makes a warm submission cheap, each shown by its behaviour: the timed phases in the result, the tamper
check's watched words (same findings as the full pass), the janitor that runs the slot-user steps, and the lazy
library imports preloaded for the tester."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from graders import autograde, engine
from graders.engine import Pool
from graders.plan import source_imports
from graders.sandbox import descendants, uid_processes

from .conftest import REPO, code_cell, notebook, write_assignment

PHASES = {
    "prepare_s",
    "slot_s",
    "reset_s",
    "run_s",
    "finish_s",
    "score_s",
    "total_s",
    "cells_s",
    "tests_s",
    "replay_s",
    "tamper_s",
    "tester_start_s",
    "tester_names_s",
    "tester_bind_s",
    "tester_test_s",
}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cells = [
        code_cell("import numpy as np\n", gid="setup", locked=True),
        code_cell(
            "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n",
            gid="sol",
            solution=True,
        ),
        code_cell("assert double(2) == 4\n", gid="t1", grade=True, points=1),
        code_cell("assert np.allclose(double(np.ones(2)), 2)\n", gid="t2", grade=True, points=1),
    ]
    return write_assignment(tmp_path_factory.mktemp("phases") / "src" / "hw", cells)


def test_the_result_times_each_named_phase(source: Path, light_pool: Pool) -> None:
    result = autograde(source, source, pool=light_pool)
    assert result.score == 2.0
    assert PHASES <= set(result.timings), sorted(PHASES - set(result.timings))
    assert all(type(value) is float for value in result.timings.values())
    assert set(result.to_json()["timings"]) >= PHASES


def _janitor(pool: Pool) -> list[int]:
    """Host pids of the slot's janitor: a Python child of the zygote (the Python child of bubblewrap) that
    does not run as the slot's uid, while no submission is running."""
    (slot,) = pool._idle
    assert slot.proc is not None and slot.lease is not None
    python: dict[int, tuple[int, int]] = {}  # pid -> (parent pid, uid)
    for pid in descendants(slot.proc.pid):
        try:
            status = Path(f"/proc/{pid}/status").read_text().splitlines()
            command = Path(f"/proc/{pid}/comm").read_text()
        except OSError:
            continue
        if command.startswith("python"):  # not bubblewrap's own processes
            ppid = next(int(line.split()[1]) for line in status if line.startswith("PPid:"))
            uid = next(int(line.split()[1]) for line in status if line.startswith("Uid:"))
            python[pid] = (ppid, uid)
    return [pid for pid, (ppid, uid) in python.items() if ppid in python and uid != slot.lease.uid]


def test_the_janitor_runs_the_slot_steps_and_the_zygote_does_them_itself_when_it_is_gone(
    source: Path, tmp_path: Path
) -> None:
    pool = Pool(size=1, preload=("numpy", "IPython"))
    try:
        daemon = (
            "def double(x):\n    return 2 * x\n"
            "import subprocess, sys\n"
            "subprocess.Popen([sys.executable, '-c', 'import time\\ntime.sleep(600)'], start_new_session=True)\n"
        )
        nb = notebook(json.loads((source / "hw.ipynb").read_text())["cells"])
        nb["cells"][1]["source"] = daemon
        (tmp_path / "hw.ipynb").write_text(json.dumps(nb))
        assert autograde(source, tmp_path, pool=pool).score == 2.0
        (slot,) = pool._idle
        assert slot.ready_info.get("janitor") is True
        janitors = _janitor(pool)
        assert len(janitors) == 1, janitors
        assert uid_processes(slot.lease.uid) == []  # type: ignore[union-attr]
        os.kill(janitors[0], signal.SIGKILL)
        # without its janitor the zygote kills and wipes with its own children: the daemon is still gone
        assert autograde(source, tmp_path, pool=pool).score == 2.0
        assert pool._idle and uid_processes(pool._idle[0].lease.uid) == []  # type: ignore[union-attr]
    finally:
        pool.close()


WATCH_PROBE = textwrap.dedent(
    """
    import gc, json, os, sys, types
    sys.path.insert(0, REPO)
    import numpy as np
    import numpy.testing
    from graders.harness import guard

    gc.collect()
    snap = guard.Snapshot(None)
    gc.freeze()
    assert snap._watch is not None, "the watch could not be built"

    def cell_of_a_library_function():
        for func in snap._funcs:
            for cell in func.__closure__ or ():
                try:
                    cell.cell_contents
                except ValueError:
                    continue
                return cell
        raise AssertionError("no library closure")

    ATTACKS = {
        "none": lambda: None,
        "module_attribute": lambda: setattr(np, "allclose", lambda *a, **k: True),
        "code": lambda: setattr(numpy.testing.assert_array_less, "__code__", (lambda *a, **k: None).__code__),
        "defaults": lambda: setattr(numpy.testing.assert_allclose, "__defaults__", (1e12, 1e12, True, "", True)),
        "closure_cell": lambda: setattr(cell_of_a_library_function(), "cell_contents", lambda: 1),
        "class_dunder": lambda: setattr(json.JSONEncoder, "__eq__", lambda self, other: True),
        "sys_modules": lambda: sys.modules.__setitem__("numpy", types.ModuleType("numpy")),
    }

    def in_fork(attack, full):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            ATTACKS[attack]()
            changed = snap._watch.changed()
            flags = snap._restore(None) if full else snap.restore()
            seen = sorted(changed.functions) + sorted(changed.cells) + sorted(changed.classes)
            os.write(write, json.dumps({"flags": sorted(flags), "seen": bool(seen) or changed.sys_modules}).encode())
            os._exit(0)
        os.close(write)
        data = b""
        while chunk := os.read(read, 65536):
            data += chunk
        os.waitpid(pid, 0)
        return json.loads(data)

    print(json.dumps({name: [in_fork(name, False), in_fork(name, True)] for name in ATTACKS}))
    """
)


def test_the_watched_words_find_what_the_full_pass_finds() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", WATCH_PROBE.replace("REPO", repr(str(REPO)))],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    for attack, (fast, full) in results.items():
        assert fast["flags"] == full["flags"], (attack, fast, full)
        if attack == "none":
            assert fast["flags"] == [], fast
        else:
            assert fast["flags"], f"{attack}: not flagged"
    assert not results["none"][0]["seen"], "an untouched process shows no changed function, cell or class"
    for attack in ("code", "defaults", "closure_cell", "class_dunder", "sys_modules"):
        assert results[attack][0]["seen"], attack


def _nb(source: str) -> dict:
    return notebook([code_cell(source)])


def test_a_source_that_makes_torch_optimizers_preloads_what_torch_imports_for_the_first_one() -> None:
    for text in (
        "import torch\nopt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)\n",
        "from torch import optim\n",
        "from torch.optim import Adam\n",
    ):
        assert "torch._dynamo" in source_imports(notebooks=[_nb(text)]), text
    assert "torch._dynamo" not in source_imports(
        notebooks=[_nb("import torch\nx = torch.ones(2).softmax(0)\n")]
    )


def test_the_source_is_read_and_hashed_once_while_its_files_are_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cells = [code_cell("x = 1\n", gid="t1", grade=True, points=1)]
    folder = write_assignment(tmp_path / "src" / "hw", cells)
    hashed: list[Path] = []
    real = engine.source_hash
    monkeypatch.setattr(engine, "source_hash", lambda path: hashed.append(path) or real(path))
    first = engine.cached_source(folder)
    assert engine.cached_source(folder) is first and len(hashed) == 1
    # the instructor edits the source: same folder, new content
    cells[0]["metadata"]["nbgrader"]["points"] = 3
    write_assignment(folder, cells)
    second = engine.cached_source(folder)
    assert len(hashed) == 2 and second is not first
    assert (first.max_score, second.max_score) == (1.0, 3.0)


def test_one_tester_runs_a_notebooks_tests_and_a_timed_out_test_gets_a_fresh_one(tmp_path: Path) -> None:
    cells = [
        code_cell("import numpy as np\n", gid="setup", locked=True),
        code_cell("import os, json\njson._grader_tester = os.getpid()\n", gid="t1", grade=True, points=1),
        # the same process as the first test, and not the notebook's
        code_cell(
            "import os, json\nassert json._grader_tester == os.getpid()\n"
            "assert os.getpid() not in NOTEBOOK_PIDS\n",
            gid="t2",
            grade=True,
            points=1,
        ),
        code_cell("import time\nwhile True:\n    time.sleep(0.05)\n", gid="t3", grade=True, points=1),
        # after a timeout the tester was killed: the next test runs in a new one, and passes
        code_cell(
            "import json\nassert not hasattr(json, '_grader_tester')\n", gid="t4", grade=True, points=1
        ),
    ]
    cells.insert(1, code_cell("import os\nNOTEBOOK_PIDS = [os.getpid()]\n", gid="pids", locked=True))
    folder = write_assignment(tmp_path / "src" / "hw", cells, toml="[limits]\ncell_timeout_s = 5\n")
    pool = Pool(size=1, preload=("numpy", "IPython"))
    try:
        result = autograde(folder, folder, pool=pool)
    finally:
        pool.close()
    scores = {gid: (cell.score, cell.status) for gid, cell in result.notebooks["hw"].cells.items()}
    assert scores == {
        "t1": (1.0, "passed"),
        "t2": (1.0, "passed"),
        "t3": (0.0, "timeout"),
        "t4": (1.0, "passed"),
    }, scores
