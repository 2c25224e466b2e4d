"""Notebooks the journeys upload: the tiny homework as released by the stack, answered wrongly or rightly."""

from __future__ import annotations

import json
from typing import Any

from tests.courseweb.homework.notebooks import ANSWERS_RIGHT, student_notebook, to_bytes

WRONG_SCALE = "def scale(x, k):\n    return np.asarray(x, dtype=float) + k"
HIDDEN_PART = "np.eye(3)"  # in the hidden part of test_means: never shown to students


def released_notebook(stack, key: str = "tiny") -> dict[str, Any]:
    """The notebook the stack released for `key` (what students download)."""
    releases = sorted((stack.var / "media" / "homework" / "releases" / key).glob(f"*/{key}.ipynb"))
    assert releases, f"the stack has not released {key}"
    return json.loads(releases[-1].read_text())


def wrong_notebook(stack) -> bytes:
    """`column_means` left as released (it raises NotImplementedError, so the visible test errors) and a wrong
    `scale`."""
    return to_bytes(student_notebook(released_notebook(stack), {"scale": WRONG_SCALE}))


def right_notebook(stack) -> bytes:
    return to_bytes(student_notebook(released_notebook(stack), ANSWERS_RIGHT))


def other_notebook(stack) -> bytes:
    """Another assignment's notebook, answered."""
    return to_bytes(
        student_notebook(
            released_notebook(stack, "other"), {"norm": "def norm(x):\n    return float(np.linalg.norm(x))"}
        )
    )
