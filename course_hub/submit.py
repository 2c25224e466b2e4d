"""`course-submit NOTEBOOK`: hand a notebook in to the course site from a JupyterHub server, and follow its grading.

The notebook's metadata (`course`: offering, assignment, stem, written by "Open in JupyterHub") says where it goes,
so a renamed or fresh copy still submits to the right place.  The server's own API token (`COURSE_API_TOKEN`,
minted by the hub at each start) authenticates; it stays in the server, never in the browser.  The site is
reached at `COURSE_SITE_URL` (the jail's relay) with the public `COURSE_SITE_HOST` as Host.  Standard library only.
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


def _request(method: str, path: str, *, body: bytes | None = None, headers: dict | None = None) -> dict:
    base = os.environ.get("COURSE_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise SystemExit(f"COURSE_SITE_URL must be an http(s) URL, not {base!r}")
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
        raise SystemExit(f"The site refused the submission (HTTP {exc.code}): {message}") from exc


def submit(path: Path) -> dict:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    course = notebook.get("metadata", {}).get("course") or {}
    if not course.get("assignment") or not course.get("stem"):
        raise SystemExit(ERR_NO_METADATA.format(path=path))
    if not os.environ.get("COURSE_API_TOKEN"):
        raise SystemExit(ERR_NO_TOKEN)
    return _request(
        "POST",
        f"/homework/api/assignments/{course['assignment']}/submissions/",
        body=path.read_bytes(),
        headers={"Content-Type": "application/x-ipynb+json", "X-Filename": f"{course['stem']}.ipynb"},
    )


def _public(url: str) -> str:
    """The submission's page as the student's browser reaches it."""
    public = os.environ.get("COURSE_SITE_PUBLIC_URL", "").rstrip("/")
    if not public or "/homework/" not in url:
        return url
    return public + url[url.index("/homework/") :]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="course-submit", description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--no-wait", action="store_true", help="do not wait for the grade")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for the grade")
    args = parser.parse_args(argv)
    sub = submit(args.notebook)
    print(
        f"Submitted {args.notebook} as submission {sub['id']}{' (already submitted)' if sub.get('duplicate') else ''}."
    )
    print(f"Feedback: {_public(sub['url'])}")
    deadline = time.monotonic() + args.timeout
    last = None
    while not args.no_wait and sub.get("state") not in FINAL and time.monotonic() < deadline:
        time.sleep(2)
        sub = _request("GET", f"/homework/api/submissions/{sub['id']}/")
        label = (sub.get("progress") or {}).get("label") or sub.get("state")
        if label != last:
            print(f"  {label}", flush=True)
            last = label
    if sub.get("score") is not None:
        print(f"Score: {sub['score']:g} / {sub['max_score']:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
