"""The journeys' harness: one `make run`-style stack per journey module and a `Journey` that walks it in Chromium.

The stack is what `make run` starts, in a throwaway COURSEWEB_VAR_DIR on a free port: SQLite and the filesystem
broker, `manage.py runserver` and a real Celery worker (the grading sandbox included), with `make run`'s settings
(`settings.py` only swaps in a fast password hasher) and the journeys' course built by `seed.py` through the site's
own services. A module with `WITH_HUB = True` also gets the course JupyterHub with its configurable-http-proxy, as
`make run` starts them (bin/run-dev): the hub variables on free ports, `create_hub_application`, then
`jupyterhub -f deploy/jupyterhub/jupyterhub_config.py`. Its logs are kept (JOURNEYS_KEEP=1 keeps the whole folder);
when the module ends the stack stops and the web server's log is checked: no request was answered with HTTP 500.

A `Journey` wraps one Chromium page at 1,280 px. Every page it lands on is checked with axe-core (no serious or
critical violation) and, when it was reached with GET, reloaded in a 390 px phone page for the overflow check
(`document.documentElement.scrollWidth <= innerWidth`). Findings are collected and reported together when the
journey ends. Journeys therefore read as user stories: `j.login_as`, `j.goto`, `j.link`, `j.button`, `j.click`,
`j.download`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from graders.sandbox import BWRAP  # the students' servers run in bubblewrap jails
from tests.e2e.conftest import RECORD_CSP_VIOLATIONS, axe_violations, csp_violations
from tests.e2e.journeys import seed

REPO = Path(__file__).resolve().parents[3]
PY = sys.executable
# `make run` starts the course JupyterHub with the environment's jupyterhub and the deployed configuration.
HUB_BIN = str(Path(PY).parent / "jupyterhub")
HUB_CONFIG = REPO / "deploy" / "jupyterhub" / "jupyterhub_config.py"
WIDE = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# The environment variables of the test run that must not leak into the stack (it has its own database and
# broker, like `make run`).
ISOLATED = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "CELERY_FS_BROKER_DIR",
    "MEDIA_ROOT",
    "STATIC_ROOT",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "PYTEST_XDIST_WORKER",
    "PYTEST_CURRENT_TEST",
    "COURSEWEB_BROKER_PER_XDIST",
)
# The page's width against the window's, and (to say what to fix) the elements that stick out the furthest,
# leaving out those inside a box that scrolls or clips horizontally.
OVERFLOW_JS = """() => {
  const inner = window.innerWidth;
  const clipped = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (['auto', 'scroll', 'hidden', 'clip'].includes(getComputedStyle(p).overflowX)) return true;
    }
    return false;
  };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + (el.classList.length ? '.' + [...el.classList].join('.') : '');
  const wide = [...document.body.querySelectorAll('*')]
    .map((el) => [el, el.getBoundingClientRect().right])
    .filter(([el, right]) => right > inner + 1 && !clipped(el))
    .sort((a, b) => b[1] - a[1]).slice(0, 3)
    .map(([el, right]) => `${name(el)} (right edge ${Math.round(right)} px)`);
  return {scroll: document.documentElement.scrollWidth, inner, widest: wide};
}"""
SERVED_500 = re.compile(r'"[A-Z]+ [^"]*" 500 ')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stack_env(var: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ISOLATED}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tests.e2e.journeys.settings",
            "COURSEWEB_VAR_DIR": str(var),
            "DATABASE_URL": f"sqlite:///{var / 'db.sqlite3'}",
            "CELERY_BROKER_URL": "filesystem://",
            "SITE_URL": f"http://127.0.0.1:{port}",
            "PORT": str(port),
            "PYTHONUNBUFFERED": "1",
            "WORKER_HEARTBEAT_INTERVAL": "2",
        }
    )
    return env


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory) -> Path:
    """One migrated, empty SQLite database per test session; each stack starts from a copy."""
    var = tmp_path_factory.mktemp("journeys-template")
    env = _stack_env(var, 0)
    subprocess.run(
        [PY, "manage.py", "migrate", "--noinput", "-v0"], cwd=REPO, env=env, check=True, timeout=300
    )
    return var / "db.sqlite3"


@dataclass
class Stack:
    url: str
    var: Path
    web_log: Path
    worker_log: Path
    procs: list[subprocess.Popen] = field(default_factory=list)
    hub: HubPorts | None = None  # the course JupyterHub, in a module with WITH_HUB = True

    @property
    def hub_log(self) -> Path:
        return self.var / "hub.log"

    def manage(self, *args: str, timeout: float = 120) -> str:
        """Run a management command against the stack's database (as the course staff would on the server)."""
        port = self.url.rsplit(":", 1)[1]
        env = _stack_env(self.var, int(port))
        if self.hub is not None:
            env.update(_hub_env(self.hub))
        out = subprocess.run(
            [PY, "manage.py", *args],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )
        return out.stdout

    def served_500(self) -> list[str]:
        text = self.web_log.read_text(errors="replace") if self.web_log.exists() else ""
        return [line for line in text.splitlines() if SERVED_500.search(line)]


def _spawn(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen(
            cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _stop(procs: list[subprocess.Popen]) -> None:
    """SIGTERM to each process group; whatever is left after a few seconds (a sandbox, a slow worker) is killed."""
    for proc in procs:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _wait_healthy(url: str, procs: list[subprocess.Popen], logs: list[Path], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        for proc, log in zip(procs, logs, strict=True):
            if proc.poll() is not None:
                raise RuntimeError(f"{proc.args[:4]} exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=10) as response:
                if response.status == 200:
                    return
        except Exception as exc:  # 503 while the worker starts, refused while the server starts
            last = str(exc)
        time.sleep(0.5)
    raise RuntimeError(f"the stack at {url} did not become healthy in {timeout} s: {last}")


@dataclass
class HubPorts:
    """The course JupyterHub of a stack: its public URL (the proxy), the proxy's API and the hub's own port."""

    public_port: int
    proxy_port: int
    api_port: int
    service_token: str
    client_secret: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.public_port}"

    @classmethod
    def free(cls) -> HubPorts:
        return cls(
            _free_port(), _free_port(), _free_port(), secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        )


def _hub_env(hub: HubPorts) -> dict[str, str]:
    """`make run`'s hub variables (bin/run-dev exports them to the site, the worker and the hub alike)."""
    return {
        "HUB_URL": hub.url,
        "HUB_PROXY_API_URL": f"http://127.0.0.1:{hub.proxy_port}",
        "HUB_API_BIND_URL": f"http://127.0.0.1:{hub.api_port}",
        "HUB_SERVICE_TOKEN": hub.service_token,
        "HUB_CLIENT_SECRET": hub.client_secret,
        "HUB_OFFERINGS": seed.OFFERING,
        # Students' servers run as HUB_BASE_UID + site user id, and stopping one kills every process of its uid
        # on the machine: each stack gets a uid range of its own (from its hub's port, unique among the stacks
        # running at once), away from `make run`'s default range that the hub tests use.
        "HUB_BASE_UID": str(1_000_000 + hub.public_port * 1_000),
        "HUB_UID_COUNT": "1000",
    }


def _wait_hub(hub: HubPorts, proc: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the hub exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{hub.url}/hub/api/", timeout=10) as response:
                if response.status == 200:
                    return
        except Exception:  # refused while the hub and its proxy start
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the hub at {hub.url} did not answer in {timeout} s:\n{log.read_text()[-3000:]}")


def _stop_hub(proc: subprocess.Popen, var: Path, hub: HubPorts) -> None:
    """TERM to the hub (it stops the students' servers and its proxy); what is left after 30 s is killed, the
    proxy too (the hub starts it in a session of its own: found by its pid file and its API port)."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    with contextlib.suppress(FileNotFoundError, ValueError, ProcessLookupError):
        pid = int((var / "hub" / "proxy.pid").read_text().strip())
        if f"--api-port\0{hub.proxy_port}\0".encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
            os.kill(pid, signal.SIGKILL)


def _start_stack(migrated_db: Path, name: str, *, with_hub: bool) -> Iterator[Stack]:
    var = Path(tempfile.mkdtemp(prefix=f"journeys-{name}-"))
    port = _free_port()
    env = _stack_env(var, port)
    hub = HubPorts.free() if with_hub else None
    if hub is not None:
        env.update(_hub_env(hub))
    shutil.copyfile(migrated_db, var / "db.sqlite3")
    s = Stack(
        url=f"http://127.0.0.1:{port}",
        var=var,
        web_log=var / "web.log",
        worker_log=var / "worker.log",
        hub=hub,
    )
    worker = [
        PY, "-m", "celery", "-A", "courseweb", "worker", "-Q", "default,grading,gpu", "-c", "1",
        "-n", f"journeys-{port}@%h", "--without-gossip", "--without-mingle", "-l", "INFO",
    ]  # fmt: skip
    hub_proc = None
    try:
        # The server and the worker start while the course is seeded (the worker grades the seeded upload).
        s.procs.append(_spawn(worker, env, s.worker_log))
        s.procs.append(
            _spawn([PY, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"], env, s.web_log)
        )
        if hub is not None:  # as bin/run-dev starts it (with its proxy, from node_modules/.bin)
            hub_proc = _spawn([HUB_BIN, "-f", str(HUB_CONFIG)], env, s.hub_log)
        started = time.perf_counter()
        seeded = subprocess.run(
            [PY, "-m", "tests.e2e.journeys.seed"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert seeded.returncode == 0, (
            f"seeding the journeys' course failed:\n{seeded.stdout}\n{seeded.stderr}"
        )
        seeded_after = time.perf_counter() - started
        if hub is not None:  # bin/run-dev registers the hub as the site's OpenID Connect client
            s.manage("create_hub_application")
            _wait_hub(hub, hub_proc, s.hub_log)
        # /healthz answers 200 once the worker is up (and, with the hub configured, the hub answers too).
        _wait_healthy(s.url, s.procs, [s.worker_log, s.web_log])
        print(
            f"stack {s.url}: seeded in {seeded_after:.1f} s, healthy in {time.perf_counter() - started:.1f} s"
            + (f", hub at {hub.url}" if hub else "")
        )
        yield s
    finally:
        if hub_proc is not None:
            _stop_hub(hub_proc, var, hub)
        _stop(s.procs)
    errors = s.served_500()
    assert errors == [], f"the server answered HTTP 500 (log: {s.web_log}):\n" + "\n".join(errors)
    if not os.environ.get("JOURNEYS_KEEP"):
        shutil.rmtree(var, ignore_errors=True)


@pytest.fixture(scope="module")
def stack(migrated_db, request) -> Iterator[Stack]:
    """The site and a real worker for this journey module, with the journeys' course; checked for 500s at the end.

    A module that sets `WITH_HUB = True` also gets the course JupyterHub and its proxy, as `make run` starts
    them (`jupyterhub -f deploy/jupyterhub/jupyterhub_config.py` with the HUB_* variables, on free ports, the
    hub registered with `create_hub_application`); its members of the journeys' offering may log in to it."""
    name = request.module.__name__.rsplit(".", 1)[-1]
    with_hub = getattr(request.module, "WITH_HUB", False)
    if with_hub and not Path(BWRAP).exists():
        from tests.conftest import skip_or_fail

        skip_or_fail(f"bubblewrap is not installed at {BWRAP}: the hub's jailed servers cannot start")
    yield from _start_stack(migrated_db, name, with_hub=with_hub)


class Journey:
    """One person's walk through the site in Chromium at 1,280 px, checking every page on the way."""

    def __init__(self, context, stack: Stack):
        self.context = context
        self.stack = stack
        self.page = context.new_page()
        self.page.set_viewport_size(WIDE)
        self.page.set_default_timeout(30_000)
        self.page.add_init_script(RECORD_CSP_VIOLATIONS)
        self.phone = None
        self.user = ""
        self.checked: set[tuple[str, str]] = set()
        self.spent = {"axe": 0.0, "390 px": 0.0}  # seconds, reported (never asserted) when the journey ends
        self.csp_reports = 0  # Content-Security-Policy violations seen on the pages checked (must stay 0)
        self.problems: list[str] = []  # axe and overflow findings, reported together when the journey ends
        self.visited: list[str] = []
        self._nav_method = "GET"

        self._nav_status = 200

        def on_request(req):
            if req.is_navigation_request() and req.frame == self.page.main_frame:
                self._nav_method = req.method

        def on_response(resp):
            if resp.request.is_navigation_request() and resp.frame == self.page.main_frame:
                self._nav_status = resp.status

        self.page.on("request", on_request)
        self.page.on("response", on_response)

    # --- moving around ------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.stack.url}{path}"

    def goto(self, path: str):
        response = self.page.goto(self.url(path))
        assert response is not None and response.status < 400, (
            f"GET {path}: HTTP {response and response.status}"
        )
        self.check()
        return self.page

    def click(self, locator, *, check: bool = True):
        """Click something that loads a page (a link or a form's button) and check the page it lands on."""
        locator.click()
        self.page.wait_for_load_state("load")
        if check:
            self.check()
        return self.page

    def link(self, name: str, *, exact: bool = False):
        return self.click(self.page.get_by_role("link", name=name, exact=exact).first)

    def button(self, name: str, *, exact: bool = False, within=None):
        scope = within if within is not None else self.page
        return self.click(scope.get_by_role("button", name=name, exact=exact).first)

    def download(self, locator) -> bytes:
        with self.page.expect_download() as info:
            locator.click()
        return Path(info.value.path()).read_bytes()

    def heading(self) -> str:
        return self.page.get_by_role("heading", level=1).first.inner_text().strip()

    def text(self) -> str:
        return self.page.locator("main").inner_text() if self.page.locator("main").count() else ""

    # --- people ---------------------------------------------------------------------------------------
    def logout(self) -> None:
        self.context.clear_cookies()
        self.user = ""

    def login_as(
        self, username: str, *, identifier: str | None = None, password: str = seed.PASSWORD
    ) -> None:
        """Log in on the login page (with the username, or `identifier` such as the e-mail address)."""
        self.logout()
        self.goto("/accounts/login/")
        self.fill_login(identifier or username, password)
        self.button("Log in")
        assert "/accounts/login/" not in self.page.url, f"{username} could not log in: {self.text()[:300]}"
        self.user = username

    def fill_login(self, identifier: str, password: str) -> None:
        self.page.locator("input[name=username]").fill(identifier)
        self.page.get_by_label("Password").fill(password)

    # --- the checks on every page ------------------------------------------------------------------------
    def check(self) -> None:
        """axe-core on the page at 1,280 px; a GET page is also reloaded at 390 px for the overflow check.

        A page is checked again whenever what it shows changed (a new submission, a sign-up, an error message);
        the same page showing the same text to the same person is checked once.
        """
        url = self.page.url
        self.visited.append(url)
        assert self._nav_status < 500, f"{self._nav_method} {url} as {self.user}: HTTP {self._nav_status}"
        self.record_csp(self.page, url)  # every page landed on, also when it was checked before
        shown = hashlib.sha256(self.page.evaluate("() => document.body.innerText").encode()).hexdigest()
        key = (self.user, self._nav_method, url, shown)
        if key in self.checked:
            return
        self.checked.add(key)
        started = time.perf_counter()
        violations = axe_violations(self.page)
        self.spent["axe"] += time.perf_counter() - started
        if violations:
            self.problems.append(f"axe at 1,280 px on {url} as {self.user or 'anonymous'}: {violations}")
        if self._nav_method == "GET":
            started = time.perf_counter()
            self.check_phone(url)
            self.spent["390 px"] += time.perf_counter() - started

    def check_phone(self, url: str) -> None:
        if self.phone is None:
            self.phone = self.context.new_page()
            self.phone.set_viewport_size(PHONE)
            self.phone.set_default_timeout(30_000)
            self.phone.add_init_script(RECORD_CSP_VIOLATIONS)
        self.phone.goto(url)
        self.record_csp(self.phone, f"{url} (390 px)")
        widths = self.phone.evaluate(OVERFLOW_JS)
        if widths["scroll"] > widths["inner"]:
            self.problems.append(f"{url} overflows at 390 px as {self.user or 'anonymous'}: {widths}")

    def record_csp(self, page, url: str) -> None:
        """Every CSP violation the page's document reported so far is a problem of this journey."""
        found = csp_violations(page)
        self.csp_reports += len(found)
        if found:
            self.problems.append(f"CSP violations on {url} as {self.user or 'anonymous'}: {found}")

    def close(self) -> None:
        for pg in (self.page, self.phone):
            if pg is not None:
                pg.close()


@pytest.fixture
def journey(browser_context_factory, stack) -> Iterator[Journey]:
    j = Journey(browser_context_factory, stack)
    j.context.clear_cookies()
    try:
        yield j
    finally:
        j.close()
        j.context.clear_cookies()
        print(
            f"journey: {len(j.visited)} pages, {len(j.checked)} checked, {j.csp_reports} CSP violations;"
            f" seconds spent: {j.spent}"
        )
    assert j.problems == [], "pages failed the axe, CSP or 390 px checks:\n" + "\n".join(j.problems)
