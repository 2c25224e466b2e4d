"""nbgrader's scoring semantics beyond the compat corpus, and the merge of a submission with its source."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graders import ProgressEvent, autograde, release
from graders.batch import autograde_batch
from graders.engine import Pool

from .conftest import code_cell, write_assignment

PARTIAL = {
    "p_half": ("answer()\n0.5\n", 1.0, 0.5),
    "p_numpy": ("import numpy as np\nnp.float64(0.25)\n", 1.0, 0.25),
    "p_bool": ("True\n", 1.0, 1.0),  # nbgrader: "True" is not a number -> full credit
    "p_string": ("'0.5'\n", 1.0, 1.0),
    "p_negative": ("-1\n", 2.0, 2.0),  # nbgrader: negative -> full credit
    "p_stderr": ("import sys\nsys.stderr.write('warning')\n", 1.0, 0.0),  # any stderr -> 0
    "p_error": ("raise ValueError('boom')\n", 1.0, 0.0),
    # a float subclass counts by its real value, not by its __float__ (nbgrader reads its repr, 0.1)
    "p_forged_float": ("class F(float):\n    def __float__(self):\n        return 0.9\nF(0.1)\n", 1.0, 0.1),
    "p_object": ("class Score:\n    pass\nScore()\n", 1.0, 0.0),
}


def build(root: Path) -> Path:
    cells = [
        code_cell("import math\n", gid="setup", locked=True),
        code_cell(
            "def answer():\n    ### BEGIN SOLUTION\n    return 42\n    ### END SOLUTION\n",
            gid="sol",
            solution=True,
        ),
        code_cell("assert answer() == 42\n", gid="t_visible", grade=True, points=2),
    ]
    cells += [code_cell(src, gid=gid, grade=True, points=pts) for gid, (src, pts, _) in PARTIAL.items()]
    return write_assignment(root / "src" / "sem", cells, stem="sem")


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("sem"))


def test_partial_credit_and_error_rules(source: Path, light_pool: Pool) -> None:
    events: list[ProgressEvent] = []
    result = autograde(source, source, pool=light_pool, on_progress=events.append)
    cells = result.notebooks["sem"].cells
    for gid, (_, points, expected) in PARTIAL.items():
        assert cells[gid].score == expected, (gid, cells[gid])
        assert cells[gid].max_score == points
    assert cells["p_error"].status == "error" and "boom" in cells["p_error"].message
    assert cells["t_visible"].status == "passed"
    phases = [e.phase for e in events]
    assert phases[0] == "preparing" and phases[-1] == "done" and "running" in phases and "scoring" in phases
    assert any(e.cell_index is not None and e.notebook == "sem" for e in events)


def test_edited_deleted_and_repointed_test_cells_are_restored(
    source: Path, light_pool: Pool, tmp_path: Path
) -> None:
    release(source, tmp_path / "rel")
    nb = json.loads((tmp_path / "rel" / "sem.ipynb").read_text())
    kept = []
    for cell in nb["cells"]:
        gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if gid == "sol":
            cell["source"] = "def answer():\n    return 41\n"
        elif gid == "t_visible":
            cell["source"] = "pass\n"  # edited test cell
            cell["metadata"]["nbgrader"]["points"] = 100
        elif gid == "p_half":
            continue  # deleted test cell
        kept.append(cell)
    nb["cells"] = kept
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "sem.ipynb").write_text(json.dumps(nb))
    result = autograde(source, sub, pool=light_pool)
    cells = result.notebooks["sem"].cells
    assert cells["t_visible"].score == 0.0 and cells["t_visible"].max_score == 2.0
    assert "p_half" in cells and cells["p_half"].max_score == 1.0
    assert any("t_visible" in f and "edited" in f for f in result.flags)
    assert any("p_half" in f and "missing" in f for f in result.flags)


def test_batch_grades_nbgrader_layout(source: Path, tmp_path: Path) -> None:
    root = tmp_path / "submitted"
    for student, answer in (("amy", 42), ("bob", 0)):
        folder = root / student / "sem"
        folder.mkdir(parents=True)
        nb = json.loads((source / "sem.ipynb").read_text())
        for cell in nb["cells"]:
            if cell["metadata"].get("nbgrader", {}).get("grade_id") == "sol":
                cell["source"] = f"def answer():\n    return {answer}\n"
        (folder / "sem.ipynb").write_text(json.dumps(nb))
    items = list(autograde_batch(source=source, submitted_root=root, workers=2, preload=("numpy", "IPython")))
    scores = {
        item.student: item.result.notebooks["sem"].cells["t_visible"].score for item in items if item.result
    }
    assert scores == {"amy": 2.0, "bob": 0.0}


def test_plotting_and_libraries_in_honest_work_raise_no_flag(light_pool: Pool, tmp_path: Path) -> None:
    cells = [
        code_cell(
            "%matplotlib inline\nimport matplotlib.pyplot as plt\nimport numpy as np\n"
            "from sklearn.linear_model import LinearRegression\n",
            gid="setup",
            locked=True,
        ),
        code_cell(
            "def fit():\n    ### BEGIN SOLUTION\n    plt.plot([1, 2, 3])\n"
            "    return LinearRegression().fit(np.array([[1.0], [2.0]]), np.array([1.0, 2.0]))\n"
            "    ### END SOLUTION\n",
            gid="sol",
            solution=True,
        ),
        code_cell(
            "plt.plot([1, 2])\nplt.close('all')\nassert abs(fit().coef_[0] - 1) < 1e-9\n",
            gid="t_fit",
            grade=True,
            points=1,
        ),
    ]
    source = write_assignment(tmp_path / "src" / "plots", cells, stem="plots")
    result = autograde(source, source, pool=light_pool)
    assert result.score == 1.0
    assert result.flags == ()


def test_process_pools_and_semaphores_work_as_in_jupyter(light_pool: Pool, tmp_path: Path) -> None:
    """joblib and multiprocessing need POSIX semaphores (/dev/shm): what runs in Jupyter must run in grading."""
    cells = [
        code_cell("import numpy as np\n", gid="setup", locked=True),
        code_cell(
            "def total():\n    ### BEGIN SOLUTION\n"
            "    import multiprocessing as mp\n"
            "    from joblib import Parallel, delayed\n"
            "    lock = mp.Semaphore(2)\n"
            "    with lock:\n"
            "        parts = Parallel(n_jobs=2)(delayed(abs)(-i) for i in range(10))\n"
            "    return sum(parts)\n"
            "    ### END SOLUTION\n",
            gid="sol",
            solution=True,
        ),
        code_cell("assert total() == 45\n", gid="t_total", grade=True, points=1),
    ]
    source = write_assignment(tmp_path / "src" / "pools", cells, stem="pools")
    result = autograde(source, source, pool=light_pool)
    assert result.notebooks["pools"].cells["t_total"].status == "passed", result.notebooks["pools"].cells
