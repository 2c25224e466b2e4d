"""Property-based tests over generated nbgrader assignments (hypothesis).

* 300 generated assignments (random mixes of solution, test, hidden-test, locked, markdown and free cells; CRLF
  line ends; unicode; nested and unclosed markers): the release never contains a solution or a hidden test, and
  malformed markers are refused with a FormatError instead of leaking.
* 20 more are really executed in the sandbox: the source notebook scores full marks on every test; the released
  notebook scores 0 on every test (they all need the solution).
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graders import autograde, release
from graders import format as fmt
from graders.engine import Pool

from .conftest import code_cell, write_assignment

UNICODE = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters='"\\'),
    min_size=0,
    max_size=12,
)


@dataclass
class Generated:
    cells: list[dict[str, Any]] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)
    test_points: dict[str, float] = field(default_factory=dict)
    malformed: bool = False


def _eol(text: str, crlf: bool) -> str:
    return text.replace("\n", "\r\n") if crlf else text


@st.composite
def assignments(draw: st.DrawFn, *, allow_malformed: bool) -> Generated:
    gen = Generated()
    if draw(st.booleans()):
        gen.cells.append(code_cell("import math\nBASE = 7\n", gid="setup", locked=True))
    questions = draw(st.integers(min_value=1, max_value=4))
    for q in range(questions):
        crlf = draw(st.booleans())
        note = draw(UNICODE)
        a, b = draw(st.integers(-50, 50)), draw(st.integers(-50, 50))
        sol_token, hidden_token = f"SOLTOKEN{q}x{a}y{b}", f"HIDDENTOKEN{q}x{a}y{b}"
        gen.secrets += [sol_token, hidden_token]
        if draw(st.booleans()):
            gen.cells.append({"cell_type": "markdown", "metadata": {}, "source": f"## Question {q} — {note}"})
        sol_lines = [
            f"def f{q}(x):",
            f'    """Question {q}: {note}"""',
            "    ### BEGIN SOLUTION",
            f'    marker = "{sol_token}"',
            f"    return x * {a} + {b}",
            "    ### END SOLUTION",
        ]
        mode = draw(st.sampled_from(["ok", "ok", "ok", "nested", "unclosed"])) if allow_malformed else "ok"
        if mode == "nested":
            sol_lines.insert(3, "    ### BEGIN SOLUTION")
            gen.malformed = True
        elif mode == "unclosed":
            sol_lines.pop()
            gen.malformed = True
        gen.cells.append(code_cell(_eol("\n".join(sol_lines) + "\n", crlf), gid=f"answer{q}", solution=True))
        if draw(st.booleans()):
            gen.cells.append(code_cell(f"value_{q} = '{note}'\nprint(value_{q})\n"))
        x = draw(st.integers(-9, 9))
        visible = draw(st.booleans())
        hidden = draw(st.booleans()) or not visible
        lines = [f'"""Test {q} {note}"""']
        if visible:
            lines.append(f"assert f{q}({x}) == {x * a + b}")
        if hidden:
            lines += [
                "### BEGIN HIDDEN TESTS",
                f"# {hidden_token}",
                f"assert f{q}({x + 1}) == {(x + 1) * a + b}, '{hidden_token}'",
                "### END HIDDEN TESTS",
            ]
        points = draw(st.sampled_from([0.5, 1.0, 2.0, 3.0]))
        gen.cells.append(
            code_cell(_eol("\n".join(lines) + "\n", crlf), gid=f"test{q}", grade=True, points=points)
        )
        gen.test_points[f"test{q}"] = points
        if draw(st.booleans()):
            gen.cells.append(
                {
                    "cell_type": "markdown",
                    "metadata": {
                        "nbgrader": {
                            "grade": True,
                            "solution": True,
                            "locked": False,
                            "grade_id": f"essay{q}",
                            "points": 1,
                            "schema_version": 3,
                        }
                    },
                    "source": f"{sol_token} written answer {note}",
                }
            )
    return gen


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gen=assignments(allow_malformed=True))
def test_release_never_contains_solutions_or_hidden_tests(gen: Generated) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src = write_assignment(Path(tmp) / "src" / "hw", gen.cells)
        out = Path(tmp) / "out"
        if gen.malformed:
            with pytest.raises(fmt.FormatError):
                release(src, out)
            return
        manifest = release(src, out)
        text = (out / "hw.ipynb").read_text(encoding="utf-8")
        for secret in gen.secrets:
            assert secret not in text
        assert "BEGIN HIDDEN TESTS" not in text and "BEGIN SOLUTION" not in text
        nb = json.loads(text)
        assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")
        assert manifest.max_score == sum(gen.test_points.values()) + sum(
            1 for c in gen.cells if c["metadata"].get("nbgrader", {}).get("grade_id", "").startswith("essay")
        )


@pytest.fixture(scope="module")
def scoring_pool(light_pool: Pool) -> Pool:
    return light_pool


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(gen=assignments(allow_malformed=False))
def test_source_scores_full_and_release_scores_zero(gen: Generated, scoring_pool: Pool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src = write_assignment(Path(tmp) / "src" / "hw", gen.cells)
        out = Path(tmp) / "release"
        release(src, out)
        full = autograde(src, src, pool=scoring_pool)
        cells = full.notebooks["hw"].cells
        for gid, points in gen.test_points.items():
            assert cells[gid].score == points, (gid, cells[gid])
            assert cells[gid].status == "passed"
        assert full.score == sum(gen.test_points.values())
        assert not [f for f in full.flags if "test cell" in f]
        empty = autograde(src, out, pool=scoring_pool)
        for gid in gen.test_points:
            assert empty.notebooks["hw"].cells[gid].score == 0.0
        assert empty.score == 0.0
        feedback = json.dumps(empty.notebooks["hw"].feedback_notebook)
        for secret in gen.secrets:
            if secret.startswith("HIDDENTOKEN"):
                assert secret not in feedback
