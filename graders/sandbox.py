"""How the zygote is started: the bubblewrap command line, slot uids, cgroups and process clean-up.

Modes (``GRADERS_SANDBOX`` or the ``mode`` argument):

* ``bwrap-root`` (default when running as root): bubblewrap without a user namespace; only the system
  library folders, the Python prefix and the course virtualenv are mounted read-only, plus private tmpfs
  scratch folders; no network (loopback included), new pid/ipc/uts namespaces. The zygote keeps only
  CAP_SETUID/CAP_SETGID/CAP_KILL; every notebook runs as the slot's own unprivileged uid
  (``GRADERS_BASE_UID`` + slot, default 64000), so RLIMIT_NPROC and clean-up are per slot.
* ``bwrap-user`` (not root): the same mounts inside bubblewrap's user namespace; the sandbox is used for
  one submission only and torn down (pid namespace) afterwards.
* ``none``: no isolation at all, for development on machines without bubblewrap. Never the default.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BWRAP = "/usr/bin/bwrap"
SCRATCH = "/home/grader"
TESTER_UID_OFFSET = 1000  # same as graders/harness/tester.py
INBOX = "/grader-in"
DEFAULT_BASE_UID = 64000
MAX_SLOTS = 64
CGROUP_ROOT = Path("/sys/fs/cgroup")
ERR_NO_SLOT = "no free grading slot (all {n} slot locks are held)"
ERR_NO_BWRAP = "bubblewrap ({path}) is not installed; set GRADERS_SANDBOX=none only for development"


def default_mode() -> str:
    configured = os.environ.get("GRADERS_SANDBOX", "").strip()
    if configured:
        return configured
    return "bwrap-root" if os.geteuid() == 0 else "bwrap-user"


def runtime_root() -> Path:
    root = Path(
        os.environ.get("GRADERS_RUNTIME_DIR", Path(tempfile.gettempdir()) / f"graders-runtime-{os.getuid()}")
    )
    root.mkdir(mode=0o711, parents=True, exist_ok=True)
    return root


@dataclass
class SlotLease:
    """An exclusive grading slot across processes (flock on a file per slot)."""

    index: int
    uid: int | None
    directory: Path
    lock_fd: int

    def release(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.lock_fd)


def acquire_slot(*, mode: str) -> SlotLease:
    root = runtime_root()
    base = int(os.environ.get("GRADERS_BASE_UID", DEFAULT_BASE_UID))
    for index in range(MAX_SLOTS):
        path = root / f"slot-{index}.lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        directory = root / f"slot-{index}"
        shutil.rmtree(directory, ignore_errors=True)
        (directory / "in").mkdir(parents=True, mode=0o755)
        (directory / "etc").mkdir(mode=0o755)
        uid = base + index if (os.geteuid() == 0 and mode in ("bwrap-root", "none")) else None
        if uid is not None:
            kill_uid(uid)
        return SlotLease(index=index, uid=uid, directory=directory, lock_fd=fd)
    raise RuntimeError(ERR_NO_SLOT.format(n=MAX_SLOTS))


def python_paths() -> list[str]:
    """Folders the interpreter needs: the venv and the base interpreter's prefix."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    stdlib = sysconfig.get_paths().get("stdlib")
    if stdlib:
        paths.add(str(Path(stdlib).parent.parent))
    real = Path(os.path.realpath(sys.executable)).parent.parent
    paths.add(str(real))
    return sorted(p for p in paths if p and p not in ("/", "/usr") and Path(p).exists())


VENV_MOUNT = "/opt/course-env"


def python_mounts() -> list[tuple[str, str]]:
    """(host path, sandbox path) for the interpreter: the venv at VENV_MOUNT (so the project checkout
    that holds it never appears), the base interpreter's prefix at its own path (the venv links to it)."""
    mounts: list[tuple[str, str]] = []
    venv = sys.prefix if sys.prefix != sys.base_prefix else None
    for path in python_paths():
        mounts.append((path, VENV_MOUNT if path == venv else path))
    return mounts


def sandbox_python() -> str:
    """The interpreter to run inside the sandbox (the venv's, under its sandbox path)."""
    if sys.prefix != sys.base_prefix:
        return f"{VENV_MOUNT}/bin/{Path(sys.executable).name}"
    return sys.executable


def write_identity_files(*, lease: SlotLease) -> None:
    uid = lease.uid if lease.uid is not None else os.getuid()
    tester = uid + TESTER_UID_OFFSET  # the trusted tester's own uid (graders/harness/tester.py)
    (lease.directory / "etc" / "passwd").write_text(
        f"root:x:0:0:root:/root:/usr/sbin/nologin\ngrader:x:{uid}:{uid}:grader:{SCRATCH}:/usr/sbin/nologin\n"
        f"tester:x:{tester}:{tester}:tester:{SCRATCH}:/usr/sbin/nologin\n"
    )
    (lease.directory / "etc" / "group").write_text(f"root:x:0:\ngrader:x:{uid}:\ntester:x:{tester}:\n")


def system_mounts_argv(*, passwd: Path, group: Path) -> list[str]:
    """bwrap arguments mounting, read-only, what a Python program of the course environment needs and
    nothing else: the system's /usr and library folders, a few /etc files, the given passwd and group files,
    the base interpreter and the course virtualenv (at VENV_MOUNT). Shared by the grading sandbox and the
    hub's jailed servers (course_hub.spawner)."""
    argv = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "lib", "lib64", "sbin", "lib32"):
        path = Path("/") / name
        if path.is_symlink():
            argv += ["--symlink", os.readlink(path), f"/{name}"]
        elif path.is_dir():
            argv += ["--ro-bind", str(path), f"/{name}"]
    for etc in ("/etc/ld.so.cache", "/etc/localtime", "/etc/nsswitch.conf"):
        if Path(etc).exists():
            argv += ["--ro-bind", etc, etc]
    argv += ["--ro-bind", str(passwd), "/etc/passwd", "--ro-bind", str(group), "/etc/group"]
    mounts = python_mounts()
    parents: dict[str, None] = {}
    for _, dest in mounts:
        for parent in reversed(Path(dest).parents):
            if str(parent) not in ("/", "/usr") and not str(parent).startswith("/usr/"):
                parents[str(parent)] = None
    for folder in parents:  # traversable by an unprivileged uid even where the host's folder is 0700 (/root)
        argv += ["--perms", "0755", "--dir", folder]
    for src, dest in mounts:
        argv += ["--ro-bind", src, dest]
    return argv


def device_binds_argv(devices: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> list[str]:
    """bwrap arguments binding (host, sandbox) device nodes into the sandbox's /dev (after `--dev /dev`): a leased
    GPU's nodes from `gpu_runner.device_nodes`.  Shared by the grading sandbox and the hub's GPU servers."""
    argv: list[str] = []
    for host_path, dev_path in devices:
        argv += ["--dev-bind", host_path, dev_path]
    return argv


def bwrap_argv(
    *,
    lease: SlotLease,
    mode: str,
    scratch_mb: int,
    env: dict[str, str],
    devices: tuple[tuple[str, str], ...] = (),
    seccomp_fd: int | None = None,
) -> list[str]:
    """The bwrap command line of a slot; `devices` are (host, sandbox) device nodes bound into its /dev
    (a leased GPU's /dev/nvidiaN, /dev/nvidiactl, /dev/nvidia-uvm...), nothing else of the host's /dev."""
    if not Path(BWRAP).exists():
        raise RuntimeError(ERR_NO_BWRAP.format(path=BWRAP))
    write_identity_files(lease=lease)
    argv = [BWRAP, "--die-with-parent", "--new-session", "--clearenv", "--as-pid-1"]
    argv += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    if seccomp_fd is not None:  # graders.seccomp: no user namespaces inside (the fd must be passed to bwrap)
        argv += ["--seccomp", str(seccomp_fd)]
    if mode == "bwrap-user":
        argv += ["--unshare-user"]
    else:
        argv += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_KILL"]
    argv += system_mounts_argv(
        passwd=lease.directory / "etc" / "passwd", group=lease.directory / "etc" / "group"
    )
    # /proc/1 is the zygote (root, not dumpable): hide it so the notebook sees only its own processes
    argv += ["--proc", "/proc", "--tmpfs", "/proc/1", "--dev", "/dev"]
    argv += device_binds_argv(devices)
    size = str(scratch_mb * 1024 * 1024)
    argv += ["--perms", "1777", "--size", size, "--tmpfs", "/tmp"]
    argv += ["--perms", "1777", "--size", size, "--tmpfs", SCRATCH]
    # POSIX semaphores and shared memory (multiprocessing, joblib, torch DataLoader workers) need a writable
    # /dev/shm, as in Jupyter; it is private to the slot and wiped between submissions like /tmp.
    argv += ["--perms", "1777", "--size", size, "--tmpfs", "/dev/shm"]
    argv += ["--ro-bind", str(lease.directory / "in"), INBOX]
    argv += ["--chdir", SCRATCH, "--hostname", "grader"]
    for key, value in env.items():
        argv += ["--setenv", key, value]
    return argv


# ----- cgroups: v2 where /sys/fs/cgroup is the unified hierarchy, else v1's memory, pids and cpu controllers -----
# One place for the grading slots and the hub's jailed servers (course_hub.spawner).

CPU_PERIOD_US = 100_000


@dataclass
class Cgroup:
    paths: list[Path]

    def add(self, pid: int) -> None:
        for path in self.paths:
            with contextlib.suppress(OSError):
                (path / "cgroup.procs").write_text(str(pid))

    def memory_limited(self) -> bool:
        return any(p.parts[-3] == "memory" or (p / "memory.max").exists() for p in self.paths)

    def set_limits(
        self, *, memory_bytes: int | None = None, max_pids: int | None = None, cpus: float | None = None
    ) -> None:
        """Write each limit into whichever file this cgroup has (v2: memory.max, pids.max, cpu.max; v1:
        memory.limit_in_bytes, pids.max, cpu.cfs_period_us and cpu.cfs_quota_us); every file is tried, then the
        first error is raised."""
        values: dict[str, str] = {}
        if memory_bytes is not None:
            values["memory.max"] = values["memory.limit_in_bytes"] = str(memory_bytes)
        if max_pids is not None:
            values["pids.max"] = str(max_pids)
        if cpus is not None:
            quota = max(int(cpus * CPU_PERIOD_US), 1000)
            values["cpu.max"] = f"{quota} {CPU_PERIOD_US}"
            values["cpu.cfs_period_us"] = str(CPU_PERIOD_US)
            values["cpu.cfs_quota_us"] = str(quota)
        errors: list[OSError] = []
        for path in self.paths:
            for key, value in values.items():
                if (path / key).exists():
                    try:
                        (path / key).write_text(value)
                    except OSError as exc:
                        errors.append(exc)
        if errors:
            raise errors[0]

    def remove(self) -> None:
        for path in self.paths:
            for _ in range(20):
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)


def cgroup_v2() -> bool:
    return (CGROUP_ROOT / "cgroup.controllers").is_file()


def open_cgroup(
    *, name: str, memory_bytes: int, max_pids: int, cpus: float | None = None
) -> tuple[Cgroup | None, str]:
    """The cgroup `name` (created if needed) with these limits, and "" (or which v1 controllers it lacks); or None
    and why there is none (not root, cgroups not writable or missing controllers)."""
    if cgroup_v2():
        return _open_v2(name=name, memory_bytes=memory_bytes, max_pids=max_pids, cpus=cpus)
    paths: list[Path] = []
    lacking: list[str] = []
    for controller in ("memory", "pids", *(("cpu",) if cpus is not None else ())):
        base = CGROUP_ROOT / controller
        path = base / name
        try:
            if not base.is_dir() or not os.access(base, os.W_OK):
                raise PermissionError(f"{base} is not writable")
            path.mkdir(parents=True, exist_ok=True)
            Cgroup([path]).set_limits(memory_bytes=memory_bytes, max_pids=max_pids, cpus=cpus)
        except OSError:
            lacking.append(controller)
            continue
        if controller == "memory":
            with contextlib.suppress(OSError):
                (path / "memory.swappiness").write_text("0")
        paths.append(path)
    if not paths:
        return None, f"no writable cgroup v2 or v1 memory, pids or cpu controller under {CGROUP_ROOT}"
    return Cgroup(paths), f"cgroup v1 without {', '.join(lacking)}" if lacking else ""


def _open_v2(*, name: str, memory_bytes: int, max_pids: int, cpus: float | None) -> tuple[Cgroup | None, str]:
    wanted = ["memory", "pids", *(["cpu"] if cpus is not None else [])]
    try:
        available = set((CGROUP_ROOT / "cgroup.controllers").read_text().split())
        missing = [c for c in wanted if c not in available]
        if missing:
            return None, f"cgroup v2 at {CGROUP_ROOT} lacks the {', '.join(missing)} controller(s)"
        parent = CGROUP_ROOT
        for part in Path(name).parts:  # each level hands the controllers down to the next
            (parent / "cgroup.subtree_control").write_text(" ".join(f"+{c}" for c in wanted))
            parent = parent / part
            parent.mkdir(exist_ok=True)
        cgroup = Cgroup([parent])
        cgroup.set_limits(memory_bytes=memory_bytes, max_pids=max_pids, cpus=cpus)
    except OSError as exc:
        return None, f"cgroup v2 at {CGROUP_ROOT} is not writable here ({type(exc).__name__}: {exc})"
    with contextlib.suppress(OSError):
        (parent / "memory.swap.max").write_text("0")
    return cgroup, ""


def make_cgroup(*, slot: int, memory_bytes: int, max_pids: int) -> Cgroup | None:
    """A per-slot cgroup with memory and pids limits, or None when cgroups are not writable."""
    return open_cgroup(name=f"graders/slot-{slot}", memory_bytes=memory_bytes, max_pids=max_pids)[0]


# ----- processes -----


def uid_processes(uid: int) -> list[int]:
    found: list[int] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as fh:
                for line in fh:
                    if line.startswith("Uid:"):
                        if int(line.split()[1]) == uid:
                            found.append(int(entry))
                        break
        except OSError:
            continue
    return found


def kill_uid(uid: int, *, attempts: int = 100) -> bool:
    """SIGKILL every process of ``uid`` on the machine until none is left; True when none is left."""
    for _ in range(attempts):
        pids = uid_processes(uid)
        if not pids:
            return True
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.01)
    return not uid_processes(uid)


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out: list[int] = []
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            out.append(child)
            stack.append(child)
    return out
