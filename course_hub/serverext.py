"""The single-user server's side of JupyterLab's "Submit" button and "Submit to the course" command.

A Jupyter server extension (enabled in `course_hub.spawner.SERVER_CONFIG`, so every jailed server loads it; the
browser side is `course_hub/labextension`, built by `bin/build-labextension`):

* `POST /course/submit` with `{"path": "<notebook path relative to the server root>"}` reads the notebook from disk
  (the extension saves it first; this saves nothing) and hands it in with `course_hub.submit.submit`, the same
  code as the `course-submit` command.  The answer is the site's view of the new submission: `id`, `state`,
  `progress`, `duplicate` and `url`, the submission's page on the site (the feedback).
* `GET /course/submissions/<id>` is that submission's live state (`course_hub.submit.submission_status`).

Both are APIHandlers behind the server's own login (the hub's OAuth cookie with XSRF, or a token) and its
authorizer.  The server's course API token (`COURSE_API_TOKEN`) is used here, in the server; no answer contains
it.  Errors are JSON `{"message": ...}`: 400 for a notebook without course metadata (or no path, or not a
notebook), 404 for a missing file, 503 without a token, and the site's own status and message when it refuses.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

from course_hub.submit import SubmitError, submission_status, submit

ERR_NO_PATH = "Say which notebook to submit: a JSON body with its 'path'."
ERR_NOT_FOUND = "{path} was not found on this server."
ERR_NOT_IPYNB = "{path} is not a notebook (.ipynb): only notebooks are handed in."


class _CourseHandler(APIHandler):
    auth_resource = "contents"

    def _error(self, status: int, message: str) -> None:
        self.set_status(status)
        self.finish(json.dumps({"message": message}))


class SubmitHandler(_CourseHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.get_json_body() or {}
        path = str(body.get("path") or "").strip("/") if isinstance(body, dict) else ""
        if not path:
            return self._error(400, ERR_NO_PATH)
        root = Path(self.contents_manager.root_dir).resolve()
        os_path = (root / path).resolve()
        if not os_path.is_relative_to(root) or not os_path.is_file():
            return self._error(404, ERR_NOT_FOUND.format(path=path))
        if os_path.suffix != ".ipynb":
            return self._error(400, ERR_NOT_IPYNB.format(path=path))
        try:
            sub = await asyncio.to_thread(submit, os_path, name=path)
        except SubmitError as exc:
            self.log.warning("course: %s was not handed in: %s", path, exc)
            return self._error(exc.status, str(exc))
        self.log.info("course: %s handed in as submission %s", path, sub.get("id"))
        self.set_status(200 if sub.get("duplicate") else 201)
        self.finish(json.dumps(sub))


class SubmissionHandler(_CourseHandler):
    @web.authenticated
    @authorized
    async def get(self, submission_id: str) -> None:
        try:
            sub = await asyncio.to_thread(submission_status, int(submission_id))
        except SubmitError as exc:
            return self._error(exc.status, str(exc))
        self.finish(json.dumps(sub))


def _jupyter_server_extension_points() -> list[dict]:
    return [{"module": "course_hub.serverext"}]


def _load_jupyter_server_extension(serverapp) -> None:
    base = serverapp.web_app.settings["base_url"]
    serverapp.web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base, "course", "submit"), SubmitHandler),
            (url_path_join(base, "course", "submissions", r"(\d+)"), SubmissionHandler),
        ],
    )
