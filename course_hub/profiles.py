"""Server profiles (CPU, GPU), the GPU quota asked from the site, the GPU lease, and the course kernel specs.

Plain Python (never imports Django); `course_hub.spawner.JailedSpawner` calls it:

* `profile_of(user_options)`: "cpu" (the default) or "gpu", from the hub's form, its REST API or the site's
  "Open in JupyterHub" button alike; anything else is refused (400);
* `gpu_allowance(...)`: the site's answer (`GET /hub/gpu-allowance/<hub user>/` with the hub's service token)
  whether the user's course allows GPU servers and how many GPU hours are left; `admit(...)` refuses a GPU start
  (403, with the reason) unless the course allows it and hours are left, and refuses it too when the site
  cannot be asked (no quota can be checked without it);
* `usage_report(...)`: the server's start and stop (`POST /hub/usage/events/`), which the quota counts;
* `options_form(spawner)`: the hub's spawn form: CPU or GPU with the hours left, only for users whose course
  allows GPU servers (the others get no form and a CPU server);
* `gpu_take(...)`: a `gpu_runner` lease on one of this node's GPUs (the same lease files as the grading worker
  of the `gpu` queue), its device nodes (`gpu_runner.device_nodes`) and `CUDA_VISIBLE_DEVICES`;
* `write_kernel_specs(...)`: "Python 3 (course)" (`python3`) and, on GPU servers only, "Python 3 (course, GPU)"
  (`python3-gpu`), both running the grading sandbox's interpreter (`graders.sandbox.sandbox_python()`), in a
  folder the server reads through `JUPYTER_PATH` (before the environment's own `python3`).
"""

from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tornado import web

from gpu_runner import GpuLease, NoGpuAvailable, device_nodes, gpu_inventory
from gpu_runner.leases import take_lease

PROFILES = {"cpu": "CPU server", "gpu": "GPU server"}
DEFAULT_PROFILE = "cpu"
CPU_KERNEL = "python3"
GPU_KERNEL = "python3-gpu"
ERR_PROFILE = "Unknown server profile {value!r}: choose one of cpu, gpu."
ERR_GPU_NOT_ALLOWED = "Your course does not offer GPU servers; start a CPU server instead."
ERR_GPU_QUOTA = "Your GPU quota is used up ({used:.2f} of {quota:g} GPU hours); start a CPU server instead."
ERR_GPU_UNKNOWN = "The course site could not confirm your GPU quota ({detail}); please try again later."
ERR_NO_GPU = "No GPU is free on this JupyterHub now ({detail}); please try again later or start a CPU server."
ERR_GPU_USAGE = "The course site could not record the start of your GPU server ({detail}); please try again."


def profile_of(user_options: Any) -> str:
    """The profile a start asks for: `user_options["profile"]`, "cpu" when absent."""
    value = (user_options or {}).get("profile") or DEFAULT_PROFILE
    if value not in PROFILES:
        raise web.HTTPError(400, ERR_PROFILE.format(value=value), reason=ERR_PROFILE.format(value=value))
    return value


def options_from_form(form_data: dict[str, list[str]]) -> dict[str, str]:
    """The spawn form's fields as user_options: {"profile": "cpu" | "gpu"}."""
    values = form_data.get("profile") or [DEFAULT_PROFILE]
    return {"profile": values[0]}


# ----- the site's service API -----


@dataclass(frozen=True)
class Allowance:
    allowed: bool
    quota_hours: float
    used_hours: float
    left_hours: float
    offering: str = ""

    @property
    def may_start(self) -> bool:
        return self.allowed and self.left_hours > 0


async def _site_call(
    *, site_url: str, token: str, method: str, path: str, body: dict | None = None
) -> dict[str, Any]:
    from tornado.httpclient import AsyncHTTPClient, HTTPRequest

    if not token:
        raise RuntimeError("the hub has no service token for the site (HUB_SERVICE_TOKEN)")
    request = HTTPRequest(
        f"{site_url}{path}",
        method=method,
        body=json.dumps(body) if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        request_timeout=30,
    )
    response = await AsyncHTTPClient().fetch(request)
    return json.loads(response.body or b"{}")


async def gpu_allowance(*, site_url: str, token: str, user: str) -> Allowance:
    data = await _site_call(
        site_url=site_url, token=token, method="GET", path=f"/hub/gpu-allowance/{quote(user)}/"
    )
    return Allowance(
        allowed=bool(data.get("allowed")),
        quota_hours=float(data.get("quota_hours") or 0),
        used_hours=float(data.get("used_hours") or 0),
        left_hours=float(data.get("left_hours") or 0),
        offering=str(data.get("offering") or ""),
    )


async def admit(*, site_url: str, token: str, user: str, profile: str) -> Allowance | None:
    """Refuse (HTTP 403, with the reason) a GPU start the user's course or quota does not allow."""
    if profile != "gpu":
        return None
    try:
        allowance = await gpu_allowance(site_url=site_url, token=token, user=user)
    except Exception as exc:
        message = ERR_GPU_UNKNOWN.format(detail=f"{type(exc).__name__}: {exc}")
        raise web.HTTPError(503, message, reason="GPU quota unknown") from exc
    if not allowance.allowed:
        raise web.HTTPError(403, ERR_GPU_NOT_ALLOWED, reason="GPU not allowed")
    if allowance.left_hours <= 0:
        message = ERR_GPU_QUOTA.format(used=allowance.used_hours, quota=allowance.quota_hours)
        raise web.HTTPError(403, message, reason="GPU quota used up")
    return allowance


async def usage_report(
    *, site_url: str, token: str, user: str, event: str, profile: str = "", gpu: dict | None = None
) -> None:
    """Tell the site that the user's server started (with its profile and GPU) or stopped."""
    body: dict[str, Any] = {"user": user, "event": event}
    if event == "start":
        body.update(profile=profile, gpu=gpu or {})
    await _site_call(site_url=site_url, token=token, method="POST", path="/hub/usage/events/", body=body)


FORM = """
<fieldset class="course-profiles">
  <legend>Server</legend>
  <p><label><input type="radio" name="profile" value="cpu" checked> CPU server</label></p>
  <p><label><input type="radio" name="profile" value="gpu"{disabled}> GPU server</label>
    <span class="help-block">{note}</span></p>
</fieldset>
"""


async def options_form(spawner: Any) -> str:
    """The hub's spawn form: only for users whose course offers GPU servers (the others start a CPU server
    without a form).  The GPU choice says how many GPU hours are left, and is disabled when none are."""
    try:
        allowance = await gpu_allowance(
            site_url=spawner.site_internal_url, token=spawner.service_token, user=spawner.user.name
        )
    except Exception as exc:
        spawner.log.warning("No GPU allowance for %s from the site: %s", spawner.user.name, exc)
        return ""
    if not allowance.allowed:
        return ""
    if allowance.may_start:
        note = f"{allowance.left_hours:.2f} of {allowance.quota_hours:g} GPU hours left"
        disabled = ""
    else:
        note = f"GPU quota used up ({allowance.quota_hours:g} GPU hours)"
        disabled = " disabled"
    return FORM.format(disabled=disabled, note=html.escape(note))


# ----- the GPU lease -----


@dataclass
class GpuGrant:
    lease: GpuLease
    devices: list[tuple[str, str]]

    @property
    def env(self) -> dict[str, str]:
        return self.lease.env


def gpu_take(
    *,
    lock_dir: Path,
    dev_dir: Path,
    slots: int,
    memory_mb: int,
    budget_mb: int | None,
    nvidia_smi: str | None,
    use_nvml: bool,
) -> GpuGrant:
    """A lease on one of this node's GPUs, taken at once (a server start does not queue), with its device nodes.
    The caller hands `lease.fd` to the server's process and closes its own copy: the lease lives as long as
    the server.  Refused (503) when no GPU is free."""
    try:
        gpus = gpu_inventory(use_nvml=use_nvml, nvidia_smi=nvidia_smi or None)
        lease = take_lease(
            gpus=gpus, lock_dir=lock_dir, slots=slots, memory_mb=memory_mb, budget_mb=budget_mb
        )
    except NoGpuAvailable as exc:
        raise web.HTTPError(503, ERR_NO_GPU.format(detail=exc), reason="No GPU available") from exc
    try:
        devices = device_nodes(lease.gpu, dev_dir=dev_dir)
    except FileNotFoundError as exc:
        os.close(lease.fd)
        raise web.HTTPError(503, ERR_NO_GPU.format(detail=exc), reason="No GPU available") from exc
    return GpuGrant(lease=lease, devices=devices)


# ----- kernel specs -----


def kernel_specs(*, python: str, gpu: bool) -> dict[str, dict]:
    """The course kernels (name -> kernel.json): the grading sandbox's interpreter, so that what passes in the
    notebook passes in grading.  On a GPU server the CPU kernel hides the GPU (`CUDA_VISIBLE_DEVICES` empty)."""
    argv = [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    specs = {
        CPU_KERNEL: {
            "argv": argv,
            "display_name": "Python 3 (course)",
            "language": "python",
            "metadata": {"debugger": True, "course": {"profile": "cpu"}},
        }
    }
    if gpu:
        specs[CPU_KERNEL]["env"] = {"CUDA_VISIBLE_DEVICES": ""}
        specs[GPU_KERNEL] = {
            "argv": argv,
            "display_name": "Python 3 (course, GPU)",
            "language": "python",
            "metadata": {"debugger": True, "course": {"profile": "gpu"}},
        }
    return specs


def write_kernel_specs(*, share_dir: Path, python: str, gpu: bool) -> None:
    """Write the kernel specs into `share_dir/kernels/` (the server's `JUPYTER_PATH`)."""
    for name, spec in kernel_specs(python=python, gpu=gpu).items():
        folder = share_dir / "kernels" / name
        folder.mkdir(parents=True, mode=0o755, exist_ok=True)
        (folder / "kernel.json").write_text(json.dumps(spec, indent=1))
        folder.chmod(0o755)
        (folder / "kernel.json").chmod(0o644)
    for path in (share_dir, share_dir / "kernels"):
        path.chmod(0o755)
