"""Host side of one warm sandbox (a "slot"): start the zygote, run a notebook, enforce limits, reset.

The host talks to the zygote over its stdin/stdout (commands, replies) and reads the notebook's events
(outputs, test results) from a separate pipe. It enforces the wall-clock limits (per cell and per
submission) and the total output size, and it hands a hidden test's source to the sandbox only when the
test process asks for it, once, in notebook order.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from graders import sandbox, seccomp
from graders.harness import MODULES, wire
from graders.limits import Limits
from graders.protocol import EventHandler, NotebookRun

DEFAULT_PRELOAD = (
    "numpy",
    "scipy",
    "pandas",
    "sklearn",
    "sklearn.linear_model",
    "sklearn.model_selection",
    "torch",
    "matplotlib",
    "matplotlib.pyplot",
    "IPython",
)
BOOTSTRAP = (
    "import os,sys,json,types\n"
    "def _r(n):\n"
    " b=b''\n"
    " while len(b)<n:\n"
    "  c=os.read(0,n-len(b))\n"
    "  if not c: raise SystemExit(3)\n"
    "  b+=c\n"
    " return b\n"
    "k=_r(32);n=int.from_bytes(_r(8),'big');mods=json.loads(_r(n))\n"
    "p=types.ModuleType('grader_harness');p.__path__=[];sys.modules['grader_harness']=p\n"
    "for name,src in mods:\n"
    " m=types.ModuleType('grader_harness.'+name);m.__package__='grader_harness'\n"
    " sys.modules[m.__name__]=m;setattr(p,name,m)\n"
    " exec(compile(src,'<grader_harness/'+name+'.py>','exec'),m.__dict__)\n"
    "del mods\n"
    "sys.modules['grader_harness.zygote'].main(k)\n"
)
START_TIMEOUT_S = 180.0
GRACE_S = 2.0
ERR_START = "the grading sandbox did not start: {detail}"


def harness_sources() -> list[tuple[str, str]]:
    folder = Path(__file__).with_name("harness")
    return [(name, (folder / f"{name}.py").read_text(encoding="utf-8")) for name in MODULES]


def base_env(*, workdir: str, tmpdir: str, sandboxed: bool = True) -> dict[str, str]:
    venv_bin = str(Path(sandbox.sandbox_python() if sandboxed else sys.executable).parent)
    return {
        "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
        "HOME": workdir,
        "TMPDIR": tmpdir,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": f"{tmpdir}/.matplotlib",
        "IPYTHONDIR": f"{tmpdir}/.ipython",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "NBGRADER_EXECUTION": "autograde",
    }


def _folder_id(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_dev, info.st_ino


def empty_folder(folder: Path) -> None:
    """Delete everything inside ``folder`` but keep the folder itself (its inode), then check it is empty."""
    folder.mkdir(mode=0o755, exist_ok=True)
    for entry in os.scandir(folder):
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
    left = os.listdir(folder)
    if left:
        raise RuntimeError(ERR_START.format(detail=f"could not empty the inbox folder ({len(left)} left)"))


class Slot:
    """A warm zygote in a sandbox, reusable for many submissions (except in bwrap-user mode)."""

    def __init__(
        self,
        *,
        mode: str | None = None,
        preload: tuple[str, ...] = DEFAULT_PRELOAD,
        devices: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.mode = mode or sandbox.default_mode()
        self.preload = preload
        self.devices = devices  # (host, sandbox) device nodes bound into the sandbox's /dev (a leased GPU)
        self.proc: subprocess.Popen[bytes] | None = None
        self.lease: sandbox.SlotLease | None = None
        self.cgroup: sandbox.Cgroup | None = None
        self.key = secrets.token_bytes(32)  # control channel (zygote, tester): verdicts
        self.events_key = secrets.token_bytes(32)  # events from the notebook process: outputs only
        self.events_fd = -1
        self.ready_info: dict[str, Any] = {}
        self.used = 0
        self.errlog: IO[bytes] | None = None
        self.workdir = ""
        self.env: dict[str, str] = {}
        self.tmpdir = ""
        self.inbox_id: tuple[int, int] | None = None
        self.limits: Limits | None = None
        self.rebuilds = 0  # times a reset could not prove the slot clean and the slot was replaced

    @property
    def reusable(self) -> bool:
        return self.mode != "bwrap-user" and self.alive

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def describe(self) -> str:
        uid = self.lease.uid if self.lease else None
        if self.mode == "none":
            return f"none (NOT isolated: development only) uid={uid} rlimits warm-zygote"
        cg = "cgroup+rlimits" if self.cgroup else "rlimits"
        return f"{self.mode} uid={uid} {cg} net=none pid/ipc/uts namespaces warm-zygote"

    def start(self) -> None:
        self.lease = sandbox.acquire_slot(mode=self.mode)
        if self.mode == "none":
            work = self.lease.directory / "work"
            tmp = self.lease.directory / "tmp"
            for folder in (work, tmp):
                folder.mkdir(mode=0o700)
                if self.lease.uid is not None:
                    os.chown(folder, self.lease.uid, self.lease.uid)
            workdir, tmpdirs, inbox = str(work), [str(tmp)], str(self.lease.directory / "in")
            home, seccomp_fd = workdir, None
            env = base_env(workdir=workdir, tmpdir=str(tmp), sandboxed=False)
            argv = [sys.executable, "-I", "-B", "-c", BOOTSTRAP]
            cwd: str | None = workdir
        else:
            workdir, tmpdirs, inbox = f"{sandbox.SCRATCH}/work", ["/tmp", "/dev/shm"], sandbox.INBOX
            home, seccomp_fd = sandbox.SCRATCH, seccomp.program_fd()
            env = base_env(workdir=workdir, tmpdir="/tmp")
            argv = sandbox.bwrap_argv(
                lease=self.lease,
                mode=self.mode,
                scratch_mb=Limits().scratch_mb,
                env=env,
                devices=self.devices,
                seccomp_fd=seccomp_fd,
            )
            argv += [sandbox.sandbox_python(), "-I", "-B", "-c", BOOTSTRAP]
            cwd = None
        self.workdir, self.tmpdir, self.env = workdir, tmpdirs[0], env
        self.inbox_id = _folder_id(self.lease.directory / "in")
        events_r, events_w = os.pipe()
        self.errlog = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the slot
        try:
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.errlog,
                pass_fds=(events_w,) if seccomp_fd is None else (events_w, seccomp_fd),
                env=env if self.mode == "none" else {},
                cwd=cwd,
                close_fds=True,
            )
        finally:
            if seccomp_fd is not None:
                os.close(seccomp_fd)
        os.close(events_w)
        self.events_fd = events_r
        os.set_blocking(events_r, False)
        payload = json.dumps(harness_sources()).encode("utf-8")
        assert self.proc.stdin is not None
        self.proc.stdin.write(self.key + len(payload).to_bytes(8, "big") + payload)
        self.proc.stdin.flush()
        init = {
            "uid": self.lease.uid,
            "workdir": workdir,
            "inbox": inbox,
            "tmpdirs": tmpdirs,
            "home": home,
            "private_ipc": self.mode != "none",  # SysV IPC objects are checked in the slot's own namespace
            "preload": list(self.preload),
            "events_fd": events_w,
            "events_key": self.events_key.hex(),
        }
        self.command(init)
        reply = self.reply(timeout=START_TIMEOUT_S)
        if reply is None or reply.get("t") != "ready":
            detail = self.stderr_tail()
            self.close()
            raise RuntimeError(ERR_START.format(detail=detail or reply))
        self.ready_info = reply
        if self.mode != "none" and os.geteuid() == 0:
            self.cgroup = sandbox.make_cgroup(slot=self.lease.index, memory_bytes=1 << 40, max_pids=1 << 20)
            if self.cgroup:
                for pid in [self.proc.pid, *sandbox.descendants(self.proc.pid)]:
                    self.cgroup.add(pid)

    def stderr_tail(self) -> str:
        if self.errlog is None:
            return ""
        self.errlog.seek(0)
        return self.errlog.read()[-2000:].decode("utf-8", "replace")

    def command(self, obj: dict[str, Any]) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(wire.encode(obj, self.key))
        self.proc.stdin.flush()

    def reply(self, *, timeout: float) -> dict[str, Any] | None:
        assert self.proc is not None and self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            return None
        try:
            return wire.read_frame(self.proc.stdout.fileno(), self.key)
        except (EOFError, wire.WireError):
            return None

    def expect(self, kind: str, *, timeout: float) -> dict[str, Any] | None:
        """The next reply of ``kind``, skipping late replies to earlier commands (e.g. "killed")."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            reply = self.reply(timeout=left)
            if reply is None:
                return None
            if reply.get("t") == kind:
                return reply
        return None

    def apply_limits(self, limits: Limits) -> None:
        self.limits = limits
        if self.cgroup is None:
            return
        zygote_mb = float(self.ready_info.get("rss_mb", 0)) or 600.0
        memory = int((limits.memory_mb + zygote_mb + 64) * 1024 * 1024)
        with contextlib.suppress(OSError):  # v1 or v2 (graders.sandbox.Cgroup)
            self.cgroup.set_limits(memory_bytes=memory, max_pids=limits.max_processes + 16)

    def reset(self, *, files: dict[str, Path], rebuilt: bool = False) -> None:
        """Kill the previous submission's processes, wipe scratch and SysV IPC and stage this submission's
        files. Fails closed: a slot whose wipe cannot prove it clean is destroyed and rebuilt (new zygote,
        new folders, new IPC namespace), and a rebuilt slot that is still not clean is an error."""
        assert self.lease is not None
        inbox = self.lease.directory / "in"
        # The folder is bind-mounted into the sandbox: empty it in place. Replacing it would leave the mount
        # on the deleted folder, and the sandbox would never see this submission's data files.
        empty_folder(inbox)
        if self.inbox_id is not None and _folder_id(inbox) != self.inbox_id:
            raise RuntimeError(ERR_START.format(detail="the inbox folder was replaced under the sandbox"))
        for rel, src in files.items():
            target = inbox / rel
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
            shutil.copyfile(src, target)
            target.chmod(0o644)
        self.command({"t": "reset"})
        reply = self.expect("reset_done", timeout=60)
        if reply is None:
            raise RuntimeError(ERR_START.format(detail="reset failed"))
        if self.lease.uid is not None and not sandbox.kill_uid(self.lease.uid):
            reply["clean"] = False
        if not reply.get("clean"):
            if rebuilt:
                raise RuntimeError(ERR_START.format(detail=f"a new slot is not clean: {self.stderr_tail()}"))
            self.rebuild()
            self.reset(files=files, rebuilt=True)

    def rebuild(self) -> None:
        """Replace the sandbox by a fresh one (new lease folders, zygote, namespaces and key)."""
        limits = self.limits
        self.close()
        self.key = secrets.token_bytes(32)
        self.events_key = secrets.token_bytes(32)
        self.rebuilds += 1
        self.start()
        if limits is not None:
            self.apply_limits(limits)

    def finish(self) -> None:
        """Kill whatever the submission left running (daemons, pools) as soon as grading ends."""
        if self.alive:
            with contextlib.suppress(OSError, ValueError):
                self.command({"t": "killall"})
                self.expect("killed", timeout=30)
        if self.lease is not None and self.lease.uid is not None:
            sandbox.kill_uid(self.lease.uid)

    def close(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(OSError, ValueError):
                self.command({"t": "quit"})
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            for stream in (self.proc.stdin, self.proc.stdout):
                with contextlib.suppress(OSError):
                    if stream:
                        stream.close()
            self.proc = None
        if self.events_fd >= 0:
            os.close(self.events_fd)
            self.events_fd = -1
        if self.lease is not None:
            if self.lease.uid is not None:
                sandbox.kill_uid(self.lease.uid)
            if self.cgroup:
                self.cgroup.remove()
                self.cgroup = None
            shutil.rmtree(self.lease.directory, ignore_errors=True)
            self.lease.release()
            self.lease = None
        if self.errlog is not None:
            self.errlog.close()
            self.errlog = None

    def run_notebook(
        self,
        *,
        job: dict[str, Any],
        tests: dict[int, str],
        limits: Limits,
        deadline: float,
        on_cell: Callable[[int], None] | None = None,
    ) -> NotebookRun:
        """Run one notebook; ``tests`` maps cell index to the full test source (sent on request)."""
        self.used += 1
        handler = EventHandler(tests=tests, run=NotebookRun(), on_cell=on_cell)
        reader = wire.FrameReader(self.events_key, max_bytes=limits.output_total_bytes)
        self.command({"t": "run", "job": job})
        assert self.proc is not None and self.proc.stdout is not None
        control = self.proc.stdout.fileno()
        state: dict[str, Any] = {"exited": None, "broken": False}

        def on_control(message: dict[str, Any]) -> None:
            kind = message.get("t")
            if kind in ("test_result", "test_end"):
                handler.handle_control(message)
            elif kind == "exited":
                state["exited"] = message

        def read_control(timeout: float) -> bool:
            ready, _, _ = select.select([control], [], [], timeout)
            if not ready:
                return False
            message = self._control_message()
            if message is None:
                state["broken"] = True
                return False
            on_control(message)
            return True

        def wait_test_end() -> None:
            """S went on after a test: T's verdict and the end of the test are already on the control pipe."""
            until = time.monotonic() + 10.0
            while (
                handler.current is not None
                and handler.current_kind == "test"
                and not state["broken"]
                and time.monotonic() < until
            ):  # until the test's end is read (it sets current to None), not until the 10 s bound
                read_control(max(0.0, until - time.monotonic()))

        handler.wait_test_end = wait_test_end
        interrupted_at: float | None = None
        killed = False
        while True:
            now = time.monotonic()
            cell_deadline = handler.cell_deadline(limits.cell_timeout_s)
            wake = min(deadline, cell_deadline or deadline, (interrupted_at or now) + GRACE_S)
            ready, _, _ = select.select([self.events_fd, control], [], [], max(0.0, min(wake - now, 1.0)))
            if control in ready:
                while read_control(0.0):
                    if state["exited"] is not None:
                        break
            if self.events_fd in ready or state["exited"] is not None:
                self._drain_events(reader, handler)
            if state["broken"]:
                handler.run.flags.append("the sandbox stopped unexpectedly")
                break
            if state["exited"] is not None:
                self._drain_events(reader, handler)
                handler.run.exit_info = state["exited"]
                break
            for index, source in handler.pending_feeds():
                self.command({"t": "test", "i": index, "source": source, "timeout": limits.cell_timeout_s})
                handler.fed(index)
            now = time.monotonic()
            if reader.total > limits.output_total_bytes and not killed:
                handler.run.output_overflow = True
                self.command({"t": "killall"})
                killed = True
            elif now >= deadline and not killed:
                handler.run.total_timeout = True
                self.command({"t": "killall"})
                killed = True
            elif cell_deadline is not None and now >= cell_deadline and interrupted_at is None:
                handler.timed_out()
                self.command({"t": "signal", "sig": int(signal.SIGINT)})
                interrupted_at = now
            elif interrupted_at is not None and now >= interrupted_at + GRACE_S and not killed:
                if handler.still_in_timed_out_cell():
                    self.command({"t": "killall"})
                    killed = True
                else:
                    interrupted_at = None
        if reader.bad_frames:
            handler.run.flags.append(f"{reader.bad_frames} forged or corrupt message(s) from the notebook")
        return handler.run

    def _drain_events(self, reader: wire.FrameReader, handler: EventHandler) -> None:
        while True:
            try:
                data = os.read(self.events_fd, 1 << 20)
            except BlockingIOError:
                return
            if not data:
                return
            if reader.total <= reader.max_bytes + (1 << 20):
                for frame in reader.feed(data):
                    handler.handle(frame)
            else:
                reader.total += len(data)

    def _control_message(self) -> dict[str, Any] | None:
        assert self.proc is not None and self.proc.stdout is not None
        try:
            return wire.read_frame(self.proc.stdout.fileno(), self.key)
        except (EOFError, wire.WireError):
            return None
