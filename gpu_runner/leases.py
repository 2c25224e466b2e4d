"""Leases: a GPU shared by up to `slots` jobs whose declared memory fits the GPU's budget, held with `flock`.

Each GPU has `slots` lock files; a lease holds one of them with an exclusive `flock` and writes the memory it
claims into it.  The kernel drops a lock when its holder dies (even by kill -9), so a crashed job never strands
a slot: a file whose lock can be taken is free, whatever it still says.  Choosing a slot happens under a
per-GPU guard lock, so two jobs never both fit into the last megabytes.  A lease exports
`CUDA_VISIBLE_DEVICES` for the job it guards; its descriptor (`fd`) may be handed to a child process, whose
life then bounds the lease.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .inventory import Gpu


class NoGpuAvailable(RuntimeError):
    """No GPU had a free slot with enough memory budget for the whole wait (or the node has no GPU)."""


@dataclass(frozen=True)
class GpuLease:
    gpu: Gpu
    slot: int = 0
    memory_mb: int = 0
    fd: int = -1

    @property
    def env(self) -> dict[str, str]:
        return {"CUDA_VISIBLE_DEVICES": self.gpu.uuid or str(self.gpu.index)}

    def describe(self) -> dict[str, object]:
        """What a result records about the GPU it ran on."""
        return {
            "index": self.gpu.index,
            "uuid": self.gpu.uuid,
            "name": self.gpu.name,
            "slot": self.slot,
            "memory_mb": self.memory_mb,
        }


def _try_lock(path: Path) -> int | None:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _release(fd: int) -> None:
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def _claimed_mb(path: Path) -> int:
    """The memory a held slot file claims (0 when unreadable)."""
    try:
        return int(json.loads(path.read_text() or "{}").get("memory_mb", 0))
    except (OSError, ValueError, AttributeError):
        return 0


def _take(gpu: Gpu, *, lock_dir: Path, slots: int, memory_mb: int, budget_mb: int) -> tuple[int, int] | None:
    """(slot, fd) of a free slot on `gpu` if `memory_mb` fits beside what the live leases claim."""
    guard = os.open(lock_dir / f"gpu-{gpu.index}.guard", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(guard, fcntl.LOCK_EX)
        held_mb, free = 0, None
        for slot in range(slots):
            path = lock_dir / f"gpu-{gpu.index}-slot-{slot}.lock"
            fd = _try_lock(path)
            if fd is None:
                held_mb += _claimed_mb(path)
            elif free is None:
                free = (slot, fd)
            else:
                _release(fd)
        if free is None:
            return None
        if held_mb + memory_mb > budget_mb:
            _release(free[1])
            return None
        slot, fd = free
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "memory_mb": memory_mb}).encode(), 0)
        return slot, fd
    finally:
        fcntl.flock(guard, fcntl.LOCK_UN)
        os.close(guard)


def _check(gpus: Sequence[Gpu], *, slots: int, memory_mb: int, budget_mb: int | None) -> None:
    if not gpus:
        raise NoGpuAvailable("this node has no GPU")
    if slots < 1:
        raise ValueError("slots must be at least 1")
    if all(memory_mb > (g.memory_total_mb if budget_mb is None else budget_mb) for g in gpus):
        raise NoGpuAvailable(f"no GPU has a {memory_mb} MB budget")


def _try_once(
    gpus: Sequence[Gpu], *, lock_dir: Path, slots: int, memory_mb: int, budget_mb: int | None
) -> GpuLease | None:
    lock_dir.mkdir(parents=True, exist_ok=True)
    for gpu in sorted(gpus, key=lambda g: (g.utilization_pct, g.memory_used_mb, g.index)):
        budget = gpu.memory_total_mb if budget_mb is None else budget_mb
        taken = _take(gpu, lock_dir=lock_dir, slots=slots, memory_mb=memory_mb, budget_mb=budget)
        if taken is not None:
            return GpuLease(gpu, slot=taken[0], memory_mb=memory_mb, fd=taken[1])
    return None


def take_lease(
    *,
    gpus: Sequence[Gpu],
    lock_dir: Path,
    slots: int = 1,
    memory_mb: int = 0,
    budget_mb: int | None = None,
) -> GpuLease:
    """A slot on the least used GPU where `memory_mb` fits, taken now or NoGpuAvailable (no waiting).

    The caller owns `lease.fd`: the slot is held until every copy of it is closed (the hub's GPU servers pass it
    to the server's process, so the lease ends with the server)."""
    _check(gpus, slots=slots, memory_mb=memory_mb, budget_mb=budget_mb)
    lease = _try_once(gpus, lock_dir=lock_dir, slots=slots, memory_mb=memory_mb, budget_mb=budget_mb)
    if lease is None:
        raise NoGpuAvailable(f"all {len(gpus)} GPUs are busy")
    return lease


@contextlib.contextmanager
def gpu_lease(
    *,
    gpus: Sequence[Gpu],
    lock_dir: Path,
    slots: int = 1,
    memory_mb: int = 0,
    budget_mb: int | None = None,
    wait_s: float = 600,
    poll_s: float = 0.5,
) -> Iterator[GpuLease]:
    """Hold a slot on the least used GPU where `memory_mb` fits until the block ends.

    `slots` is the number of jobs one GPU takes at once; `budget_mb` the memory they may claim together (the
    GPU's total memory when None).  NoGpuAvailable after `wait_s`, or at once when no GPU could ever fit.
    """
    _check(gpus, slots=slots, memory_mb=memory_mb, budget_mb=budget_mb)
    deadline = time.monotonic() + wait_s
    while True:
        lease = _try_once(gpus, lock_dir=lock_dir, slots=slots, memory_mb=memory_mb, budget_mb=budget_mb)
        if lease is not None:
            try:
                yield lease
                return
            finally:
                _release(lease.fd)
        if time.monotonic() >= deadline:
            raise NoGpuAvailable(f"all {len(gpus)} GPUs stayed busy for {wait_s:.0f} s")
        time.sleep(poll_s)
