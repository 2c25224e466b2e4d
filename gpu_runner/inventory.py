"""Which GPUs this node has: NVML first (nvidia-ml-py), `nvidia-smi --query-gpu` (CSV) as the fallback.

Both paths return the same `Gpu` records; a CPU-only node (no driver, no NVML library, no nvidia-smi) has none.
"""

from __future__ import annotations

import contextlib
import importlib
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

QUERY = "index,uuid,name,memory.total,memory.used,utilization.gpu"
MIB = 1024 * 1024
# Device nodes every CUDA process needs besides its own /dev/nvidiaN (those that exist on the node are bound).
SHARED_DEVICE_NODES = ("nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-modeset")


@dataclass(frozen=True)
class Gpu:
    index: int
    uuid: str
    name: str
    memory_total_mb: int
    memory_used_mb: int
    utilization_pct: int
    minor: int | None = None  # the N of /dev/nvidiaN (NVML's minor number; the index where unknown)

    @property
    def device_minor(self) -> int:
        return self.index if self.minor is None else self.minor


def device_nodes(gpu: Gpu, *, dev_dir: Path = Path("/dev")) -> list[tuple[str, str]]:
    """(host path, sandbox path) of the device nodes a job on `gpu` needs: /dev/nvidiaN and the shared ones.

    `dev_dir` is where the host's nodes are looked up (tests point it at fake files); inside the sandbox they
    always appear under /dev.  Shared nodes missing on the host are left out; the GPU's own node is required.
    """
    own = f"nvidia{gpu.device_minor}"
    nodes = [(str(dev_dir / own), f"/dev/{own}")]
    if not (dev_dir / own).exists():
        raise FileNotFoundError(f"{dev_dir / own} does not exist: the GPU's device node is missing")
    nodes += [
        (str(dev_dir / name), f"/dev/{name}") for name in SHARED_DEVICE_NODES if (dev_dir / name).exists()
    ]
    return nodes


def parse_nvidia_smi_csv(text: str) -> list[Gpu]:
    """Parse `nvidia-smi --query-gpu=... --format=csv,noheader,nounits` output."""
    gpus = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 6 or not parts[0].isdigit():
            continue

        def num(value: str) -> int:
            return int(float(value)) if value.replace(".", "", 1).isdigit() else 0

        gpus.append(Gpu(int(parts[0]), parts[1], parts[2], num(parts[3]), num(parts[4]), num(parts[5])))
    return gpus


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def nvml_inventory(nvml: ModuleType | None = None) -> list[Gpu] | None:
    """The GPUs as NVML reports them; None when NVML is unavailable (no library, no driver)."""
    try:
        nvml = nvml or importlib.import_module("pynvml")
        nvml.nvmlInit()
    except Exception:  # ImportError, or NVMLError_LibraryNotFound / DriverNotLoaded on a CPU-only node
        return None
    try:
        gpus = []
        for index in range(nvml.nvmlDeviceGetCount()):
            handle = nvml.nvmlDeviceGetHandleByIndex(index)
            memory = nvml.nvmlDeviceGetMemoryInfo(handle)
            try:
                utilization = int(nvml.nvmlDeviceGetUtilizationRates(handle).gpu)
            except Exception:  # not supported on some boards (and MIG instances)
                utilization = 0
            try:
                minor = int(nvml.nvmlDeviceGetMinorNumber(handle))
            except Exception:
                minor = None
            gpus.append(
                Gpu(
                    index=index,
                    uuid=_text(nvml.nvmlDeviceGetUUID(handle)),
                    name=_text(nvml.nvmlDeviceGetName(handle)),
                    memory_total_mb=int(memory.total) // MIB,
                    memory_used_mb=int(memory.used) // MIB,
                    utilization_pct=utilization,
                    minor=minor,
                )
            )
        return gpus
    except Exception:
        return None
    finally:
        with contextlib.suppress(Exception):
            nvml.nvmlShutdown()


def smi_inventory(*, nvidia_smi: str | None = None, timeout: float = 10) -> list[Gpu]:
    """The GPUs as `nvidia-smi` reports them; [] when it is missing or fails."""
    exe = nvidia_smi or shutil.which("nvidia-smi")
    if not exe:
        return []
    try:
        out = subprocess.run(
            [exe, f"--query-gpu={QUERY}", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return parse_nvidia_smi_csv(out)


def gpu_inventory(
    *,
    nvml: ModuleType | None = None,
    use_nvml: bool = True,
    nvidia_smi: str | None = None,
    timeout: float = 10,
) -> list[Gpu]:
    """The GPUs of this node: NVML when it answers, else nvidia-smi; [] on a CPU-only node."""
    if use_nvml:
        found = nvml_inventory(nvml)
        if found is not None:
            return found
    return smi_inventory(nvidia_smi=nvidia_smi, timeout=timeout)
