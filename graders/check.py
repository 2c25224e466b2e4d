"""Check an uploaded notebook against an assignment's release before anything is stored (the upload check).

The site calls this for every upload, so the notebook rules live here with the engine that grades: a notebook
the check accepts is one the engine can grade. In order, each failure with its own message for the student:

* not empty and at most ``max_bytes``;
* JSON in UTF-8, with or without a byte-order mark (``format.load_json``, as the engine reads a submission);
* lists and objects nested at most ``max_depth`` deep (measured without recursion; nbformat's validator
  recurses, so a deeper file never reaches it);
* a valid nbformat 4 notebook (nbformat's own validator);
* the notebook of this assignment: its file name names one of the release's notebooks (any name, when the
  release has one notebook), and it is not a notebook of another assignment (``plan.other_assignment``, the
  rule the engine applies when it grades).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from graders import format as fmt
from graders.plan import other_assignment
from graders.release import MANIFEST_NAME, CellManifest, ReleaseManifest

# Jupyter's notebooks nest about 6 levels; outputs' JSON and metadata add a few.
MAX_DEPTH = 64

ERR_EMPTY = "The upload is empty: choose your .ipynb file."
ERR_TOO_LARGE = (
    "The notebook is {size_mb:.1f} MB; the limit is {limit_mb:.0f} MB. Clear large outputs and try again."
)
ERR_NOT_JSON = "This file is not a Jupyter notebook: it is not valid JSON ({detail})."
ERR_TOO_DEEP = (
    "This file is not a Jupyter notebook: its JSON is nested too deeply (more than {limit} levels of lists and "
    "objects inside each other). Upload the notebook Jupyter saved."
)
ERR_NOT_NOTEBOOK = "This file is JSON but not a valid Jupyter notebook (nbformat 4): {detail}"
ERR_WRONG_NOTEBOOK = "This assignment expects {expected}; you uploaded {name}."
ERR_WRONG_ASSIGNMENT = (
    "This notebook does not belong to {title}: none of its graded cells match this assignment. "
    "Download the assignment's notebook and work in it."
)


class SubmissionError(ValueError):
    """An upload the check refused; the message is meant for the student. `too_large` for the size limit."""

    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.too_large = too_large


@dataclass(frozen=True)
class CheckedSubmission:
    """An accepted upload: the release notebook it is for and the parsed notebook."""

    stem: str
    notebook: fmt.Notebook


def manifest_read(release_dir: Path) -> ReleaseManifest:
    """The manifest `release` wrote into `release_dir`."""
    data = json.loads((Path(release_dir) / MANIFEST_NAME).read_text(encoding="utf-8"))
    return ReleaseManifest(
        assignment=str(data["assignment"]),
        source_hash=str(data["source_hash"]),
        max_score=float(data["max_score"]),
        notebooks={
            str(stem): [CellManifest(**cell) for cell in cells] for stem, cells in data["notebooks"].items()
        },
        files=[str(name) for name in data.get("files", [])],
    )


def check_size(size: int, *, max_bytes: int) -> None:
    if size > max_bytes:
        raise SubmissionError(
            ERR_TOO_LARGE.format(size_mb=size / 2**20, limit_mb=max_bytes / 2**20), too_large=True
        )
    if size == 0:
        raise SubmissionError(ERR_EMPTY)


def _nested_deeper_than(value: Any, limit: int) -> bool:
    """Whether lists and objects nest deeper than `limit` (iterative: any depth is safe to measure)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def parse_upload(
    data: bytes, *, max_bytes: int = fmt.MAX_NOTEBOOK_BYTES, max_depth: int = MAX_DEPTH
) -> fmt.Notebook:
    """The uploaded bytes as a valid nbformat 4 notebook (a JSON dict); SubmissionError otherwise."""
    check_size(len(data), max_bytes=max_bytes)
    try:
        raw = fmt.load_json(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SubmissionError(ERR_NOT_JSON.format(detail=str(exc)[:120])) from exc
    except RecursionError as exc:  # the decoder's own limit, far deeper than max_depth
        raise SubmissionError(ERR_TOO_DEEP.format(limit=max_depth)) from exc
    if _nested_deeper_than(raw, max_depth):
        raise SubmissionError(ERR_TOO_DEEP.format(limit=max_depth))
    if not isinstance(raw, dict) or raw.get("nbformat") != 4:
        raise SubmissionError(ERR_NOT_NOTEBOOK.format(detail="the nbformat version is not 4"))
    # Imported here: nbformat (with jsonschema) is only needed where uploads are checked, not where the
    # engine grades.
    import nbformat

    try:
        nbformat.validate(nbformat.from_dict(raw))  # type: ignore[no-untyped-call]
    except nbformat.ValidationError as exc:
        raise SubmissionError(ERR_NOT_NOTEBOOK.format(detail=str(exc.message)[:200])) from exc
    return raw


def release_stem(*, manifest: ReleaseManifest, filename: str) -> str:
    """The release notebook an upload named `filename` is for (the only one, whatever the name, if one)."""
    stems = list(manifest.notebooks)
    stem = PurePath(filename or "").stem
    if stem in manifest.notebooks:
        return stem
    if len(stems) == 1:
        return stems[0]
    expected = ", ".join(f"{s}.ipynb" for s in stems)
    raise SubmissionError(ERR_WRONG_NOTEBOOK.format(expected=expected, name=filename or "a file"))


def check_submission(
    data: bytes,
    *,
    manifest: ReleaseManifest,
    filename: str,
    title: str = "",
    max_bytes: int = fmt.MAX_NOTEBOOK_BYTES,
    max_depth: int = MAX_DEPTH,
) -> CheckedSubmission:
    """Check one uploaded notebook against the assignment's release; SubmissionError with the reason if refused.

    `title` names the assignment in the message for a notebook of another assignment.
    """
    notebook = parse_upload(data, max_bytes=max_bytes, max_depth=max_depth)
    stem = release_stem(manifest=manifest, filename=filename)
    checksums = {cell.grade_id: cell.release_checksum for cell in manifest.notebooks[stem]}
    if other_assignment(notebook["cells"], release_checksums=checksums):
        raise SubmissionError(ERR_WRONG_ASSIGNMENT.format(title=title or manifest.assignment))
    return CheckedSubmission(stem=stem, notebook=notebook)
