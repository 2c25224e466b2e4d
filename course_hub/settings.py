"""The hub's settings, all read from the environment (defaults are `make run`'s single machine).

| variable | default | meaning |
| --- | --- | --- |
| `HUB_URL` | `http://127.0.0.1:8001` | the public URL (the proxy) |
| `HUB_PROXY_API_URL` | `http://127.0.0.1:8002` | configurable-http-proxy's REST API |
| `HUB_API_BIND_URL` | `http://127.0.0.1:8081` | where the hub process itself listens |
| `SITE_URL` | `http://127.0.0.1:8000` | the site as the browser sees it (OAuth authorization) |
| `SITE_INTERNAL_URL` | `SITE_URL` | the site as the hub reaches it (token, userinfo) |
| `HUB_CLIENT_ID`, `HUB_CLIENT_SECRET` | `jupyterhub`, none | the hub's OpenID Connect client at the site |
| `HUB_SERVICE_TOKEN` | none | the site's token for the hub's REST API (service `courseweb`) |
| `HUB_OFFERINGS` | `demo` | offerings (slugs) whose members may log in |
| `HUB_IDLE_TIMEOUT_S` | `3600` | the idle culler stops servers idle this long |
| `HUB_STATE_DIR` | `<COURSEWEB_VAR_DIR or var>/hub` | the hub's database, cookie secret, homes, runtime |
| `HUB_BASE_UID` | `200000` | student uids are `HUB_BASE_UID + site user id` (when the hub runs as root) |
| `HUB_UID_COUNT` | `100000` | size of that reserved range |
| `HUB_CPU_LIMIT`, `HUB_MEM_LIMIT_MB`, `HUB_PIDS_MAX` | `2`, `2048`, `1024` | each server's CPUs, memory and processes (its cgroup; Kubernetes: the pod's limits) |
| `GPU_LEASE_DIR` | `<var>/gpu-leases` | the GPU lease files, shared with the grading worker of the `gpu` queue |
| `GPU_DEV_DIR` | `/dev` | where the GPUs' device nodes are |
| `GPU_SLOTS_PER_GPU`, `GPU_MEMORY_BUDGET_MB` | `1`, `0` | leases per GPU and their memory budget (0: the GPU's) |
| `HUB_GPU_MEMORY_MB` | `0` | the GPU memory a GPU server claims in its lease |
| `HUB_GPU_NVML` | `1` | find the GPUs through NVML (`0`: only through `nvidia-smi`) |
| `HUB_NVIDIA_SMI` | on the PATH | the `nvidia-smi` program used when NVML does not answer |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parent.parent
SITE_SERVICE = "courseweb"
COURSE_ROLES = ("student", "ta", "instructor")


@dataclass(frozen=True)
class HubSettings:
    hub_url: str
    proxy_api_url: str
    hub_bind_url: str
    site_url: str
    site_internal_url: str
    client_id: str
    client_secret: str
    service_token: str
    offerings: tuple[str, ...]
    idle_timeout_s: int
    state_dir: Path
    base_uid: int
    uid_count: int
    cpu_limit: float = 2.0
    mem_limit_mb: int = 2048
    pids_max: int = 1024
    gpu_lease_dir: Path = Path("/nonexistent")
    gpu_dev_dir: Path = Path("/dev")
    gpu_slots: int = 1
    gpu_budget_mb: int = 0
    gpu_memory_mb: int = 0
    gpu_use_nvml: bool = True
    nvidia_smi: str = ""

    @property
    def hub_api_url(self) -> str:
        return f"{self.hub_bind_url}/hub/api"

    @property
    def allowed_groups(self) -> set[str]:
        return {f"course:{slug}:{role}" for slug in self.offerings for role in COURSE_ROLES}

    @property
    def homes_dir(self) -> Path:
        return self.state_dir / "homes"

    @property
    def runtime_dir(self) -> Path:
        return self.state_dir / "run"

    def port_of(self, url: str) -> int:
        parsed = urlparse(url)
        return parsed.port or (443 if parsed.scheme == "https" else 80)


def hub_settings(environ: Mapping[str, str] | None = None) -> HubSettings:
    env = os.environ if environ is None else environ
    var_dir = Path(env.get("COURSEWEB_VAR_DIR") or REPO / "var")
    site_url = env.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
    return HubSettings(
        hub_url=env.get("HUB_URL", "http://127.0.0.1:8001").rstrip("/"),
        proxy_api_url=env.get("HUB_PROXY_API_URL", "http://127.0.0.1:8002").rstrip("/"),
        hub_bind_url=env.get("HUB_API_BIND_URL", "http://127.0.0.1:8081").rstrip("/"),
        site_url=site_url,
        site_internal_url=(env.get("SITE_INTERNAL_URL") or site_url).rstrip("/"),
        client_id=env.get("HUB_CLIENT_ID", "jupyterhub"),
        client_secret=env.get("HUB_CLIENT_SECRET", ""),
        service_token=env.get("HUB_SERVICE_TOKEN", ""),
        offerings=tuple(s.strip() for s in env.get("HUB_OFFERINGS", "demo").split(",") if s.strip()),
        idle_timeout_s=int(env.get("HUB_IDLE_TIMEOUT_S", "3600")),
        state_dir=Path(env.get("HUB_STATE_DIR") or var_dir / "hub"),
        base_uid=int(env.get("HUB_BASE_UID", "200000")),
        uid_count=int(env.get("HUB_UID_COUNT", "100000")),
        cpu_limit=float(env.get("HUB_CPU_LIMIT") or 2),
        mem_limit_mb=int(env.get("HUB_MEM_LIMIT_MB") or 2048),
        pids_max=int(env.get("HUB_PIDS_MAX") or 1024),
        gpu_lease_dir=Path(env.get("GPU_LEASE_DIR") or var_dir / "gpu-leases"),
        gpu_dev_dir=Path(env.get("GPU_DEV_DIR") or "/dev"),
        gpu_slots=int(env.get("GPU_SLOTS_PER_GPU") or 1),
        gpu_budget_mb=int(env.get("GPU_MEMORY_BUDGET_MB") or 0),
        gpu_memory_mb=int(env.get("HUB_GPU_MEMORY_MB") or 0),
        gpu_use_nvml=env.get("HUB_GPU_NVML", "1") != "0",
        nvidia_smi=env.get("HUB_NVIDIA_SMI", ""),
    )


def hub_username(userinfo: Mapping) -> str:
    """The hub's name for a site user: `u<site user id>` from the `sub` claim, never the site username."""
    sub = str(userinfo.get("sub", ""))
    if not sub.isdigit():
        raise ValueError(f"the site's user id (sub claim) must be a number, got {sub!r}")
    return f"u{int(sub)}"


def site_user_id(hub_name: str) -> int:
    """The inverse of `hub_username` (the spawner derives a student's uid from it)."""
    if not (hub_name.startswith("u") and hub_name[1:].isdigit()):
        raise ValueError(f"not a course hub username: {hub_name!r}")
    return int(hub_name[1:])
