"""The notebook process (S), forked from the zygote inside the sandbox.

S runs one notebook's non-test cells in order as the slot's unprivileged uid, streaming outputs as frames on
the events pipe (MAC'd with the events key, which cannot speak for the tester). At each test cell it kills every
other process of its uid and serves the trusted tester T (:mod:`.tester`, forked by the zygote) over the socket
the zygote hands it: T calls the notebook's functions and reads its values through :mod:`.proxy`. S never
receives a test's source and never reports a verdict. Afterwards it replays the test's visible part so later
cells see its side effects.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import re
import resource
import select
import signal
import socket
import sys
import time
from typing import TYPE_CHECKING, Any

from . import cells, guard, proxy, wire

if TYPE_CHECKING:
    from .shared import Shared

_UNSET = object()
PR_SET_DUMPABLE = 4
PR_SET_NO_NEW_PRIVS = 38


class Notebook:
    """S: runs one notebook's cells as the slot user."""

    def __init__(self, harness: Shared, job: dict[str, Any], ctl_fd: int) -> None:
        self.h = harness
        self.job = job
        self.ctl_fd = ctl_fd
        self.ctl = socket.socket(fileno=ctl_fd)
        self.limits = job["limits"]
        self.count = 0
        self.timings: dict[str, float] = {}  # seconds per phase, reported with "done" (diagnostics only)

    def emit(self, obj: dict[str, Any]) -> None:
        wire.write_frame(self.h.events_fd, obj, self.h.events_key)

    def confine(self) -> None:
        limits = self.limits
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        keep = {0, 1, 2, self.h.events_fd, self.ctl_fd}
        for entry in os.listdir("/proc/self/fd"):
            if int(entry) not in keep:
                with contextlib.suppress(OSError):
                    os.close(int(entry))
        rl = resource
        rl.setrlimit(rl.RLIMIT_CORE, (0, 0))
        rl.setrlimit(rl.RLIMIT_NPROC, (limits["max_processes"], limits["max_processes"]))
        fsize = limits["file_size_mb"] * 1024 * 1024
        rl.setrlimit(rl.RLIMIT_FSIZE, (fsize, fsize))
        rl.setrlimit(rl.RLIMIT_CPU, (limits["cpu_s"], limits["cpu_s"] + 2))
        rl.setrlimit(rl.RLIMIT_NOFILE, (1024, 1024))
        if limits.get("rlimit_as"):
            with open("/proc/self/status") as fh:
                vm = next((int(x.split()[1]) for x in fh if x.startswith("VmSize:")), 0) * 1024
            cap = vm + limits["memory_mb"] * 1024 * 1024
            rl.setrlimit(rl.RLIMIT_AS, (cap, cap))
        if self.h.uid is not None:
            os.setgroups([])
            os.setresgid(self.h.uid, self.h.uid, self.h.uid)
            os.setresuid(self.h.uid, self.h.uid, self.h.uid)
        self.h.prctl(PR_SET_NO_NEW_PRIVS, 1)
        os.chdir(self.h.workdir)
        os.environ.clear()
        os.environ.update(self.job["env"])

    def run(self) -> None:
        self.confine()
        shell = self.h.shell
        self.ns: dict[str, Any] = shell.user_ns
        self.holder = self.h.holder
        sys.stdout = cells.Stream(self.holder, "stdout")
        sys.stderr = cells.Stream(self.holder, "stderr")
        self.emit({"t": "begin", "notebook": self.job["notebook"]})
        for cell in self.job["cells"]:
            started = time.perf_counter()
            if cell["kind"] == "test":
                self.run_test(cell)
                self.add_time("tests_s", time.perf_counter() - started)
            else:
                self.run_cell(cell)
                self.add_time("cells_s", time.perf_counter() - started)
        # one tamper check for the whole notebook, after its last cell: a staff signal only (the verdicts are
        # T's), so checking after every test bought nothing but a fork and a pass over the snapshot per test
        started = time.perf_counter()
        flags = self.tamper_flags()
        self.add_time("tamper_s", time.perf_counter() - started)
        if flags:
            self.emit({"t": "tamper_flags", "flags": flags[:50]})
        self.emit({"t": "done", "timings": self.timings})

    def add_time(self, phase: str, seconds: float) -> None:
        self.timings[phase] = self.timings.get(phase, 0.0) + seconds

    def execute(self, source: str, *, index: int, sink: cells.OutputSink) -> str:
        self.holder["sink"] = sink
        self.count += 1
        status = "ok"
        try:
            body, tail = cells.compile_cell(self.h.shell, source, filename=f"<cell-{index}>")
            self.h.shell.events.trigger("pre_execute")
            value = cells.run_code(body, tail, self.ns)
            if value is not cells.NO_VALUE and value is not None:
                self.ns["_"] = value
                data, metadata = self.h.shell.display_formatter.format(value)
                sink.add(
                    {
                        "output_type": "execute_result",
                        "execution_count": self.count,
                        "data": data,
                        "metadata": metadata,
                    }
                )
        except BaseException as exc:
            status = "error"
            sink.add(cells.error_output(exc))
        try:
            self.h.shell.events.trigger("post_execute")
        except BaseException as exc:
            sink.add(cells.error_output(exc))
        return status

    def run_cell(self, cell: dict[str, Any]) -> None:
        index = cell["i"]
        self.emit({"t": "cell_start", "i": index})
        sink = cells.OutputSink(self.limits["output_cell_bytes"])
        status = self.execute(cell["source"], index=index, sink=sink)
        self.emit(
            {
                "t": "cell_end",
                "i": index,
                "status": status,
                "count": self.count,
                "outputs": sink.outputs,
                "dropped": sink.dropped,
            }
        )

    def run_test(self, cell: dict[str, Any]) -> None:
        """Serve the trusted tester T (forked by the zygote, never by this process) until it is done.

        T decides the verdict and reports it to the zygote itself; this process only answers T's requests
        (calls of the notebook's functions, its names and values) and reports staff flags. Afterwards the
        notebook's names are put back as they were before the test and the test's visible part is replayed,
        so later cells see its side effects as in a notebook.
        """
        index = cell["i"]
        self.emit({"t": "test_start", "i": index})
        for sig in range(1, signal.NSIG):
            if sig not in (signal.SIGKILL, signal.SIGSTOP, signal.SIGINT):
                with contextlib.suppress(OSError, ValueError):
                    signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.setitimer(signal.ITIMER_PROF, 0)
        if self.h.uid is not None:  # nothing else of this uid may run during the test: daemons, pools
            with contextlib.suppress(OSError):
                os.kill(-1, signal.SIGKILL)
        before = dict(self.ns)
        states = proxy.rng_state()
        with contextlib.suppress(BaseException):
            self.serve_tester()
        # the calls of the test moved the random states, grad mode and default dtype with the tester's; the
        # replay of the visible part below starts from the notebook's own, as if only that part had run
        proxy.set_rng_state(states)
        with contextlib.suppress(BaseException):
            self.ctl.sendall(b"D")
        verdict = self.wait_for_the_zygote()
        self.ns.clear()
        self.ns.update(before)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if verdict == b"X":  # the test timed out: replaying its visible part could only time out again
            return
        started = time.perf_counter()
        self.execute(cell["source"], index=index, sink=cells.OutputSink(1 << 16))
        self.add_time("replay_s", time.perf_counter() - started)

    def wait_for_the_zygote(self) -> bytes:
        """The zygote's word that the test is over: b"G" (go on) or b"X" (it timed out). The SIGINT that a
        timed-out test sends this process may interrupt the wait; it is waited for again."""
        for _ in range(5):
            try:
                return self.ctl.recv(1)
            except KeyboardInterrupt:
                continue
            except OSError:
                return b""
        return b""

    def serve_tester(self) -> None:
        _, fds, _, _ = socket.recv_fds(self.ctl, 16, 1)
        if not fds:
            return
        sock = socket.socket(fileno=fds[0])
        peer = proxy.Peer(sock, trusted=False)
        peer.namespace = self.public_names
        peer.names_of_notebook = lambda: self.ns
        peer.apply_rebinds = self.apply_rebinds
        cap = self.limits["output_cell_bytes"]

        def start() -> Any:
            previous = self.holder["sink"]
            self.holder["sink"] = cells.OutputSink(cap)
            return previous

        def stop(previous: Any) -> list[dict[str, Any]]:
            sink = self.holder["sink"]
            self.holder["sink"] = previous
            return sink.outputs

        peer.capture = (start, stop)
        try:
            while True:
                header, blobs = peer.receive()
                if header.get("k") != "req":
                    break
                peer.serve(header, blobs)
        finally:
            with contextlib.suppress(OSError):
                sock.close()

    def apply_rebinds(self, changes: dict[str, Any]) -> None:
        """The tester rebound or deleted names of the notebook: student functions see it, as in a notebook."""
        self.ns.update(changes.get("set") or {})
        for name in changes.get("del") or []:
            self.ns.pop(name, None)

    def public_names(self) -> dict[str, Any]:
        """The notebook's own names (not IPython's), for the tester."""
        base = self.h.base_ns
        out: dict[str, Any] = {}
        for name, value in list(self.ns.items()):
            if not isinstance(name, str) or name.startswith("__") or _IPYTHON_NAME.fullmatch(name):
                continue
            if name in base and base[name] is value:
                continue
            out[name] = value
        return out

    def tamper_flags(self) -> list[str]:
        """Staff signal only: what the submission patched in this process (checked in a throw-away fork)."""
        snap = self.h.snapshot
        if snap is None:
            return []
        read_end, write_end = os.pipe()
        pid = _fork_when_possible(attempts=40)
        if pid is None:
            os.close(read_end)
            os.close(write_end)
            return []
        if pid == 0:
            try:
                os.close(read_end)
                gc.collect()  # finalizers of the submission run here, where their patches are seen
                flags = snap.restore() + guard.clear_hooks()
                if len(sys._current_frames()) > 1:
                    flags.append("threads started by the submission were running in a forked process")
                os.write(write_end, json.dumps(flags[:50]).encode()[:60000])
            finally:
                os._exit(0)
        os.close(write_end)
        data = b""
        deadline = time.monotonic() + 20
        try:
            while time.monotonic() < deadline:
                ready, _, _ = select.select([read_end], [], [], 0.5)
                if ready:
                    chunk = os.read(read_end, 65536)
                    if not chunk:
                        break
                    data += chunk
        finally:
            os.close(read_end)
            _killpg_or_kill(pid)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        try:
            flags = json.loads(data.decode() or "[]")
        except ValueError:
            return ["the tamper check did not report"]
        return [str(f)[:300] for f in flags] if isinstance(flags, list) else []


_IPYTHON_NAME = re.compile(r"_|__|___|_i+|_i\d+|_\d+|_ih|_oh|_dh|In|Out|get_ipython|exit|quit")


def _killpg_or_kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)


def _fork_when_possible(attempts: int = 200) -> int | None:
    """fork(), retrying while killed processes still count against RLIMIT_NPROC (until reaped)."""
    for _ in range(attempts):
        try:
            return os.fork()
        except BlockingIOError:
            time.sleep(0.025)
    return None


def _killpg(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
