"""CI runs `make lint` before the tests, and the repository is lint-clean (issue 15, "Types checked")."""

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


def test_make_lint_runs_ruff() -> None:
    recipe = " ".join(_lint_recipe())
    assert "ruff check ." in recipe and "ruff format --check ." in recipe


def test_ruff_is_clean() -> None:
    for args in (["check", "--no-cache", "."], ["format", "--no-cache", "--check", "."]):
        result = subprocess.run(
            [str(VENV_BIN / "ruff"), *args], cwd=REPO, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
