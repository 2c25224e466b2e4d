"""CI runs `make lint` (ruff, import-linter) before the tests (issue 15, "Types checked").

Whether ruff is clean is `make lint`'s own answer in CI; here only the import contracts are run, because they
name modules and a broken one says which import to undo.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = REPO / ".venv" / "bin"


def _lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines() if not line.strip().startswith("#")]


def test_ci_runs_make_lint_before_the_tests() -> None:
    lines = _lines(REPO / ".ci" / "run")
    lint = [i for i, line in enumerate(lines) if line == "make lint"]
    test = [i for i, line in enumerate(lines) if line.startswith("make test")]
    assert lint and test, lines
    assert lint[0] < test[0]


def _lint_recipe() -> list[str]:
    text = (REPO / "Makefile").read_text()
    match = re.search(r"^lint:.*\n((?:\t.*\n)+)", text, re.MULTILINE)
    assert match, "Makefile has no lint target"
    return [line.strip() for line in match.group(1).splitlines()]


def test_make_lint_runs_ruff_and_import_linter() -> None:
    recipe = " ".join(_lint_recipe())
    assert "ruff check ." in recipe and "ruff format --check ." in recipe
    assert "lint-imports" in recipe


def test_import_contracts_are_kept() -> None:
    """No cycle among the grading task, runner and job state machine, nor between the Celery app and health."""
    result = subprocess.run(
        [str(VENV_BIN / "lint-imports"), "--no-cache", "--no-logo"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
