"""Tampering variants beyond the adversarial corpus: patches that fire at fork time or while the test runs.

Each submission gives a wrong answer and then tries to make ``np.allclose`` or ``==`` say yes at the moment the
test runs. Every one must score 0 and raise a staff flag; the honest control scores full marks with no flag.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graders import autograde
from graders.engine import Pool

from .conftest import code_cell, write_assignment

WRONG = "def v():\n    return np.array([0.0])\n"
ATTACKS = {
    "at_fork_thread": WRONG + "import os, threading, time\nimport numpy\n"
    "def _loop():\n    while True:\n        numpy.allclose = lambda *a, **k: True\n        time.sleep(0.0001)\n"
    "os.register_at_fork(after_in_child=lambda: threading.Thread(target=_loop, daemon=True).start())\n",
    "patch_from_called_function": "import numpy\n"
    "def v():\n    numpy.allclose = lambda *a, **k: True\n    return np.array([0.0])\n",
    "finalizer_repatch": WRONG
    + "import gc, numpy\nclass _Later:\n    def __del__(self):\n        numpy.allclose = lambda *a, **k: True\n"
    "_a = _Later(); _b = _Later(); _a.other = _b; _b.other = _a\ndel _a, _b\n",
    "code_swap_in_called_function": "import numpy\n"
    "def _yes(*a, **k):\n    return True\n"
    "def v():\n    numpy._core.numeric.isclose._implementation.__code__ = (lambda a, b, rtol=0, atol=0, equal_nan=False: [True]).__code__\n"
    "    return np.array([0.0])\n",
}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cells = [
        code_cell("import numpy as np\n", gid="setup", locked=True),
        code_cell(
            "def v():\n    ### BEGIN SOLUTION\n    return np.array([1.0])\n    ### END SOLUTION\n",
            gid="sol",
            solution=True,
        ),
        code_cell(
            "x = v()\nassert np.allclose(x, [1.0])\nassert np.allclose(v(), [1.0])\n",
            gid="t1",
            grade=True,
            points=1,
        ),
    ]
    return write_assignment(tmp_path_factory.mktemp("tamper") / "src" / "hw", cells)


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_scores_zero(attack: str, source: Path, light_pool: Pool, tmp_path: Path) -> None:
    nb = json.loads((source / "hw.ipynb").read_text())
    nb["cells"][1]["source"] = ATTACKS[attack]
    (tmp_path / "hw.ipynb").write_text(json.dumps(nb))
    result = autograde(source, tmp_path, pool=light_pool)
    assert result.notebooks["hw"].cells["t1"].score == 0.0
    assert result.score == 0.0
    assert result.flags, "tampering must be flagged for staff"


def test_honest_control(source: Path, light_pool: Pool) -> None:
    result = autograde(source, source, pool=light_pool)
    assert result.score == 1.0
    assert result.flags == ()
