"""`JailedSpawner`: each student's single-user server in a bubblewrap jail of its own.

State machine (JupyterHub's `Spawner`): `start` prepares the home and the runtime folder, opens the two relays
(`course_hub.relay`) in the hub process and starts bwrap; the hub then polls the relayed port until the server
answers.  `poll` is LocalProcessSpawner's (bwrap's pid).  `stop` ends bwrap (its pid namespace takes every
process of the server with it), closes the relays and, as root, kills whatever the student's uid still runs.

Inside the jail: the system's /usr and the course environment read-only (the same mounts as the grading sandbox,
`graders.sandbox.system_mounts_argv`), the student's home `HUB_STATE_DIR/homes/<hub user>` read-write at
`/home/<hub user>`, private /tmp and /dev/shm, the runtime folder at `/run/jupyter` and this package read-only.
Nothing else of the host's files: not the site's database, ASSIGNMENTS_DIR, the media root or other homes.  Its
own network namespace: PostgreSQL, Redis and every other service on the host's loopback are unreachable; the
only ways out are the relays to the hub's API and in from the proxy.

Identity: as root, each student runs as `HUB_BASE_UID + site user id` (a reserved range, not the grading
sandbox's `GRADERS_BASE_UID` range); bwrap starts as root (to mount) and `setpriv` drops to that uid with no
capabilities and no new privileges.  Unprivileged, bwrap runs in a user namespace as the invoking user.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path
from urllib.parse import urlparse

from jupyterhub.spawner import LocalProcessSpawner
from jupyterhub.utils import random_port
from traitlets import Dict, Integer, Unicode, default

from course_hub import relay
from course_hub.settings import REPO, hub_settings, site_user_id
from graders.sandbox import BWRAP, kill_uid, sandbox_python, system_mounts_argv

JAIL_RUN = "/run/jupyter"
JAIL_PACKAGE_ROOT = "/opt/course-hub"
# The single-user server's own configuration (JUPYTER_CONFIG_PATH, read before the environment's): no staff tools (nbgrader's
# formgrader and course lists) and nothing that reaches for the network at start; the course's
# Submit endpoints (`course_hub.serverext`).
SERVER_CONFIG = {
    "ServerApp": {
        "jpserver_extensions": {
            "nbgrader.server_extensions.formgrader": False,
            "nbgrader.server_extensions.assignment_list": False,
            "nbgrader.server_extensions.course_list": False,
            "nbgrader.server_extensions.validate_assignment": False,
            "jupyter_lsp": False,
            "course_hub.serverext": True,  # the Submit button's POST /course/submit (course_hub/labextension)
        }
    },
    "LabApp": {"extension_manager": "readonly"},
    # How long the server trusts the hub's answer about a cookie's token: after the site's logout (which
    # revokes the browser session's tokens at /hub/logout) the server refuses that cookie within this time.
    "HubOAuth": {"cache_max_age": 10},
}
ERR_UID_RANGE = "hub user {name} has no uid in the reserved range {lo}-{hi}"


class JailedSpawner(LocalProcessSpawner):
    """A LocalProcessSpawner whose server runs in a bubblewrap jail with its own uid, home and network."""

    homes_dir = Unicode(help="Folder of the students' homes (one folder per hub user).").tag(config=True)
    runtime_root = Unicode(help="Folder of the servers' runtime folders (sockets, passwd).").tag(config=True)
    base_uid = Integer(200000, help="First uid of the reserved range (used when the hub runs as root).").tag(
        config=True
    )
    uid_count = Integer(100000, help="Size of the reserved uid range.").tag(config=True)
    hub_host = Unicode("127.0.0.1", help="Where the hub's API listens on the host.").tag(config=True)
    hub_port = Integer(8081, help="The hub API's port (also used on the jail's own loopback).").tag(
        config=True
    )
    site_url = Unicode("http://127.0.0.1:8000", help="The site as users know it (links, Host header).").tag(
        config=True
    )
    site_internal_url = Unicode("http://127.0.0.1:8000", help="The site as the hub reaches it.").tag(
        config=True
    )

    profile_limits = Dict(
        help="Each profile's limits, {slug: {cpu, memory_mb, pids, gpus}} (course_hub.data, as on Kubernetes)."
    ).tag(config=True)

    @default("oauth_access_scopes")
    def _access_scopes_default(self) -> list[str]:
        """Who may use this server: its owner, and holders of `access:servers!group=G` for a group G of the owner
        (the offering's staff role names the students' group; the single-user server cannot resolve group
        filters itself, so the groups are listed here, at spawn)."""
        owner = [
            f"access:servers!server={self.user.name}/{self.name}",
            f"access:servers!user={self.user.name}",
        ]
        return owner + [f"access:servers!group={group.name}" for group in self.user.groups]

    @default("homes_dir")
    def _homes_default(self) -> str:
        return str(hub_settings().homes_dir)

    @default("runtime_root")
    def _runtime_default(self) -> str:
        return str(hub_settings().runtime_dir)

    # ----- identity and folders -----

    @property
    def as_root(self) -> bool:
        return os.geteuid() == 0

    @property
    def uid(self) -> int:
        if not self.as_root:
            return os.getuid()
        uid = self.base_uid + site_user_id(self.user.name)
        if not self.base_uid <= uid < self.base_uid + self.uid_count:
            raise ValueError(
                ERR_UID_RANGE.format(
                    name=self.user.name, lo=self.base_uid, hi=self.base_uid + self.uid_count - 1
                )
            )
        return uid

    @property
    def home_host(self) -> Path:
        return Path(self.homes_dir) / self.user.name

    @property
    def home_jail(self) -> str:
        return f"/home/{self.user.name}"

    @property
    def run_host(self) -> Path:
        return Path(self.runtime_root) / self.user.name

    def _prepare_folders(self) -> None:
        uid = self.uid
        Path(self.homes_dir).mkdir(parents=True, exist_ok=True, mode=0o711)
        Path(self.runtime_root).mkdir(parents=True, exist_ok=True, mode=0o711)
        self.home_host.mkdir(exist_ok=True, mode=0o700)
        shutil.rmtree(self.run_host, ignore_errors=True)
        (self.run_host / "etc").mkdir(parents=True, mode=0o700)
        (self.run_host / "etc" / "passwd").write_text(
            f"root:x:0:0:root:/root:/usr/sbin/nologin\n"
            f"{self.user.name}:x:{uid}:{uid}:{self.user.name}:{self.home_jail}:/bin/bash\n"
        )
        (self.run_host / "etc" / "group").write_text(f"root:x:0:\n{self.user.name}:x:{uid}:\n")
        (self.run_host / "jupyter").mkdir(mode=0o755)
        (self.run_host / "jupyter" / "jupyter_server_config.json").write_text(
            json.dumps(SERVER_CONFIG, indent=1)
        )
        for path in (self.home_host, self.run_host):
            os.chmod(path, 0o700)
            if self.as_root:
                os.chown(path, uid, uid)
        for path in (
            self.run_host / "etc",
            self.run_host / "etc" / "passwd",
            self.run_host / "etc" / "group",
        ):
            os.chmod(path, 0o755 if path.is_dir() else 0o644)

    # ----- the command -----

    def jail_argv(self) -> list[str]:
        """bwrap's command line, up to and including the in-jail entry point.  The environment (with the
        server's API token) is LocalProcessSpawner's `get_env()`, passed to bwrap by Popen, never on a command
        line."""
        argv = [BWRAP, "--die-with-parent", "--new-session"]
        argv += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
        argv += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"] if self.as_root else ["--unshare-user"]
        argv += system_mounts_argv(
            passwd=self.run_host / "etc" / "passwd", group=self.run_host / "etc" / "group"
        )
        argv += ["--proc", "/proc", "--dev", "/dev"]
        argv += ["--perms", "1777", "--tmpfs", "/tmp", "--perms", "1777", "--tmpfs", "/dev/shm"]
        for folder in ("/home", "/run", JAIL_PACKAGE_ROOT):  # mount points bwrap would make 0700
            argv += ["--perms", "0755", "--dir", folder]
        argv += ["--bind", str(self.home_host), self.home_jail]
        argv += ["--bind", str(self.run_host), JAIL_RUN]
        argv += ["--ro-bind", str(REPO / "course_hub"), f"{JAIL_PACKAGE_ROOT}/course_hub"]
        argv += ["--chdir", self.home_jail, "--hostname", "jupyter", "--"]
        if self.as_root:
            uid = str(self.uid)
            argv += ["/usr/bin/setpriv", "--reuid", uid, "--regid", uid, "--clear-groups"]
            argv += ["--inh-caps=-all", "--no-new-privs", "--"]
        argv += [sandbox_python(), "-m", "course_hub.jail_entry"]
        argv += [f"{self.hub_port}={JAIL_RUN}/hub.sock", f"{self._site[1]}={JAIL_RUN}/site.sock"]
        argv += ["--", "--ServerApp.port=8888", f"--ServerApp.sock={JAIL_RUN}/server.sock"]
        return argv

    @property
    def _site(self) -> tuple[str, int]:
        parsed = urlparse(self.site_internal_url)
        return parsed.hostname or "127.0.0.1", parsed.port or (443 if parsed.scheme == "https" else 80)

    def _write_submit_command(self) -> None:
        """`course-submit` on the server's PATH (course_hub.submit, with the course environment's Python)."""
        script = self.run_host / "bin" / "course-submit"
        script.parent.mkdir(mode=0o755)
        script.write_text(f'#!/bin/sh\nexec {sandbox_python()} -m course_hub.submit "$@"\n')
        script.chmod(0o755)
        script.parent.chmod(0o755)

    def make_preexec_fn(self, name):  # bwrap starts as the hub's user; setpriv drops inside the jail
        return None

    def user_env(self, env: dict) -> dict:
        env["USER"] = self.user.name
        env["HOME"] = self.home_jail
        env["SHELL"] = "/bin/bash"
        return env

    def get_env(self) -> dict:
        env = super().get_env()
        env["PATH"] = f"{JAIL_RUN}/bin:{Path(sandbox_python()).parent}:/usr/local/bin:/usr/bin:/bin"
        env["COURSE_SITE_URL"] = f"http://127.0.0.1:{self._site[1]}"  # relayed to the site (site.sock)
        env["COURSE_SITE_HOST"] = urlparse(self.site_url).netloc
        env["COURSE_SITE_PUBLIC_URL"] = self.site_url
        env["PYTHONPATH"] = JAIL_PACKAGE_ROOT
        env["JUPYTER_CONFIG_PATH"] = f"{JAIL_RUN}/jupyter"  # above the environment's own, below ~/.jupyter
        env["JUPYTER_RUNTIME_DIR"] = f"{self.home_jail}/.local/share/jupyter/runtime"
        hub = f"http://{self.hub_host}:{self.hub_port}"
        inside = f"http://127.0.0.1:{self.hub_port}"
        for key in ("JUPYTERHUB_API_URL", "JUPYTERHUB_ACTIVITY_URL"):
            if env.get(key, "").startswith(hub):
                env[key] = inside + env[key][len(hub) :]
        for key in [k for k in env if k.startswith("PYTHON") and k != "PYTHONPATH"]:
            del env[key]
        return env

    # ----- lifecycle -----

    async def start(self):
        self._prepare_folders()
        self._relays = [
            await relay.unix_to_tcp(path=self.run_host / "hub.sock", host=self.hub_host, port=self.hub_port)
        ]
        host, port = self._site
        self._relays.append(await relay.unix_to_tcp(path=self.run_host / "site.sock", host=host, port=port))
        self._write_submit_command()
        self.port = random_port()
        self._relays.append(
            await relay.tcp_to_unix(host="127.0.0.1", port=self.port, path=self.run_host / "server.sock")
        )
        if self.as_root:
            for sock in ("hub.sock", "site.sock"):
                os.chown(self.run_host / sock, self.uid, self.uid)
        self.cmd = self.jail_argv()
        self.args = []
        try:
            return await super().start()
        except Exception:
            self._close_relays()
            raise

    async def stop(self, now: bool = False):
        await super().stop(now=now)
        self._close_relays()
        if self.as_root:
            with contextlib.suppress(ValueError):
                kill_uid(self.uid)

    def _close_relays(self) -> None:
        for server in getattr(self, "_relays", []):
            server.close()
        self._relays = []


__all__ = ["JailedSpawner"]
