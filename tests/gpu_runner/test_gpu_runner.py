"""GPU inventory (NVML and nvidia-smi), leases with slots and a memory budget that die with their holder, and
the device nodes a leased GPU brings into the sandbox.

No GPU is needed: NVML is a fake `pynvml` module, nvidia-smi a script printing the (synthetic, see
data/PROVENANCE.md) outputs in data/.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from gpu_runner import Gpu, NoGpuAvailable, device_nodes, gpu_inventory, gpu_lease
from gpu_runner.inventory import nvml_inventory, parse_nvidia_smi_csv, smi_inventory

DATA = Path(__file__).parent / "data"
UUID0 = "GPU-5b1f0c3e-0000-4000-8000-000000000000"
UUID1 = "GPU-5b1f0c3e-0000-4000-8000-000000000001"
A100 = "NVIDIA A100-SXM4-40GB"
GPUS = parse_nvidia_smi_csv((DATA / "synthetic-nvidia-smi-2xA100.csv").read_text())
MIB = 1024 * 1024


def _fake_smi(tmp_path: Path, data_file: str, *, exit_code: int = 0) -> str:
    exe = tmp_path / "nvidia-smi"
    exe.write_text(f"#!/bin/sh\ncat '{DATA / data_file}'\nexit {exit_code}\n")
    exe.chmod(0o755)
    return str(exe)


class FakeNvml:
    """What nvidia-ml-py's `pynvml` module answers on a node with the given boards."""

    class NVMLError(Exception):
        pass

    def __init__(self, boards: list[dict] | None, *, init_error: bool = False) -> None:
        self.boards = boards or []
        self.init_error = init_error
        self.shut_down = False

    def nvmlInit(self):
        if self.init_error:
            raise self.NVMLError("NVML Shared Library Not Found")

    def nvmlShutdown(self):
        self.shut_down = True

    def nvmlDeviceGetCount(self):
        return len(self.boards)

    def nvmlDeviceGetHandleByIndex(self, index):
        return self.boards[index]

    def nvmlDeviceGetMemoryInfo(self, handle):
        return SimpleNamespace(total=handle["total_mb"] * MIB, used=handle["used_mb"] * MIB, free=0)

    def nvmlDeviceGetUtilizationRates(self, handle):
        if handle.get("util") is None:
            raise self.NVMLError("Not Supported")
        return SimpleNamespace(gpu=handle["util"], memory=0)

    def nvmlDeviceGetMinorNumber(self, handle):
        return handle["minor"]

    def nvmlDeviceGetUUID(self, handle):
        return handle["uuid"]

    def nvmlDeviceGetName(self, handle):
        return handle["name"]


BOARDS = [
    {
        "uuid": UUID0,
        "name": b"NVIDIA H100 80GB HBM3",
        "total_mb": 81559,
        "used_mb": 512,
        "util": 7,
        "minor": 2,
    },
    {
        "uuid": UUID1,
        "name": "NVIDIA H100 80GB HBM3",
        "total_mb": 81559,
        "used_mb": 0,
        "util": None,
        "minor": 3,
    },
]


def test_nvml_inventory_reads_every_board():
    nvml = FakeNvml(BOARDS)
    assert nvml_inventory(nvml) == [
        Gpu(0, UUID0, "NVIDIA H100 80GB HBM3", 81559, 512, 7, minor=2),
        Gpu(1, UUID1, "NVIDIA H100 80GB HBM3", 81559, 0, 0, minor=3),
    ]
    assert nvml.shut_down


def test_nvml_is_preferred_and_nvidia_smi_is_the_fallback(tmp_path):
    smi = _fake_smi(tmp_path, "synthetic-nvidia-smi-2xA100.csv")
    assert [g.uuid for g in gpu_inventory(nvml=FakeNvml(BOARDS), nvidia_smi=smi)] == [UUID0, UUID1]
    assert [g.name for g in gpu_inventory(nvml=FakeNvml(BOARDS), nvidia_smi=smi)] == [
        "NVIDIA H100 80GB HBM3"
    ] * 2
    # NVML missing (no driver library): the same node is read through nvidia-smi
    assert gpu_inventory(nvml=FakeNvml(None, init_error=True), nvidia_smi=smi) == GPUS


def test_nvidia_smi_inventory_from_synthetic_outputs(tmp_path):
    assert GPUS == [
        Gpu(0, UUID0, A100, 40960, 1200, 35),
        Gpu(1, UUID1, A100, 40960, 0, 0),
    ]
    na = smi_inventory(nvidia_smi=_fake_smi(tmp_path, "synthetic-nvidia-smi-na-fields.csv"))
    assert [(g.memory_total_mb, g.memory_used_mb, g.utilization_pct) for g in na] == [(81559, 0, 0)]
    no_driver = _fake_smi(tmp_path, "synthetic-nvidia-smi-no-driver.txt", exit_code=9)
    assert smi_inventory(nvidia_smi=no_driver) == []


def test_cpu_only_node_has_no_gpus(tmp_path):
    assert gpu_inventory(nvml=FakeNvml(None, init_error=True), nvidia_smi=str(tmp_path / "missing")) == []


def test_device_nodes_of_a_gpu_use_its_minor_number(tmp_path):
    for name in ("nvidia3", "nvidiactl", "nvidia-uvm"):
        (tmp_path / name).write_text("")
    gpu = Gpu(1, UUID1, "x", 1, 0, 0, minor=3)
    assert device_nodes(gpu, dev_dir=tmp_path) == [
        (str(tmp_path / "nvidia3"), "/dev/nvidia3"),
        (str(tmp_path / "nvidiactl"), "/dev/nvidiactl"),
        (str(tmp_path / "nvidia-uvm"), "/dev/nvidia-uvm"),
    ]
    with pytest.raises(FileNotFoundError):
        device_nodes(Gpu(0, UUID0, "x", 1, 0, 0), dev_dir=tmp_path)


def test_leases_take_the_least_used_gpu_and_exclude_each_other(tmp_path):
    with gpu_lease(gpus=GPUS, lock_dir=tmp_path) as first:
        assert first.gpu.index == 1 and first.env == {"CUDA_VISIBLE_DEVICES": UUID1}
        with gpu_lease(gpus=GPUS, lock_dir=tmp_path) as second:
            assert second.gpu.index == 0
            with (
                pytest.raises(NoGpuAvailable),
                gpu_lease(gpus=GPUS, lock_dir=tmp_path, wait_s=0.2, poll_s=0.05),
            ):
                pass
    with gpu_lease(gpus=GPUS, lock_dir=tmp_path) as again:
        assert again.gpu.index == 1


def test_slots_share_one_gpu_within_its_memory_budget(tmp_path):
    one = GPUS[1:]
    kw = {"gpus": one, "lock_dir": tmp_path, "slots": 3, "budget_mb": 10_000, "wait_s": 0.2, "poll_s": 0.05}
    with gpu_lease(memory_mb=4000, **kw) as a, gpu_lease(memory_mb=4000, **kw) as b:
        assert (a.gpu.index, b.gpu.index) == (1, 1) and {a.slot, b.slot} == {0, 1}
        assert a.describe() == {"index": 1, "uuid": UUID1, "name": A100, "slot": a.slot, "memory_mb": 4000}
        # a third slot is free, but 4000 MB more would exceed the 10 000 MB budget; 2000 MB fits
        with pytest.raises(NoGpuAvailable), gpu_lease(memory_mb=4000, **kw):
            pass
        with gpu_lease(memory_mb=2000, **kw) as c:
            assert c.slot == 2
            # every slot is taken: even a job claiming no memory waits
            with pytest.raises(NoGpuAvailable), gpu_lease(memory_mb=0, **kw):
                pass
    with gpu_lease(memory_mb=10_000, **kw) as whole:  # all released: the whole budget is there again
        assert whole.memory_mb == 10_000


def test_a_claim_larger_than_any_budget_fails_at_once(tmp_path):
    with (
        pytest.raises(NoGpuAvailable, match="budget"),
        gpu_lease(gpus=GPUS, lock_dir=tmp_path, memory_mb=50_000),
    ):
        pass


def test_the_budget_defaults_to_the_gpus_memory(tmp_path):
    kw = {"gpus": GPUS[1:], "lock_dir": tmp_path, "slots": 2, "wait_s": 0.2, "poll_s": 0.05}
    with gpu_lease(memory_mb=30_000, **kw), pytest.raises(NoGpuAvailable), gpu_lease(memory_mb=20_000, **kw):
        pass


def _hold(lock_dir, ready, memory_mb):
    with gpu_lease(gpus=GPUS[:1], lock_dir=lock_dir, slots=2, memory_mb=memory_mb):
        ready.set()
        time.sleep(60)


def test_a_killed_holder_frees_its_slot_and_its_memory(tmp_path):
    ready = multiprocessing.Event()
    proc = multiprocessing.Process(target=_hold, args=(tmp_path, ready, 30_000))
    proc.start()
    try:
        assert ready.wait(20)
        kw = {"gpus": GPUS[:1], "lock_dir": tmp_path, "slots": 2, "wait_s": 0.2, "poll_s": 0.05}
        with pytest.raises(NoGpuAvailable), gpu_lease(memory_mb=20_000, **kw):
            pass  # a slot is free but the holder's 30 000 MB leave too little of 40 960
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(10)
        with gpu_lease(memory_mb=40_000, **{**kw, "wait_s": 5}) as lease:
            assert lease.gpu.index == 0
    finally:
        if proc.is_alive():
            proc.kill()


def test_no_gpu_node_means_no_lease(tmp_path):
    with pytest.raises(NoGpuAvailable, match="no GPU"), gpu_lease(gpus=[], lock_dir=tmp_path):
        pass


def test_the_installed_nvml_binding_reports_no_gpu_on_a_node_without_a_driver():
    import shutil

    import pynvml  # nvidia-ml-py, pinned in pyproject.toml

    if shutil.which("nvidia-smi") or Path("/dev/nvidiactl").exists():
        pytest.skip("this machine has an NVIDIA driver: see the GPU test in test_gpu_routing.py")
    assert hasattr(pynvml, "nvmlDeviceGetMinorNumber")
    assert nvml_inventory() is None
    assert gpu_inventory() == []
