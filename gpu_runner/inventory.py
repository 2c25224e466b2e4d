"""Which GPUs this node has, read from `nvidia-smi --query-gpu` (CSV); an empty list where there is none."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

QUERY = "index,uuid,name,memory.total,memory.used,utilization.gpu"


@dataclass(frozen=True)
class Gpu:
    index: int
    uuid: str
    name: str
    memory_total_mb: int
    memory_used_mb: int
    utilization_pct: int


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


def gpu_inventory(*, nvidia_smi: str | None = None, timeout: float = 10) -> list[Gpu]:
    """The GPUs of this node; [] when nvidia-smi is missing or fails (a CPU-only node)."""
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
