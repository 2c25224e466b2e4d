"""GPU execution support (plain Python, never imports Django).

`inventory` lists the GPUs of this node (through `nvidia-smi`; none on a CPU-only machine), `leases` hands them
out to one job at a time with file locks that die with their holder, and `queue_for` tells which Celery queue a
grading job belongs on.  Everything works, more slowly, on a machine without a GPU.
"""

from .inventory import Gpu, gpu_inventory
from .leases import GpuLease, NoGpuAvailable, gpu_lease

__all__ = ["Gpu", "GpuLease", "NoGpuAvailable", "gpu_inventory", "gpu_lease", "queue_for"]


def queue_for(*, requires_gpu: bool, gpu_nodes_configured: bool) -> str:
    """The Celery queue for a grading job: `gpu` only where GPU nodes consume it, else the CPU `grading` queue."""
    return "gpu" if requires_gpu and gpu_nodes_configured else "grading"
