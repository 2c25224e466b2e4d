"""The upload check (graders/check.py): the engine's notebook rules for an upload, each refusal with its message.

The check and the grader share the foreign-notebook rule (`plan.other_assignment`) and the decoding
(`format.load_json`, a byte-order mark allowed), so a notebook the check accepts is one the engine grades.
"""

from __future__ import annotations

import codecs
import copy
import json
from pathlib import Path
from typing import Any

import pytest

from graders import format as fmt
from graders.check import (
    ERR_EMPTY,
    ERR_NOT_NOTEBOOK,
    ERR_TOO_DEEP,
    ERR_WRONG_ASSIGNMENT,
    ERR_WRONG_NOTEBOOK,
    MAX_DEPTH,
    SubmissionError,
    check_submission,
    manifest_read,
    parse_upload,
)
from graders.plan import load_source, plan_submission
from graders.release import ReleaseManifest, release
from tests.graders.conftest import code_cell, notebook, write_assignment


def _cells(prefix: str) -> list[dict[str, Any]]:
    return [
        code_cell(
            "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n",
            gid=f"{prefix}-f",
            solution=True,
        ),
        code_cell("assert f() == 1\n", gid=f"{prefix}-test", grade=True, points=2),
    ]


@pytest.fixture
def assignment(tmp_path: Path) -> tuple[Path, ReleaseManifest, dict[str, Any]]:
    """A one-notebook assignment: its source, its release's manifest and the released notebook."""
    source = write_assignment(tmp_path / "hw1" / "source", _cells("hw1"))
    manifest = release(source, tmp_path / "hw1" / "release")
    released = json.loads((tmp_path / "hw1" / "release" / "hw.ipynb").read_text())
    return source, manifest, released


@pytest.fixture
def other(tmp_path: Path) -> dict[str, Any]:
    """The released notebook of another assignment (other grade ids), with the same file name."""
    source = write_assignment(tmp_path / "hw2" / "source", _cells("hw2"))
    release(source, tmp_path / "hw2" / "release")
    return json.loads((tmp_path / "hw2" / "release" / "hw.ipynb").read_text())


def _bytes(nb: dict[str, Any]) -> bytes:
    return json.dumps(nb).encode()


def test_the_released_notebook_is_accepted(assignment) -> None:
    _, manifest, released = assignment
    checked = check_submission(_bytes(released), manifest=manifest, filename="hw.ipynb")
    assert checked.stem == "hw" and checked.notebook["cells"] == released["cells"]


def test_a_notebook_with_a_byte_order_mark_is_accepted_and_graded_alike(assignment, tmp_path: Path) -> None:
    source, manifest, released = assignment
    data = codecs.BOM_UTF8 + _bytes(released)
    assert check_submission(data, manifest=manifest, filename="hw.ipynb").stem == "hw"
    folder = tmp_path / "submitted"
    folder.mkdir()
    (folder / "hw.ipynb").write_bytes(data)
    plan = plan_submission(source=load_source(source), submission=folder)
    assert plan.error is None and plan.notebooks["hw"].error is None


def test_a_notebook_of_another_assignment_is_refused_by_the_check_and_the_grader(
    assignment, other, tmp_path: Path
) -> None:
    source, manifest, _ = assignment
    with pytest.raises(SubmissionError) as caught:
        check_submission(_bytes(other), manifest=manifest, filename="hw.ipynb", title="Homework 1")
    assert str(caught.value) == ERR_WRONG_ASSIGNMENT.format(title="Homework 1")
    assert not caught.value.too_large
    folder = tmp_path / "submitted"
    folder.mkdir()
    (folder / "hw.ipynb").write_bytes(_bytes(other))
    plan = plan_submission(source=load_source(source), submission=folder)
    assert plan.error and "another assignment" in plan.error


def test_a_notebook_with_this_assignments_cells_and_a_stray_foreign_one_is_accepted(assignment) -> None:
    """The grader's rule: a known cell that still carries the release's checksum makes it this notebook."""
    _, manifest, released = assignment
    mixed = copy.deepcopy(released)
    mixed["cells"].append(code_cell("x = 1\n", gid="pasted-from-elsewhere", grade=True, points=1))
    assert check_submission(_bytes(mixed), manifest=manifest, filename="hw.ipynb").stem == "hw"


@pytest.mark.parametrize("depth", [MAX_DEPTH + 5, 100_000])
def test_deep_nesting_is_refused_with_a_clear_message(assignment, depth: int) -> None:
    _, manifest, released = assignment
    text = json.dumps(released).replace(
        '"metadata": {', f'"metadata": {{"deep": {"[" * depth}{"]" * depth}, ', 1
    )
    with pytest.raises(SubmissionError) as caught:
        check_submission(text.encode(), manifest=manifest, filename="hw.ipynb")
    assert str(caught.value) == ERR_TOO_DEEP.format(limit=MAX_DEPTH)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", ERR_EMPTY),
        (b"this is not json", "it is not valid JSON"),
        (b"\xff\xfe{}", "it is not valid JSON"),
        (b'{"nbformat": 3}', ERR_NOT_NOTEBOOK.format(detail="the nbformat version is not 4")),
        (
            b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5, "junk": 1}',
            "not a valid Jupyter",
        ),
    ],
)
def test_what_is_not_a_notebook_is_refused(payload: bytes, message: str) -> None:
    with pytest.raises(SubmissionError) as caught:
        parse_upload(payload)
    assert message in str(caught.value)


def test_over_the_size_limit_is_refused_as_too_large(assignment) -> None:
    _, manifest, released = assignment
    data = _bytes(released)
    with pytest.raises(SubmissionError) as caught:
        check_submission(data, manifest=manifest, filename="hw.ipynb", max_bytes=len(data) - 1)
    assert caught.value.too_large and "the limit is" in str(caught.value)


def test_with_several_notebooks_the_file_name_must_name_one(tmp_path: Path) -> None:
    source = write_assignment(tmp_path / "two", _cells("a"), stem="part1")
    (source / "part2.ipynb").write_text(json.dumps(notebook(_cells("b"))))
    manifest = release(source, tmp_path / "release")
    part2 = (tmp_path / "release" / "part2.ipynb").read_bytes()
    assert check_submission(part2, manifest=manifest, filename="part2.ipynb").stem == "part2"
    with pytest.raises(SubmissionError) as caught:
        check_submission(part2, manifest=manifest, filename="mine.ipynb")
    assert str(caught.value) == ERR_WRONG_NOTEBOOK.format(
        expected="part1.ipynb, part2.ipynb", name="mine.ipynb"
    )


def test_the_manifest_reads_back_as_release_wrote_it(tmp_path: Path) -> None:
    source = write_assignment(tmp_path / "hw" / "source", _cells("hw"))
    written = release(source, tmp_path / "release")
    assert manifest_read(tmp_path / "release") == written


def test_the_engine_reads_a_byte_order_mark_like_the_check() -> None:
    data = codecs.BOM_UTF8 + _bytes(notebook([code_cell("x = 1\n")]))
    assert fmt.parse_notebook(data, name="hw.ipynb")["nbformat"] == 4
    assert parse_upload(data)["nbformat"] == 4
