"""The notebook process (S) and the test processes (T), forked from the zygote inside the sandbox.

S runs one notebook's non-test cells in order as the slot's unprivileged uid, streaming outputs as frames on
the events pipe. At each test cell it kills every other process of its uid, forks T and waits for it, then
replays the test's visible part so later cells see its side effects.

T restores the tamper snapshot and clears hooks, asks for the test source (which the host sends only now),
closes that channel, runs the test with guarded comparisons and normalised values, checks that nothing was
patched during the test, and reports the harness's own verdict. Hidden test source never enters S.
"""

from __future__ import annotations

import builtins
import contextlib
import gc
import linecache
import os
import resource
import secrets
import signal
import sys
import time
import types
from typing import TYPE_CHECKING, Any

from . import cells, guard, values, wire

if TYPE_CHECKING:
    from .zygote import Harness

_UNSET = object()
PR_SET_DUMPABLE = 4
PR_SET_NO_NEW_PRIVS = 38


class Notebook:
    """S: runs one notebook's cells as the slot user."""

    def __init__(self, harness: Harness, job: dict[str, Any], job_fd: int) -> None:
        self.h = harness
        self.job = job
        self.job_fd = job_fd
        self.limits = job["limits"]
        self.instructor_modules: dict[str, types.ModuleType] = {}
        self.count = 0

    def emit(self, obj: dict[str, Any]) -> None:
        wire.write_frame(self.h.events_fd, obj, self.h.key)

    def confine(self) -> None:
        limits = self.limits
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        keep = {0, 1, 2, self.h.events_fd, self.job_fd}
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
            if cell["kind"] == "test":
                self.run_test(cell)
            else:
                self.run_cell(cell)
        self.emit({"t": "done"})

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
        before = dict(self.ns) if cell["kind"] == "locked" else None
        sink = cells.OutputSink(self.limits["output_cell_bytes"])
        status = self.execute(cell["source"], index=index, sink=sink)
        if before is not None:
            for name, value in self.ns.items():
                if isinstance(value, types.ModuleType) and before.get(name) is not value:
                    self.instructor_modules[name] = value
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
        index = cell["i"]
        self.emit({"t": "test_start", "i": index})
        for sig in range(1, signal.NSIG):
            if sig not in (signal.SIGKILL, signal.SIGSTOP):
                with contextlib.suppress(OSError, ValueError):
                    signal.signal(sig, signal.SIG_DFL)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.setitimer(signal.ITIMER_PROF, 0)
        if self.h.uid is not None:  # nothing else of this uid may watch the test: daemons, pools
            with contextlib.suppress(OSError):
                os.kill(-1, signal.SIGKILL)
        pid = _fork_when_possible()
        if pid is None:  # the slot's process limit is still taken by processes being killed
            self.emit({"t": "test_end", "i": index, "outcome": "exited", "status": -1})
            return
        if pid == 0:
            try:
                Test(self, cell).run()
            finally:
                os._exit(70)
        deadline = time.monotonic() + self.limits["cell_timeout_s"]
        outcome = "exited"
        status = 0
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                outcome = "timeout"
                _killpg(pid)
                os.waitpid(pid, 0)
                break
            time.sleep(0.002)
        _killpg(pid)
        self.emit({"t": "test_end", "i": index, "outcome": outcome, "status": status})
        signal.signal(signal.SIGINT, signal.default_int_handler)
        self.execute(cell["source"], index=index, sink=cells.OutputSink(1 << 16))


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


class Test:
    """T: one test cell, run after the student's code with the trusted world restored."""

    def __init__(self, notebook: Notebook, cell: dict[str, Any]) -> None:
        self.nb = notebook
        self.cell = cell
        self.h = notebook.h

    def run(self) -> None:
        os.setpgid(0, 0)
        self.h.prctl(PR_SET_DUMPABLE, 0)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        snap = self.h.snapshot
        assert snap is not None
        flags: list[str] = []
        if _tracer() != 0:
            flags.append("the test process was being traced")
        t0 = time.perf_counter()
        gc.collect()
        t1 = time.perf_counter()
        flags += snap.restore()
        flags += guard.clear_hooks()
        threads = len(sys._current_frames()) > 1  # only a Python at-fork callback can start one here
        if threads:
            flags.append("threads started by the submission were running in the test process")
        ns = self.nb.ns
        flags += self.fix_namespace(ns)
        normalize = values.make_normalizer(snap)
        for name, value in list(ns.items()):
            if not name.startswith("_") and id(type(value)) not in snap.trusted:
                ns[name] = normalize(value)
        values.wrap_submission_functions(ns, normalize)
        t2 = time.perf_counter()
        self.nb.emit({"t": "need_source", "i": self.cell["i"]})
        message = wire.read_frame(self.nb.job_fd, self.h.key)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, self.nb.job_fd)
        os.close(devnull)
        source = message["source"]
        sink = cells.OutputSink(self.nb.limits["output_cell_bytes"])
        self.h.holder["sink"] = sink
        sys.stdout = cells.Stream(self.h.holder, "stdout")
        sys.stderr = cells.Stream(self.h.holder, "stderr")
        name = f"_grader_guard_{secrets.token_hex(8)}"
        outcome, partial, error = "passed", None, None
        try:
            try:
                body, tail = cells.compile_cell(
                    self.h.shell,
                    source,
                    filename=f"<test-{self.cell['i']}>",
                    transformer=values.CompareGuard(name),
                )
            except SyntaxError:
                raise
            ns[name] = values.make_guards(snap)
            value = cells.run_code(body, tail, ns)
            if value is not cells.NO_VALUE:
                value = normalize(value)
                if id(type(value)) not in snap.trusted:
                    raise values.UntrustedObject(
                        "the test's result is an object of a class defined in the submission"
                    )
                partial = values.numeric_result(value, snap)
        except AssertionError as exc:
            outcome, error = "failed", exc
        except Exception as exc:
            outcome, error = "error", exc
        except BaseException as exc:
            outcome, error = "exited", exc
        sys.settrace(None)
        sys.setprofile(None)
        gc.disable()
        t3 = time.perf_counter()
        # a test that already failed scores 0 anyway; only a pass needs proof that nothing was re-patched
        after = snap.restore() + guard.clear_hooks() if outcome == "passed" else guard.clear_hooks()
        t4 = time.perf_counter()
        if after:
            flags += [f"during the test: {f}" for f in after]
        if (after or threads) and outcome == "passed":
            outcome = "tampered"
        # no raw traceback output: the host rebuilds it from these frames and the sources it holds, leaving out
        # every hidden line (see graders/tracebacks.py)
        test_lines = len(linecache.cache.get(f"<test-{self.cell['i']}>", (0, None, []))[2])
        self.nb.emit(
            {
                "t": "test_result",
                "i": self.cell["i"],
                "outcome": outcome,
                "partial": partial,
                "stderr": sink.stderr_written,
                "message": _safe_message(error, snap) if error is not None else "",
                "error": _error_record(error, snap, test_lines) if error is not None else None,
                "outputs": sink.outputs,
                "flags": flags[:50],
                "timing": {"gc": t1 - t0, "guard": t2 - t1, "test": t3 - t2, "check": t4 - t3},
            }
        )
        os._exit(0)

    def fix_namespace(self, ns: dict[str, Any]) -> list[str]:
        flags: list[str] = []
        if ns.get("__builtins__") is not builtins:
            ns["__builtins__"] = builtins
            flags.append("__builtins__ of the notebook was replaced")
        for name, module in self.nb.instructor_modules.items():
            if ns.get(name) is not module:
                ns[name] = module
                flags.append(f"the notebook name {name!r} (a module imported by a locked cell) was rebound")
        base = self.h.base_ns
        for name in dir(builtins):
            if name.startswith("_") or name not in ns or ns[name] is base.get(name, _UNSET):
                continue
            value, real = ns[name], getattr(builtins, name)
            if value is not real and callable(value) and callable(real):
                ns[name] = real
                flags.append(f"the builtin {name!r} was shadowed by the notebook")
        return flags


def _tracer() -> int:
    if not os.path.exists("/proc/self/status"):
        return 0
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("TracerPid:"):
                return int(line.split()[1])
    return 0


def _safe_parts(error: BaseException, snap: guard.Snapshot) -> tuple[str, str] | None:
    """(type name, message) of an exception of a trusted class; None for a class defined in the submission."""
    kind = type(error)
    if not snap.is_trusted_type(kind):
        return None
    parts = []
    for arg in error.args[:3]:
        parts.append(arg if type(arg) is str else repr(arg) if type(arg) in (int, float) else "<object>")
    return kind.__name__, ", ".join(p[:500] for p in parts)


def _safe_message(error: BaseException, snap: guard.Snapshot) -> str:
    parts = _safe_parts(error, snap)
    if parts is None:
        return "exception of a class defined in the submission"
    name, text = parts
    return f"{name}: {text}" if text else name


MAX_FRAMES = 200


def _error_record(error: BaseException, snap: guard.Snapshot, test_lines: int) -> dict[str, Any]:
    """The exception as data: type, message and frames (file name, line, function), harness frames left out.

    Only the location of each frame crosses; the host takes every line's text from the sources it holds.
    A traceback longer than ``MAX_FRAMES`` keeps its two ends around a ``None`` that marks the gap.
    """
    parts = _safe_parts(error, snap)
    frames: list[list[Any] | None] = []
    tb = error.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if not code.co_filename.startswith(cells.HARNESS_PREFIX):
            frames.append([str(code.co_filename)[:300], int(tb.tb_lineno or 0), str(code.co_name)[:100]])
        tb = tb.tb_next
    if len(frames) > MAX_FRAMES:
        half = MAX_FRAMES // 2
        frames = [*frames[:half], None, *frames[-half:]]
    return {
        "ename": parts[0] if parts else "",
        "evalue": parts[1] if parts else "",
        "trusted": parts is not None,
        "frames": frames,
        "test_lines": test_lines,
    }
