"""Leases: one job per GPU at a time, held as an exclusive `flock` on a per-device file.

The kernel drops a lock when its holder dies (even by kill -9), so a crashed job never strands a GPU.  A lease
exports `CUDA_VISIBLE_DEVICES` for the job it guards.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .inventory import Gpu


class NoGpuAvailable(RuntimeError):
    """Every GPU stayed leased for the whole wait."""


@dataclass(frozen=True)
class GpuLease:
    gpu: Gpu

    @property
    def env(self) -> dict[str, str]:
        return {"CUDA_VISIBLE_DEVICES": self.gpu.uuid or str(self.gpu.index)}


@contextlib.contextmanager
def gpu_lease(
    *, gpus: Sequence[Gpu], lock_dir: Path, wait_s: float = 600, poll_s: float = 0.5
) -> Iterator[GpuLease]:
    """Hold the first free GPU (least used first) until the block ends; NoGpuAvailable after `wait_s`."""
    if not gpus:
        raise NoGpuAvailable("this node has no GPU")
    lock_dir.mkdir(parents=True, exist_ok=True)
    ordered = sorted(gpus, key=lambda g: (g.utilization_pct, g.memory_used_mb, g.index))
    deadline = time.monotonic() + wait_s
    while True:
        for gpu in ordered:
            fd = os.open(lock_dir / f"gpu-{gpu.index}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            try:
                os.ftruncate(fd, 0)
                os.write(fd, str(os.getpid()).encode())
                yield GpuLease(gpu)
                return
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
        if time.monotonic() >= deadline:
            raise NoGpuAvailable(f"all {len(gpus)} GPUs stayed leased for {wait_s:.0f} s")
        time.sleep(poll_s)
