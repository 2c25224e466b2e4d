"""An assignment that ships data files: the files reach the sandbox, in both bubblewrap modes.

The source folder holds ``weights.txt`` (and a nested ``data/offsets.csv``) next to the notebook; a locked
cell reads them, so an honest submission earns full marks only when the engine staged them into the
sandbox's working folder. A warm slot (bwrap-root) grades a second submission too: the files must be there
again after the slot's reset, and nothing a previous submission wrote may be left.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from graders import autograde
from graders.engine import Pool
from graders.release import release
from graders.sandbox import BWRAP

from .conftest import code_cell, write_assignment

TOML = """[course]
title = "ignored by the engine"

[limits]
cell_timeout_s = 30
total_timeout_s = 120
memory_mb = 512
"""
LOAD = (
    "from pathlib import Path\n"
    "WEIGHTS = [float(x) for x in Path('weights.txt').read_text().split()]\n"
    "OFFSET = float(Path('data/offsets.csv').read_text().splitlines()[1])\n"
)
SOLUTION = (
    "def weighted_total():\n"
    "    ### BEGIN SOLUTION\n"
    "    return sum(w * i for i, w in enumerate(WEIGHTS, start=1)) + OFFSET\n"
    "    ### END SOLUTION\n"
)
# weights 0.5 1.5 2.0 -> 0.5 + 3.0 + 6.0 = 9.5; offset 0.25
HIDDEN = "### BEGIN HIDDEN TESTS\nassert abs(weighted_total() - 9.75) < 1e-9\n### END HIDDEN TESTS\n"
LEFTOVER = "import os\nopen('left-by-first.txt', 'w').write('x')\n"
CLEAN = "import os\nassert not os.path.exists('left-by-first.txt')\n"


def make_assignment(root: Path) -> Path:
    source = write_assignment(
        root / "src" / "hw-data",
        [
            code_cell(LOAD, gid="load", locked=True),
            code_cell(SOLUTION, gid="answer", solution=True),
            code_cell(HIDDEN, gid="test_total", grade=True, points=2),
            code_cell(CLEAN, gid="test_clean", grade=True, points=1),
        ],
        toml=TOML,
    )
    (source / "weights.txt").write_text("0.5 1.5 2.0\n")
    (source / "data").mkdir()
    (source / "data" / "offsets.csv").write_text("offset\n0.25\n")
    return source


ANSWER = "def weighted_total():\n    return sum(w * i for i, w in enumerate(WEIGHTS, start=1)) + OFFSET\n"


def submit(root: Path, source: Path, *, name: str, extra: str = "") -> Path:
    """The released notebook with the student's answer (and ``extra`` code in the answer cell)."""
    released = root / "released" / name
    release(source, released)
    nb = json.loads((released / "hw.ipynb").read_text())
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "answer":
            cell["source"] = ANSWER + extra
    folder = root / "submitted" / name
    folder.mkdir(parents=True)
    (folder / "hw.ipynb").write_text(json.dumps(nb))
    return folder


@pytest.fixture(scope="module")
def assignment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_assignment(tmp_path_factory.mktemp("datafiles"))


@pytest.fixture(params=["bwrap-root", "bwrap-user"])
def mode_pool(request: pytest.FixtureRequest) -> Iterator[Pool]:
    if not Path(BWRAP).exists():
        pytest.skip(f"bubblewrap ({BWRAP}) is not installed")
    pool = Pool(size=1, mode=request.param, preload=("IPython",))
    yield pool
    pool.close()


def _lost(result) -> dict[str, float | None]:  # type: ignore[no-untyped-def]
    cells = result.notebooks["hw"].cells
    return {gid: c.score for gid, c in cells.items() if c.max_score and c.score != c.max_score}


def test_data_files_reach_the_sandbox(assignment: Path, mode_pool: Pool, tmp_path: Path) -> None:
    result = autograde(assignment, submit(tmp_path, assignment, name="first"), pool=mode_pool)
    assert result.sandbox.startswith(mode_pool.mode or ""), result.sandbox
    assert result.error is None
    assert _lost(result) == {}, result.flags
    assert result.score == 3


def test_second_submission_on_a_warm_slot_gets_the_data_files_again(
    assignment: Path, mode_pool: Pool, tmp_path: Path
) -> None:
    first = autograde(assignment, submit(tmp_path, assignment, name="first", extra=LEFTOVER), pool=mode_pool)
    assert _lost(first) == {"test_clean": 0.0}, "the first submission sees its own leftover file"
    warm = [slot.lease.index for slot in mode_pool._idle if slot.lease]
    second = autograde(assignment, submit(tmp_path, assignment, name="second"), pool=mode_pool)
    assert second.error is None
    assert _lost(second) == {}, second.flags
    assert second.score == 3
    if mode_pool.mode == "bwrap-root":
        assert warm, "bwrap-root keeps the slot warm between submissions"
        assert [slot.lease.index for slot in mode_pool._idle if slot.lease] == warm, "the same warm slot"
