"""The benchmarks' notebook transforms (bench/_submissions.py): the pass copy and the mixed submissions."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[2]
HW1 = REPO / "assignments" / "hw1-supervised"


def _load():
    spec = importlib.util.spec_from_file_location("bench_submissions", REPO / "bench" / "_submissions.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


subs = _load()


def _meta(grade_id, *, grade=False, solution=False, locked=False, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _source_notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Homework", metadata=_meta("intro", locked=True)),
        nbformat.v4.new_code_cell(
            "import numpy as np\nfrom math import sqrt\n\nDATA = np.arange(10.0)\nprint(DATA)",
            metadata=_meta("setup", locked=True),
        ),
        nbformat.v4.new_code_cell(
            'def mean(v):\n    """The mean."""\n    ### BEGIN SOLUTION\n    total = sum(v)\n'
            "    return total / len(v)\n    ### END SOLUTION\n",
            metadata=_meta("mean", solution=True),
        ),
        nbformat.v4.new_code_cell(
            "assert mean([1, 3]) == 2\n### BEGIN HIDDEN TESTS\nassert mean(DATA) == 4.5\n### END HIDDEN TESTS",
            metadata=_meta("test_mean", grade=True, locked=True, points=3),
        ),
        nbformat.v4.new_code_cell(
            "@staticmethod\ndef helper():\n    return 1\n\nhelper()", metadata=_meta("demo", locked=True)
        ),
        nbformat.v4.new_markdown_cell("Because.", metadata=_meta("why", grade=True, solution=True, points=2)),
    ]
    return nb


def test_pass_copy_replaces_solution_and_test_bodies_and_keeps_the_grading_metadata():
    source = _source_notebook()
    copy = subs.pass_copy(source)
    cells = {c.metadata["nbgrader"]["grade_id"]: c for c in copy["cells"]}
    assert (
        cells["mean"].source
        == 'def mean(v):\n    """The mean."""\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION\n'
    )
    assert cells["test_mean"].source == "pass"
    assert cells["setup"].source == "import numpy as np\nfrom math import sqrt"
    assert cells["demo"].source == "@staticmethod\ndef helper():\n    return 1"
    assert cells["why"].source == "Because."
    assert [c.metadata for c in copy["cells"]] == [c.metadata for c in source.cells]
    assert [c.cell_type for c in copy["cells"]] == [c.cell_type for c in source.cells]
    assert "total" in source.cells[2].source  # the source notebook itself is left alone


def test_pass_copy_of_hw1_is_python_with_every_grade_id_and_point():
    assignment = subs.read_assignment(HW1)
    source = assignment.notebooks["supervised"]
    copy = subs.pass_copy(source)
    assert [c.metadata for c in copy["cells"]] == [c.metadata for c in source.cells]
    for cell in copy["cells"]:
        if cell.cell_type == "code":
            compile(cell.source, cell.metadata["nbgrader"]["grade_id"], "exec")
            if cell.metadata["nbgrader"].get("grade"):
                assert cell.source == "pass"


def test_mixed_submissions_alternate_reference_and_mutants_and_are_distinct():
    assignment = subs.read_assignment(HW1)
    release = assignment.mutants["se_divides_by_n"]["supervised"]  # release-shaped, as nbgrader's release is
    students = subs.mixed_submissions(assignment=assignment, releases={"supervised": release}, n=4)
    kinds = subs.submission_kinds(assignment=assignment, n=4)
    assert kinds == ["reference", "adam_eps_inside_sqrt", "reference", "adam_no_bias_correction"]
    solutions = [subs.solution_sources(students[s]["supervised"]) for s in sorted(students)]
    reference = subs.solution_sources(assignment.notebooks["supervised"])
    assert "### BEGIN SOLUTION" in solutions[0]["ols_fit"]
    assert solutions[0]["adam_step"].startswith(reference["adam_step"])
    wrong = subs.solution_sources(assignment.mutants["adam_eps_inside_sqrt"]["supervised"])
    assert solutions[1]["adam_step"] == wrong["adam_step"]
    assert len({nbformat.writes(nbformat.from_dict(students[s]["supervised"])) for s in students}) == 4
