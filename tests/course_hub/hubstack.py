"""A real JupyterHub (and its configurable-http-proxy) for tests, on free ports, with a throw-away state folder.

`HubStack.start()` runs `jupyterhub -f deploy/jupyterhub/jupyterhub_config.py` in its own process group, as
`make run` does; `api()` calls the hub's REST API with the site's service token; `run_code()` executes Python in
a kernel of a user's running server through the proxy (the kernel's websocket), i.e. from inside the jail.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from tests.workers import REPO, wait_for

SERVICE_TOKEN = "test-service-token-" + uuid.uuid4().hex
CLIENT_SECRET = "test-hub-client-secret-" + uuid.uuid4().hex


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class HubStack:
    state_dir: Path
    site_url: str = "http://127.0.0.1:9"  # no site unless a test gives one
    extra_env: dict[str, str] = field(default_factory=dict)
    token: str = SERVICE_TOKEN
    proc: subprocess.Popen | None = None

    def __post_init__(self) -> None:
        self.public_port, self.proxy_port, self.hub_port = free_port(), free_port(), free_port()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.public_port}"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.hub_port}/hub/api"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_"))}
        env.update(
            {
                "HUB_URL": self.url,
                "HUB_PROXY_API_URL": f"http://127.0.0.1:{self.proxy_port}",
                "HUB_API_BIND_URL": f"http://127.0.0.1:{self.hub_port}",
                "HUB_STATE_DIR": str(self.state_dir),
                "HUB_SERVICE_TOKEN": self.token,
                "HUB_CLIENT_SECRET": CLIENT_SECRET,
                "SITE_URL": self.site_url,
                **self.extra_env,
            }
        )
        return env

    def start(self) -> HubStack:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.log = (self.state_dir / "hub.log").open("w")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyterhub",
                "-f",
                str(REPO / "deploy" / "jupyterhub" / "jupyterhub_config.py"),
            ],
            cwd=self.state_dir,
            env=self.env(),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for(self._up, timeout=300, what="the hub's API")
        except AssertionError as exc:
            self.stop()
            raise AssertionError(f"{exc}\n{self.log_tail()}") from exc
        return self

    def _up(self) -> bool:
        assert self.proc is not None and self.proc.poll() is None, f"the hub exited\n{self.log_tail()}"
        try:
            with urllib.request.urlopen(f"{self.url}/hub/api/", timeout=5) as response:
                return response.status == 200
        except (OSError, urllib.error.HTTPError):
            return False

    def log_tail(self, n: int = 6000) -> str:
        return (self.state_dir / "hub.log").read_text(errors="replace")[-n:]

    def stop(self) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.log.close()

    # ----- REST API -----

    def api(self, method: str, path: str, body: dict | None = None, *, token: str | None = None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.api_url}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {token or self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=180) as response:
                text = response.read().decode()
                return response.status, (json.loads(text) if text else None)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def start_server(self, name: str) -> None:
        """Create the hub user if needed and start its server; wait until it is ready."""
        self.api("POST", f"/users/{name}")
        self.api("POST", f"/users/{name}/server")

        def ready() -> bool:
            status, model = self.api("GET", f"/users/{name}")
            assert status == 200, model
            server = model["servers"].get("")
            if server is None and not model.get("pending"):
                raise AssertionError(f"the server of {name} stopped\n{self.log_tail()}")
            return bool(server and server["ready"])

        wait_for(ready, timeout=400, interval=1, what=f"the server of {name}")

    def stop_server(self, name: str) -> None:
        self.api("DELETE", f"/users/{name}/server")
        wait_for(
            lambda: not self.api("GET", f"/users/{name}")[1]["servers"], timeout=60, what="server stopped"
        )

    def server_request(
        self, name: str, method: str, path: str, body: dict | None = None, *, token: str | None = None
    ):
        """A request to a user's server through the proxy (e.g. its contents API)."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.url}/user/{name}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {token or self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=180) as response:
                text = response.read().decode()
                return response.status, (json.loads(text) if text else None)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def run_code(self, name: str, code: str, *, timeout: float = 120, kernel_name: str = "python3") -> str:
        """Run `code` in a new kernel of the user's server; its stdout (and any error) as text."""
        status, kernel = self.server_request(name, "POST", "/api/kernels", {"name": kernel_name})
        assert status == 201, kernel
        try:
            # A thread of its own: a browser test earlier in this test process (Playwright's sync API) may have
            # left an event loop marked running in this thread, and asyncio.run refuses to start inside one.
            with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
                return pool.submit(asyncio.run, self._execute(name, kernel["id"], code, timeout)).result()
        finally:
            self.server_request(name, "DELETE", f"/api/kernels/{kernel['id']}")

    async def _execute(self, name: str, kernel_id: str, code: str, timeout: float) -> str:
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        url = f"ws://127.0.0.1:{self.public_port}/user/{name}/api/kernels/{kernel_id}/channels"
        conn = await websocket_connect(
            HTTPRequest(url, headers={"Authorization": f"token {self.token}"}), subprotocols=[]
        )
        msg_id = uuid.uuid4().hex
        conn.write_message(
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "msg_type": "execute_request",
                        "session": msg_id,
                        "username": "",
                        "version": "5.3",
                        "date": "",
                    },
                    "parent_header": {},
                    "metadata": {},
                    "content": {
                        "code": code,
                        "silent": False,
                        "store_history": False,
                        "allow_stdin": False,
                        "stop_on_error": True,
                        "user_expressions": {},
                    },
                    "channel": "shell",
                    "buffers": [],
                }
            )
        )
        out: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            raw = await asyncio.wait_for(conn.read_message(), timeout=deadline - time.monotonic())
            if raw is None:
                break
            msg = json.loads(raw)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                out.append(content["text"])
            elif kind == "error":
                out.append(f"{content['ename']}: {content['evalue']}")
            elif kind == "status" and content["execution_state"] == "idle":
                break
        conn.close()
        return "".join(out)


def site_login(site: str, username: str):
    """A browser-like session logged in on the site with the factories' password."""
    import re

    import requests

    from tests.factories import PASSWORD

    browser = requests.Session()
    page = browser.get(f"{site}/accounts/login/", timeout=300)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    done = browser.post(
        f"{site}/accounts/login/",
        data={"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD},
        headers={"Referer": f"{site}/accounts/login/"},
        timeout=300,
    )
    assert "/accounts/login/" not in done.url, "the site log-in failed"
    return browser


def hub_token(hub: HubStack, browser, name: str) -> str:
    """An API token of hub user `name`, made by that user's own logged-in hub session (cookie and XSRF)."""
    home = browser.get(f"{hub.url}/hub/home", timeout=300)
    assert home.status_code == 200, home.status_code
    xsrf = browser.cookies.get("_xsrf", path="/hub/") or browser.cookies.get("_xsrf")
    made = browser.post(
        f"{hub.url}/hub/api/users/{name}/tokens",
        json={"note": "test"},
        headers={"X-XSRFToken": xsrf, "Referer": f"{hub.url}/hub/token"},
        timeout=60,
    )
    assert made.status_code == 201, made.text
    return made.json()["token"]
