"""Adversarial suite for the grading engine, driven only through its CLI (`python -m graders autograde --json`).

Every case of the corpus in tests/graders/attacks/ (see its README for the list of vectors) is graded once in a
subprocess whose environment carries canary secrets, while this module runs a TCP server, a unix-socket server,
a Redis key and a SQLite database the submission must not reach. For each case it asserts: exit status 0 with a
well-formed result, no points for the attacked tests, a staff flag where tampering is detectable, full marks and no
flag for the honest controls, nothing of the submission left running, nothing written outside the scratch folder,
and no hidden test text in any message. A naive in-process grader is run on the forging attacks as a control, to
show each one really forges a pass when nothing defends against it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

try:  # tests/graders may or may not be a package
    from .attacks import escape, harness, hooks, naive, notebooks, resources, tamper, torchhw
    from .attacks.cases import AttackCase
    from .attacks.world import World, build_world
except ImportError:
    from attacks import (  # type: ignore[no-redef]
        escape,
        harness,
        hooks,
        naive,
        notebooks,
        resources,
        tamper,
        torchhw,
    )
    from attacks.cases import AttackCase  # type: ignore[no-redef]
    from attacks.world import World, build_world  # type: ignore[no-redef]

ALL_CASES: list[AttackCase] = [*tamper.CASES, *escape.CASES, *resources.CASES, *torchhw.CASES]
LIGHT = [c for c in ALL_CASES if not c.heavy]
HEAVY = [c for c in ALL_CASES if c.heavy]
# Attacks that make a test pass in a plain IPython shell. showtraceback and pre_run_cell forge nbgrader's
# output-based scoring instead; the exits and the forged channel only fool a grader that trusts the kernel.
FOOL_NAIVE = {
    "monkeypatch_numpy", "monkeypatch_builtins", "inplace_code", "inplace_defaults", "defining_module",
    "indirect_paths", "indirect_inplace", "fake_module", "always_equal", "post_run_cell", "transformers",
    "settrace", "setprofile", "thread_repatch", "audit_hook", "signal_repatch", "torch_monkeypatch",
    "torch_function",
}  # fmt: skip
RESULT_KEYS = {
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
MAX_STDOUT = 20 * 1024 * 1024

pytestmark = pytest.mark.skipif(not harness.PYTHON.exists(), reason=f"no virtualenv at {harness.PYTHON}")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    built = build_world(root=tmp_path_factory.mktemp("attacks"), cases=ALL_CASES)
    yield built
    built.close()


@pytest.fixture(scope="module")
def light(world: World, request: pytest.FixtureRequest) -> dict[str, harness.Graded]:
    """Grade the selected light cases up front, two at a time (the machine has two cores)."""
    wanted = (
        {"escape"} if any(i.name == "test_escape_reached_nothing" for i in request.session.items) else set()
    )
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and isinstance(callspec.params.get("case"), AttackCase):
            wanted.add(callspec.params["case"].name)
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {c.name: pool.submit(world.corpus.grade, c, timeout=240) for c in LIGHT if c.name in wanted}
        return {name: future.result() for name, future in futures.items()}


def hidden_lines(case: AttackCase, *, values: dict[str, str]) -> list[str]:
    lines: list[str] = []
    for cells in case.assignment.notebooks.values():
        for cell in cells:
            inside = False
            for line in harness.substitute(cell.source, values=values).splitlines():
                if "BEGIN HIDDEN TESTS" in line:
                    inside = True
                elif "END HIDDEN TESTS" in line:
                    inside = False
                elif inside and len(line.strip()) > 12:
                    lines.append(line.strip())
    return lines


def check(graded: harness.Graded, *, world: World) -> None:
    case, result, why = graded.case, graded.result, graded.describe()
    assert graded.returncode == 0, why
    assert result is not None, f"stdout is not one JSON object: {why}"
    assert RESULT_KEYS <= set(result), why
    assert graded.stdout_bytes < MAX_STDOUT, why
    assert result["sandbox"] and result["sandbox"] != "none", why
    assert float(result["max_score"]) == case.assignment.max_score(), why  # type: ignore[arg-type]
    cells = graded.cells()
    grade_cells = {
        g: p for stem in case.assignment.notebooks for g, p in case.assignment.grade_cells(stem).items()
    }
    if case.raw is None:
        assert set(grade_cells) <= set(cells), why
    zero = grade_cells if "*" in case.zero else case.zero
    if "*" in case.zero:
        assert float(result["score"]) == 0.0, why  # type: ignore[arg-type]
    for grade_id in zero:
        assert float(cells.get(grade_id, {}).get("score") or 0) == 0.0, f"{grade_id} scored: {why}"  # type: ignore[arg-type]
    for grade_id in grade_cells if "*" in case.passed else case.passed:
        cell = cells[grade_id]
        assert cell["status"] == "passed", f"{grade_id}: {why}"
        assert float(cell["score"]) == grade_cells[grade_id], f"{grade_id}: {why}"  # type: ignore[arg-type]
    for grade_id, allowed in case.statuses.items():
        assert cells[grade_id]["status"] in allowed, f"{grade_id}: {why}"
    if case.flag:
        assert result["flags"], f"no flag raised: {why}"
    if case.honest:
        assert float(result["score"]) == case.assignment.max_score(), why  # type: ignore[arg-type]
        assert not result["flags"], f"honest work flagged: {why}"
        assert not result["error"], why
    if case.error:
        assert result["error"], why
    assert graded.left_running == [], f"left running: {graded.left_running} {why}"
    assert world.corpus.unchanged(case), f"source or submission folder changed: {why}"
    messages = " ".join(str(cell.get("message") or "") for cell in cells.values())
    for line in hidden_lines(case, values=world.corpus.values):
        assert line not in messages, f"hidden test text returned: {line!r} {why}"


@pytest.mark.parametrize("case", LIGHT, ids=lambda c: c.name)
def test_attack(case: AttackCase, world: World, light: dict[str, harness.Graded]) -> None:
    check(light[case.name], world=world)


@pytest.mark.parametrize("case", HEAVY, ids=lambda c: c.name)
def test_resource_attack(case: AttackCase, world: World, light: dict[str, harness.Graded]) -> None:
    check(world.corpus.grade(case, timeout=300), world=world)


def test_escape_reached_nothing(world: World, light: dict[str, harness.Graded]) -> None:
    """The escape attack ran (probe cells passed above); outside the sandbox nothing saw or kept a trace of it."""
    assert world.tcp.connections == [], "the TCP server on this machine was reached"
    assert world.unix.connections == [], "the unix socket in the test's folder was reached"
    written = [str(p) for p in world.canary_targets if p.exists()]
    assert written == [], f"canary files written outside the scratch folder: {written}"
    graded = light["escape"]
    assert graded.result is not None and world.corpus.values["ENV_SECRET"] not in str(graded.result)


def test_nothing_survives_into_the_next_submission(world: World, light: dict[str, harness.Graded]) -> None:
    """A batch on one slot: code planted by the first student must not run when the next ones are graded."""
    cells = tamper.ASSIGNMENT.notebooks["tamper"]
    students = {
        "a_attacker": {"answers": tamper.WRONG + hooks.PERSIST},
        "b_victim": {"answers": tamper.WRONG},
        "c_honest": {"answers": tamper.HONEST},
    }
    submitted = world.corpus.root / "batch"
    for student, answers in students.items():
        nb = notebooks.student_notebook(cells, answers=answers)
        notebooks.write_submission(submitted / student / "tamper", notebooks={"tamper": nb})
    rc, out, err, _ = harness.run_cli(
        ["autograde-batch", str(world.corpus.sources["tamper"]), str(submitted), "--workers", "1", "--json"],
        env=world.corpus.engine_env,
        timeout=300,
    )
    assert rc == 0, err.decode(errors="replace")[-2000:]
    results = {line["student"]: line for line in map(json.loads, out.decode().splitlines()) if line}
    assert set(results) == set(students), results.keys()
    assert results["a_attacker"]["score"] == 0
    victim, honest = results["b_victim"], results["c_honest"]
    assert (victim["score"], victim["flags"]) == (0, []), victim
    assert (honest["score"], honest["flags"]) == (tamper.ASSIGNMENT.max_score(), []), honest


def test_redis_canary_is_really_there(world: World) -> None:
    """Control for steal_redis: the key really is in Redis, so a reachable Redis would have given the point."""
    if not world.redis_set:
        pytest.skip("Redis is not running on 127.0.0.1:6379; steal_redis is then vacuous")
    assert world.redis_set


def test_attacks_fool_a_naive_grader(world: World) -> None:
    """Control: without defences each forging attack passes a hidden test (so the engine tests can fail)."""
    cases = [c for c in ALL_CASES if c.name in FOOL_NAIVE]
    jobs = {
        c.name: (
            world.corpus.sources[c.assignment.name] / f"{c.assignment.name}.ipynb",
            world.corpus.submissions[c.name] / f"{c.assignment.name}.ipynb",
        )
        for c in cases
    }
    outcome = naive.naive_run(jobs=jobs, preload=("numpy", "torch"))
    unforged = {
        c.name: outcome[c.name]
        for c in cases
        if not any(passed and ("*" in c.zero or g in c.zero) for g, passed in outcome[c.name].items())
    }
    assert len(cases) == len(FOOL_NAIVE)
    assert unforged == {}, f"attacks that forged nothing in a naive grader: {unforged}"
