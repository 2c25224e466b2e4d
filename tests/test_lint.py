"""CI runs `make lint` (ruff, import-linter) before the tests (issue 15, "Types checked").

Whether ruff is clean is `make lint`'s own answer in CI; here only the import contracts are run, because they
name modules and a broken one says which import to undo.
"""

from __future__ import annotations

import ast
import re
import subprocess
import tomllib
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


def test_make_lint_runs_ruff_import_linter_and_mypy() -> None:
    recipe = " ".join(_lint_recipe())
    assert "ruff check ." in recipe and "ruff format --check ." in recipe
    assert "lint-imports" in recipe and ".venv/bin/mypy" in recipe


# The site's typed boundaries (mypy checks them; pyproject's [tool.mypy] `files`): the access helpers, the engine
# adapter and the homework services.
BOUNDARIES = [
    *sorted((REPO / "courseweb" / "access").glob("*.py")),
    REPO / "courseweb" / "homework" / "engine.py",
    *sorted((REPO / "courseweb" / "homework" / "services").glob("*.py")),
]


def _any_in_signatures(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or node.name.startswith("_"):
            continue
        args = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
        annotations = [a.annotation for a in args if a.annotation] + ([node.returns] if node.returns else [])
        for annotation in annotations:
            if any(isinstance(n, ast.Name) and n.id == "Any" for n in ast.walk(annotation)):
                found.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name}: {ast.unparse(annotation)}")
    return found


def test_no_any_in_the_public_signatures_at_the_site_boundaries() -> None:
    assert [hit for path in BOUNDARIES for hit in _any_in_signatures(path)] == []


def test_mypy_checks_the_boundaries_and_the_engine() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["mypy"]
    assert config["strict"] is True
    assert {"graders", "gpu_runner", "courseweb/access", "courseweb/homework/engine.py"} <= set(
        config["files"]
    )
    assert "courseweb/homework/services" in config["files"]


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
