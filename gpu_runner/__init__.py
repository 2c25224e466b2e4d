"""GPU execution support (plain Python, never imports Django).

`inventory` lists the GPUs of this node (NVML through nvidia-ml-py, `nvidia-smi` as the fallback; none on a
CPU-only machine) and the device nodes a job on one of them needs; `leases` hands out slots on them, within a
memory budget per GPU, with file locks that die with their holder.  The grading worker of the `gpu` queue uses
both (`courseweb/homework/services/runner.py`); which queue a job goes to is decided by the site
(`courseweb.homework.services.grading.grading_route`, from the `GPU_NODES` setting).
"""

from .inventory import Gpu, device_nodes, gpu_inventory
from .leases import GpuLease, NoGpuAvailable, gpu_lease

__all__ = ["Gpu", "GpuLease", "NoGpuAvailable", "device_nodes", "gpu_inventory", "gpu_lease"]
