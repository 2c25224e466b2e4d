"""GPU inventory parsing, leases that exclude each other and die with their holder, and queue choice."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time

import pytest

from gpu_runner import Gpu, NoGpuAvailable, gpu_inventory, gpu_lease, queue_for
from gpu_runner.inventory import parse_nvidia_smi_csv

SMI = "0, GPU-aaa, NVIDIA A100-SXM4-40GB, 40960, 1200, 35\n1, GPU-bbb, NVIDIA A100-SXM4-40GB, 40960, 0, 0\n"
GPUS = parse_nvidia_smi_csv(SMI)


def test_parse_nvidia_smi_output():
    assert GPUS == [
        Gpu(0, "GPU-aaa", "NVIDIA A100-SXM4-40GB", 40960, 1200, 35),
        Gpu(1, "GPU-bbb", "NVIDIA A100-SXM4-40GB", 40960, 0, 0),
    ]
    assert parse_nvidia_smi_csv("No devices were found\n") == []


def test_inventory_is_empty_without_nvidia_smi(tmp_path):
    assert gpu_inventory(nvidia_smi=str(tmp_path / "missing")) == []


def test_inventory_reads_a_fake_nvidia_smi(tmp_path):
    # The edge of the world: a node's nvidia-smi, replaced by a script printing what a real one prints.
    exe = tmp_path / "nvidia-smi"
    exe.write_text(f"#!/bin/sh\nprintf '{SMI}'\n")
    exe.chmod(0o755)
    assert gpu_inventory(nvidia_smi=str(exe)) == GPUS


def test_leases_take_the_least_used_gpu_and_exclude_each_other(tmp_path):
    with gpu_lease(gpus=GPUS, lock_dir=tmp_path) as first:
        assert first.gpu.index == 1 and first.env == {"CUDA_VISIBLE_DEVICES": "GPU-bbb"}
        with gpu_lease(gpus=GPUS, lock_dir=tmp_path) as second:
            assert second.gpu.index == 0
            with (
                pytest.raises(NoGpuAvailable),
                gpu_lease(gpus=GPUS, lock_dir=tmp_path, wait_s=0.2, poll_s=0.05),
            ):
                pass
    with gpu_lease(gpus=GPUS, lock_dir=tmp_path) as again:
        assert again.gpu.index == 1


def _hold(lock_dir, ready):
    with gpu_lease(gpus=GPUS[:1], lock_dir=lock_dir):
        ready.set()
        time.sleep(60)


def test_a_killed_holder_frees_its_gpu(tmp_path):
    ready = multiprocessing.Event()
    proc = multiprocessing.Process(target=_hold, args=(tmp_path, ready))
    proc.start()
    assert ready.wait(20)
    with pytest.raises(NoGpuAvailable), gpu_lease(gpus=GPUS[:1], lock_dir=tmp_path, wait_s=0.2, poll_s=0.05):
        pass
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(10)
    with gpu_lease(gpus=GPUS[:1], lock_dir=tmp_path, wait_s=5) as lease:
        assert lease.gpu.index == 0


def test_no_gpu_node_means_no_lease(tmp_path):
    with pytest.raises(NoGpuAvailable, match="no GPU"), gpu_lease(gpus=[], lock_dir=tmp_path):
        pass


def test_queue_choice():
    assert queue_for(requires_gpu=True, gpu_nodes_configured=True) == "gpu"
    assert queue_for(requires_gpu=True, gpu_nodes_configured=False) == "grading"
    assert queue_for(requires_gpu=False, gpu_nodes_configured=True) == "grading"
