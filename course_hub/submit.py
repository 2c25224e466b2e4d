"""Hand a notebook in to the course site from a JupyterHub server, and follow its grading.

Two ways in, one code path (`submit`, `submission_status`): the `course-submit NOTEBOOK` command in the server's
terminal, and the JupyterLab "Submit" button and "Submit to the course" command (`course_hub.serverext`, which
calls these functions in the server).  The notebook's metadata (`course`: offering, assignment, stem, written by
"Open in JupyterHub") says where it goes, so a renamed or fresh copy still submits to the right place.  The
server's own API token (`COURSE_API_TOKEN`, minted by the hub at each start) authenticates; it stays in the
server, never in the browser.  The site is reached at `COURSE_SITE_URL` (the jail's relay) with the public
`COURSE_SITE_HOST` as Host; links point to `COURSE_SITE_PUBLIC_URL`.  Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

FINAL = ("graded", "failed", "error")
ERR_NO_METADATA = "{path} has no course metadata: open the homework with 'Open in JupyterHub' on the course site, or upload it there."
ERR_NO_TOKEN = (
    "This server has no course API token (COURSE_API_TOKEN); restart it from the hub, or upload on the site."
)
ERR_NOT_NOTEBOOK = "{path} is not a notebook (not JSON): {error}"
ERR_REFUSED = "The site refused {what} (HTTP {code}): {message}"
ERR_UNREACHABLE = "The course site cannot be reached ({error}); try again in a minute, or upload on the site."


class SubmitError(Exception):
    """Why a notebook was not handed in (or its state not read), in words for the student; `status` is the
    HTTP status the server extension answers with."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _request(
    method: str, path: str, *, what: str, body: bytes | None = None, headers: dict | None = None
) -> dict:
    base = os.environ.get("COURSE_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise SubmitError(f"COURSE_SITE_URL must be an http(s) URL, not {base!r}", status=500)
    request = urllib.request.Request(  # noqa: S310 - an http(s) URL, checked above
        f"{base}{path}", data=body, method=method, headers=dict(headers or {})
    )
    request.add_header("Authorization", f"Bearer {os.environ['COURSE_API_TOKEN']}")
    if os.environ.get("COURSE_SITE_HOST"):
        request.add_header("Host", os.environ["COURSE_SITE_HOST"])
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            return json.loads(response.read().decode())
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read().decode()).get("error", "")
        except ValueError:
            message = ""
        status = exc.code if 400 <= exc.code < 500 else 502
        raise SubmitError(
            ERR_REFUSED.format(what=what, code=exc.code, message=message), status=status
        ) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise SubmitError(ERR_UNREACHABLE.format(error=exc), status=502) from exc


def _public(url: str) -> str:
    """The submission's page as the student's browser reaches it."""
    public = os.environ.get("COURSE_SITE_PUBLIC_URL", "").rstrip("/")
    if not public or "/homework/" not in url:
        return url
    return public + url[url.index("/homework/") :]


def _with_public_url(sub: dict) -> dict:
    return {**sub, "url": _public(sub["url"])} if sub.get("url") else sub


def _require_token() -> None:
    if not os.environ.get("COURSE_API_TOKEN"):
        raise SubmitError(ERR_NO_TOKEN, status=503)


def submit(path: Path, *, name: str | None = None) -> dict:
    """Hand the notebook file at `path` in to the assignment and stem of its `course` metadata; the site's
    answer (id, state, progress, duplicate...) with `url` the submission's public page.  `name`: how to call
    the notebook in messages (default: `path`)."""
    name = name or str(path)
    try:
        data = path.read_bytes()
        notebook = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise SubmitError(ERR_NOT_NOTEBOOK.format(path=name, error=exc)) from exc
    course = (notebook.get("metadata") or {}).get("course") if isinstance(notebook, dict) else None
    if not isinstance(course, dict) or not course.get("assignment") or not course.get("stem"):
        raise SubmitError(ERR_NO_METADATA.format(path=name))
    _require_token()
    sub = _request(
        "POST",
        f"/homework/api/assignments/{course['assignment']}/submissions/",
        what="the submission",
        body=data,
        headers={"Content-Type": "application/x-ipynb+json", "X-Filename": f"{course['stem']}.ipynb"},
    )
    return _with_public_url(sub)


def submission_status(submission_id: int) -> dict:
    """The site's current view of a submission (state, progress, score once graded), `url` made public."""
    _require_token()
    sub = _request("GET", f"/homework/api/submissions/{int(submission_id)}/", what="the status request")
    return _with_public_url(sub)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="course-submit", description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--no-wait", action="store_true", help="do not wait for the grade")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for the grade")
    args = parser.parse_args(argv)
    try:
        sub = submit(args.notebook)
        print(
            f"Submitted {args.notebook} as submission {sub['id']}"
            f"{' (already submitted)' if sub.get('duplicate') else ''}."
        )
        print(f"Feedback: {sub['url']}")
        deadline = time.monotonic() + args.timeout
        last = None
        while not args.no_wait and sub.get("state") not in FINAL and time.monotonic() < deadline:
            time.sleep(2)
            sub = submission_status(sub["id"])
            label = (sub.get("progress") or {}).get("label") or sub.get("state")
            if label != last:
                print(f"  {label}", flush=True)
                last = label
    except (SubmitError, OSError) as exc:
        raise SystemExit(str(exc)) from exc
    if sub.get("score") is not None:
        print(f"Score: {sub['score']:g} / {sub['max_score']:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
