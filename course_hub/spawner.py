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

Limits: as root, each server runs in a cgroup of its own (`course-hub/<hub user>`: cgroup v2, or v1's memory,
pids and cpu controllers where that is what the machine has) with its profile's memory, CPU and process limits
(`profile_limits`, from `course_hub.data`, the same as the pods' limits on Kubernetes), joined before bwrap starts
and removed at stop (`graders.sandbox.open_cgroup`, as the grading slots).  Unprivileged, or where no cgroup is
writable, the server runs without one and the hub logs why.

Profiles (`course_hub.profiles`): `user_options["profile"]` is "cpu" (default) or "gpu", whichever way the server
is started (the site's button, the hub's spawn form, the hub's REST API).  Before a GPU start the site is asked
whether the user's course allows it and GPU hours are left (refused with the reason otherwise); a GPU server then
takes a `gpu_runner` lease whose descriptor only the server's bwrap keeps (the lease ends with the server), and
gets the leased GPU's device nodes and `CUDA_VISIBLE_DEVICES`.  Each start and stop is reported to the site
(`HubUsage`, what the quota counts).  The course kernel specs are written into `/run/jupyter/share`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
from pathlib import Path
from urllib.parse import urlparse

from jupyterhub.spawner import LocalProcessSpawner
from jupyterhub.utils import maybe_future, random_port
from tornado import web
from traitlets import Bool, Dict, Integer, Unicode, default

from course_hub import labconfig, profiles, relay
from course_hub.settings import REPO, hub_settings, site_user_id
from graders.sandbox import (
    BWRAP,
    device_binds_argv,
    kill_uid,
    open_cgroup,
    sandbox_python,
    system_mounts_argv,
)

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

    service_token = Unicode(help="The hub's service token at the site (GPU quota, usage reports).").tag(
        config=True
    )
    gpu_lease_dir = Unicode(help="The GPU lease files (shared with the grading worker of this node).").tag(
        config=True
    )
    gpu_dev_dir = Unicode("/dev", help="Where the GPUs' device nodes are.").tag(config=True)
    gpu_slots = Integer(1, help="Leases one GPU takes at once.").tag(config=True)
    gpu_budget_mb = Integer(0, help="The memory the leases of one GPU may claim (0: the GPU's).").tag(
        config=True
    )
    gpu_memory_mb = Integer(0, help="The GPU memory a GPU server claims in its lease.").tag(config=True)
    gpu_use_nvml = Bool(True, help="Find GPUs through NVML (else only through nvidia-smi).").tag(config=True)
    nvidia_smi = Unicode("", help="The nvidia-smi program (empty: the one on the PATH).").tag(config=True)

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

    @default("service_token")
    def _service_token_default(self) -> str:
        return hub_settings().service_token

    @default("gpu_lease_dir")
    def _gpu_lease_dir_default(self) -> str:
        return str(hub_settings().gpu_lease_dir)

    @default("gpu_dev_dir")
    def _gpu_dev_dir_default(self) -> str:
        return str(hub_settings().gpu_dev_dir)

    @default("gpu_slots")
    def _gpu_slots_default(self) -> int:
        return hub_settings().gpu_slots

    @default("gpu_budget_mb")
    def _gpu_budget_default(self) -> int:
        return hub_settings().gpu_budget_mb

    @default("gpu_memory_mb")
    def _gpu_memory_default(self) -> int:
        return hub_settings().gpu_memory_mb

    @default("gpu_use_nvml")
    def _gpu_use_nvml_default(self) -> bool:
        return hub_settings().gpu_use_nvml

    @default("nvidia_smi")
    def _nvidia_smi_default(self) -> str:
        return hub_settings().nvidia_smi

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
        labconfig.write_page_config(self.run_host / "jupyter")  # nbgrader's lab plugins off
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
        argv += self._profile_argv()
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

    def make_preexec_fn(self, name):
        """bwrap starts as the hub's user (setpriv drops inside the jail), in the server's cgroup when it has one:
        the child joins it before bwrap starts, so every process of the server is in it."""
        cgroup = self._cgroup_open()
        return None if cgroup is None else (lambda: cgroup.add(os.getpid()))

    # ----- the server's cgroup (graders.sandbox.open_cgroup, as the grading slots) -----

    @property
    def cgroup_name(self) -> str:
        return f"course-hub/{self.user.name}"

    def _cgroup_open(self):
        """The server's cgroup with its profile's limits (`profile_limits`), or None with the reason logged."""
        self._cgroup = None
        slug = self.profile
        limits = self.profile_limits.get(slug) or self.profile_limits.get("cpu")
        if not self.as_root:
            self.log.info("No cgroup for %s's server: the hub does not run as root", self.user.name)
            return None
        if not limits:
            self.log.warning("No cgroup for %s's server: no limits for profile %r", self.user.name, slug)
            return None
        self._cgroup, why = open_cgroup(
            name=self.cgroup_name,
            memory_bytes=int(limits["memory_mb"]) * 1024 * 1024,
            max_pids=int(limits["pids"]),
            cpus=float(limits["cpu"]),
        )
        if self._cgroup is None:
            self.log.warning("No cgroup for %s's server: %s", self.user.name, why)
        elif why:
            self.log.warning("%s's server's cgroup is %s", self.user.name, why)
        return self._cgroup

    def _cgroup_remove(self) -> None:
        cgroup, self._cgroup = getattr(self, "_cgroup", None), None
        if cgroup is not None:
            cgroup.remove()

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
        env.update(self._profile_env())
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
        try:
            self._profile_prepare()
            self.cmd = self.jail_argv()
            self.args = []
            started = await super().start()
        except Exception:
            self._close_relays()
            self._profile_release()
            raise
        self._profile_release()  # bwrap holds the lease now; it ends with the server
        await self._usage_start()
        return started

    async def stop(self, now: bool = False):
        await super().stop(now=now)
        self._close_relays()
        await self._usage_stop()
        if self.as_root:
            with contextlib.suppress(ValueError):
                kill_uid(self.uid)
        self._cgroup_remove()

    def _close_relays(self) -> None:
        for server in getattr(self, "_relays", []):
            server.close()
        self._relays = []

    # ----- profiles, GPU quota and lease, usage, kernels (course_hub.profiles) -----

    @default("options_form")
    def _options_form_default(self):
        return profiles.options_form

    @default("options_from_form")
    def _options_from_form_default(self):
        return profiles.options_from_form

    @property
    def profile(self) -> str:
        return profiles.profile_of(self.user_options)

    async def run_pre_spawn_hook(self):
        """Admit the start (a GPU server only within the course's quota), then the configured hook."""
        self._gpu = None
        self._usage_open = False
        await profiles.admit(
            site_url=self.site_internal_url,
            token=self.service_token,
            user=self.user.name,
            profile=self.profile,
        )
        return await maybe_future(super().run_pre_spawn_hook())

    def _profile_prepare(self) -> None:
        """The kernel specs of the server's profile and, for a GPU server, a lease on a GPU (refused when none is
        free); the lease's descriptor is passed to bwrap."""
        self._profile_release()
        gpu = self.profile == "gpu"
        profiles.write_kernel_specs(share_dir=self.run_host / "share", python=sandbox_python(), gpu=gpu)
        self._gpu = None
        self.popen_kwargs = {k: v for k, v in self.popen_kwargs.items() if k != "pass_fds"}
        if gpu:
            self._gpu = profiles.gpu_take(
                lock_dir=Path(self.gpu_lease_dir),
                dev_dir=Path(self.gpu_dev_dir),
                slots=self.gpu_slots,
                memory_mb=self.gpu_memory_mb,
                budget_mb=self.gpu_budget_mb or None,
                nvidia_smi=self.nvidia_smi,
                use_nvml=self.gpu_use_nvml,
            )
            self.popen_kwargs = {**self.popen_kwargs, "pass_fds": (self._gpu.lease.fd,)}

    def _profile_argv(self) -> list[str]:
        """A GPU server's lease descriptor, kept by bwrap itself (`--sync-fd`: never inherited by the server's
        processes, which could otherwise unlock it), and the leased GPU's device nodes."""
        gpu = getattr(self, "_gpu", None)
        if not gpu:
            return []
        return ["--sync-fd", str(gpu.lease.fd), *device_binds_argv(gpu.devices)]

    def _profile_env(self) -> dict[str, str]:
        env = {"JUPYTER_PATH": f"{JAIL_RUN}/share"}  # the course kernel specs, before the environment's
        gpu = getattr(self, "_gpu", None)
        if gpu:
            env.update(gpu.env)
        return env

    def _profile_release(self) -> None:
        """Close the hub's copy of the lease's descriptor (the server's bwrap keeps its own while it runs)."""
        gpu = getattr(self, "_gpu", None)
        if gpu and gpu.lease.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(gpu.lease.fd)
            self._gpu = profiles.GpuGrant(lease=dataclasses.replace(gpu.lease, fd=-1), devices=gpu.devices)
            self.popen_kwargs = {k: v for k, v in self.popen_kwargs.items() if k != "pass_fds"}

    async def _usage_start(self) -> None:
        """Report the start to the site; a GPU server that cannot be counted against the quota does not run."""
        gpu = getattr(self, "_gpu", None)
        try:
            await profiles.usage_report(
                site_url=self.site_internal_url,
                token=self.service_token,
                user=self.user.name,
                event="start",
                profile=self.profile,
                gpu=gpu.lease.describe() if gpu else None,
            )
        except Exception as exc:
            if gpu:
                raise web.HTTPError(503, profiles.ERR_GPU_USAGE.format(detail=exc)) from exc
            self.log.warning("The start of %s's server was not recorded: %s", self.user.name, exc)
            return
        self._usage_open = True

    async def _usage_stop(self) -> None:
        if not getattr(self, "_usage_open", False):
            return
        self._usage_open = False
        try:
            await profiles.usage_report(
                site_url=self.site_internal_url, token=self.service_token, user=self.user.name, event="stop"
            )
        except Exception as exc:
            self.log.warning("The stop of %s's server was not recorded: %s", self.user.name, exc)


__all__ = ["JailedSpawner"]
