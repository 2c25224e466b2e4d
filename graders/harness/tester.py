"""T: the trusted tester of one test cell. It decides the verdict and never runs submission code.

The zygote forks T (before any submission code ever ran in the zygote) when the host hands it a test cell's
full source, hidden part included. T drops to its own uid (the slot's uid + ``TESTER_UID_OFFSET`` where the
sandbox can switch uids), makes itself non-dumpable, and talks to the notebook process S over one socket
(:mod:`.proxy`): it asks S for the notebook's names, binds the names the locked cells import or define by
running those statements itself from the instructor's source, then runs the test. Every value of the
submission is plain data decoded by T, or a handle whose use is forwarded to S; comparisons, ``assert`` and the
final expression are evaluated by T's own, untouched libraries. The verdict goes to the zygote on a private
pipe, never through S.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import json
import linecache
import os
import resource
import socket
import sys
import time
import types
from typing import TYPE_CHECKING, Any

from . import cells, proxy, wire

if TYPE_CHECKING:
    from .shared import Shared

PR_SET_DUMPABLE = 4
PR_SET_NO_NEW_PRIVS = 38
TESTER_UID_OFFSET = 1000
BINDING_STATEMENTS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
MAX_FRAMES = 200
_MISSING = object()


def tester_uid(uid: int | None) -> int | None:
    return None if uid is None else uid + TESTER_UID_OFFSET


class Tester:
    def __init__(
        self,
        harness: Shared,
        *,
        job: dict[str, Any],
        result_fd: int,
        index: int = -1,
        source: str = "",
        sock_fd: int = -1,
        command_fd: int = -1,
        forked_at: float | None = None,
    ) -> None:
        self.h = harness
        self.forked_at = forked_at  # the zygote's perf_counter() just before it forked T
        self.job = job
        self.index = index
        self.source = source
        self.sock_fd = sock_fd  # run(): the socket to S of the one test given here
        self.command_fd = (
            command_fd  # serve(): the zygote's commands, one per test, each with its socket to S
        )
        self.result_fd = result_fd
        self.limits = job["limits"]
        # the locked cells' binding statements, compiled once per tester (executed afresh for every test)
        self.bindings: dict[int, list[tuple[ast.stmt, types.CodeType]]] = {}

    def confine(self) -> None:
        os.setpgid(0, 0)
        self.h.prctl(PR_SET_DUMPABLE, 0)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        keep = {0, 1, 2, self.sock_fd, self.command_fd, self.result_fd}
        for entry in os.listdir("/proc/self/fd"):
            if int(entry) not in keep:
                with contextlib.suppress(OSError):
                    os.close(int(entry))
        rl = resource
        rl.setrlimit(rl.RLIMIT_CORE, (0, 0))
        rl.setrlimit(rl.RLIMIT_CPU, (self.limits["cpu_s"], self.limits["cpu_s"] + 2))
        fsize = self.limits["file_size_mb"] * 1024 * 1024
        rl.setrlimit(rl.RLIMIT_FSIZE, (fsize, fsize))
        if self.limits.get("rlimit_as"):
            with open("/proc/self/status") as fh:
                vm = next((int(x.split()[1]) for x in fh if x.startswith("VmSize:")), 0) * 1024
            cap = vm + self.limits["memory_mb"] * 1024 * 1024
            rl.setrlimit(rl.RLIMIT_AS, (cap, cap))
        uid = tester_uid(self.h.uid)
        if uid is not None:
            rl.setrlimit(rl.RLIMIT_NPROC, (64, 64))
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
        self.h.prctl(PR_SET_NO_NEW_PRIVS, 1)
        self.h.prctl(PR_SET_DUMPABLE, 0)
        with contextlib.suppress(OSError):
            os.chdir(self.h.workdir)
        os.environ.clear()
        os.environ.update(self.job["env"])
        sys.path[:] = [p for p in sys.path if p and os.path.abspath(p) != os.path.abspath(self.h.workdir)]

    def run(self) -> None:
        """Run the one test given to the constructor, then exit."""
        self.confine()
        self.test(self.index, self.source, self.sock_fd, self.forked_at)
        os._exit(0)

    def serve(self) -> None:
        """Run the tests of one notebook, one per command of the zygote, until the zygote closes the channel.

        A command is 8 bytes (its length) sent with the test's socket to S (SCM_RIGHTS), then that many bytes of
        JSON: the test's index, its full source and the zygote's clock when it sent the command.
        """
        self.confine()
        commands = socket.socket(fileno=self.command_fd)
        while True:
            header, fds = _receive_with_fds(commands, 8)
            if len(header) < 8 or len(fds) != 1:
                break
            body = _receive_exactly(commands, int.from_bytes(header, "big"))
            try:
                command = json.loads(body)
                index, source, sent_at = int(command["i"]), str(command["source"]), float(command["at"])
            except (ValueError, KeyError, TypeError):
                break
            self.test(index, source, fds[0], sent_at)
        os._exit(0)

    def test(self, index: int, source: str, sock_fd: int, sent_at: float | None) -> None:
        """Run one test cell against the notebook behind ``sock_fd`` and write its verdict to the zygote."""
        self.index, self.source = index, source
        started = time.perf_counter()
        timing = {"tester_start_s": started - (started if sent_at is None else sent_at)}
        mark = started
        sink = cells.OutputSink(self.limits["output_cell_bytes"])
        holder = self.h.holder
        holder["sink"] = sink
        sys.stdout = cells.Stream(holder, "stdout")
        sys.stderr = cells.Stream(holder, "stderr")
        sock = proxy.fd_socket(sock_fd)
        peer = proxy.Peer(sock, trusted=True)
        peer.on_output = lambda outputs: _merge_outputs(sink, outputs)
        ns: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
        outcome = "passed"
        partial: float | None = None
        error: BaseException | None = None
        flags: list[str] = []
        try:
            # the test starts from the notebook's random states, default dtype and grad mode (S sends them
            # with its first reply), not from the zygote's
            peer.state_key = proxy.state_key()
            mark = time.perf_counter()
            names = peer.request("namespace", 0)
            if not isinstance(names, dict):
                raise proxy.RemoteDied("the notebook did not list its names")
            for name, value in names.items():
                if not (isinstance(name, str) and name.isidentifier()):
                    continue
                if isinstance(value, proxy.Remote) and hasattr(builtins, name) and not name.startswith("_"):
                    flags.append(f"the builtin {name!r} was shadowed by the notebook")
                    continue
                ns[name] = value
            pushed = {name: ns[name] for name in names if isinstance(name, str) and name in ns}
            timing["tester_names_s"], mark = time.perf_counter() - mark, time.perf_counter()
            flags += self.bind_locked_names(ns, peer)
            timing["tester_bind_s"], mark = time.perf_counter() - mark, time.perf_counter()
            for name in pushed:
                pushed[name] = ns.get(name, _MISSING)
            peer.rebinds = lambda: _rebinds(ns, pushed)
            body, tail = cells.compile_cell(self.h.shell, self.source, filename=f"<test-{self.index}>")
            value = cells.run_code(body, tail, ns)
            if value is not cells.NO_VALUE:
                snap = self.h.snapshot
                plain = isinstance(value, int | float) and not isinstance(value, bool)
                if not plain and (
                    isinstance(value, proxy.Remote)
                    or (snap is not None and id(type(value)) not in snap.trusted)
                ):
                    raise proxy.UntrustedObject(
                        "the test's result is an object of a class the grader does not know"
                    )
                partial = numeric_result(value)
        except AssertionError as exc:
            outcome, error = "failed", exc
        except Exception as exc:
            outcome, error = "error", exc
        except BaseException as exc:
            outcome, error = "exited", exc
        sys.settrace(None)
        timing["tester_test_s"] = time.perf_counter() - mark
        test_lines = len(linecache.getlines(f"<test-{self.index}>"))
        record = {
            "t": "test_result",
            "i": self.index,
            "outcome": outcome,
            "partial": partial,
            "stderr": sink.stderr_written,
            "message": _safe_message(error) if error is not None else "",
            "error": _error_record(error, test_lines) if error is not None else None,
            "outputs": sink.outputs,
            "flags": flags[:50],
            "timing": timing,
        }
        with contextlib.suppress(OSError):
            sock.close()
        wire.write_frame(self.result_fd, record, self.h.key)

    def bind_locked_names(self, ns: dict[str, Any], peer: proxy.Peer) -> list[str]:
        """Run the import, def and class statements of the locked cells before this test, from the source."""
        flags: list[str] = []
        for cell in self.job["cells"]:
            if cell["i"] >= self.index:
                break
            if cell["kind"] != "locked":
                continue
            for node, code in self.compiled_bindings(cell):
                try:
                    exec(code, ns)  # noqa: S102
                except Exception as exc:  # an instructor import that fails here fails in the notebook too
                    flags.append(
                        f"a locked binding of cell {cell['i']} failed in the tester: {type(exc).__name__}"
                    )
                    continue
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    register_locked(peer, node.name, ns.get(node.name))
        return flags

    def compiled_bindings(self, cell: dict[str, Any]) -> list[tuple[ast.stmt, types.CodeType]]:
        """The binding statements of a locked cell, each compiled on its own (once per tester)."""
        index = int(cell["i"])
        if index in self.bindings:
            return self.bindings[index]
        found: list[tuple[ast.stmt, types.CodeType]] = []
        self.bindings[index] = found
        try:
            text = self.h.shell.transform_cell(cell["source"]) if self.h.shell is not None else cell["source"]
            tree = ast.parse(text, filename=f"<cell-{index}>")
        except (SyntaxError, ValueError):
            return found
        linecache.cache[f"<cell-{index}>"] = (len(text), None, text.splitlines(True), "")
        for node in tree.body:
            if isinstance(node, BINDING_STATEMENTS):
                module = ast.fix_missing_locations(ast.Module(body=[node], type_ignores=[]))
                found.append((node, compile(module, f"<cell-{index}>", "exec", dont_inherit=True)))
        return found


def _receive_with_fds(sock: socket.socket, size: int) -> tuple[bytes, list[int]]:
    """``size`` bytes from a stream socket and the descriptors that came with its first bytes."""
    data, fds, _, _ = socket.recv_fds(sock, size, 4)
    if data:
        data += _receive_exactly(sock, size - len(data))
    return data, list(fds)


def _receive_exactly(sock: socket.socket, size: int) -> bytes:
    parts = []
    while size > 0:
        chunk = sock.recv(min(size, 1 << 20))
        if not chunk:
            break
        parts.append(chunk)
        size -= len(chunk)
    return b"".join(parts)


def register_locked(peer: proxy.Peer, name: str, obj: Any) -> None:
    """A function or class that a locked cell defines crosses to the notebook by name (the notebook has the
    same cell), and an instance of such a class by value (its class by name): so an instructor's estimator
    or network lent to a student function can be cloned, fitted or trained there, as in a notebook."""
    if isinstance(obj, type | types.FunctionType) and getattr(obj, "__module__", None) == "__main__":
        stale = peer.locked_objects.get(name)
        if stale is not None:
            peer.locked.pop(id(stale), None)
        peer.locked[id(obj)] = name
        peer.locked_objects[name] = obj


def _rebinds(ns: dict[str, Any], pushed: dict[str, Any]) -> dict[str, Any] | None:
    """Names of the notebook that the test rebound or deleted since the last call (sent to S before each call)."""
    bound: dict[str, Any] = {}
    deleted: list[str] = []
    for name, last in pushed.items():
        current = ns.get(name, _MISSING)
        if current is last:
            continue
        if current is _MISSING:
            deleted.append(name)
        else:
            bound[name] = current
        pushed[name] = current
    return {"set": bound, "del": deleted} if bound or deleted else None


def _merge_outputs(sink: cells.OutputSink, outputs: list[Any]) -> None:
    for output in outputs[:1000]:
        if not isinstance(output, dict):
            continue
        if output.get("output_type") == "stream" and output.get("name") in ("stdout", "stderr"):
            sink.stream(str(output["name"]), str(output.get("text") or ""))
        elif output.get("output_type") in ("display_data", "execute_result"):
            sink.add({"output_type": "display_data", "data": output.get("data") or {}, "metadata": {}})
        elif output.get("output_type") == "error":
            sink.stderr_written = True


def numeric_result(value: Any) -> float | None:
    """nbgrader's partial credit, from a value T evaluated itself: exact int/float or a NumPy number."""
    kind = type(value)
    if kind is int or kind is float:
        return float(value)
    if isinstance(value, float):  # a subclass: its own __float__ is not asked
        return float.__float__(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return float(int.__int__(value))
    numpy = sys.modules.get("numpy")
    if numpy is not None and kind.__module__ == "numpy" and issubclass(kind, numpy.integer | numpy.floating):
        return float(value)
    return None


def _safe_parts(error: BaseException) -> tuple[str, str] | None:
    remote = getattr(error, "__grader_remote__", None)
    if isinstance(remote, dict):
        if not remote.get("trusted"):
            return None
        return str(remote.get("type") or "Exception")[:100], str(remote.get("message") or "")[:1500]
    if isinstance(error, proxy.RemoteDied):
        return None
    parts = []
    for arg in error.args[:3]:
        parts.append(arg if type(arg) is str else repr(arg) if type(arg) in (int, float) else "<object>")
    return type(error).__name__, ", ".join(p[:500] for p in parts)


def _safe_message(error: BaseException) -> str:
    if isinstance(error, proxy.RemoteDied):
        return "the notebook process ended during the test"
    parts = _safe_parts(error)
    if parts is None:
        return "exception of a class defined in the submission"
    name, text = parts
    return f"{name}: {text}" if text else name


def _error_record(error: BaseException, test_lines: int) -> dict[str, Any]:
    """The exception as data: type, message and frames (file, line, function); harness frames left out.

    Frames of the notebook process (a student function the test called) follow the tester's own frames.
    """
    parts = _safe_parts(error)
    frames: list[list[Any] | None] = []
    tb = error.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if not code.co_filename.startswith(cells.HARNESS_PREFIX):
            frames.append([str(code.co_filename)[:300], int(tb.tb_lineno or 0), str(code.co_name)[:100]])
        tb = tb.tb_next
    remote = getattr(error, "__grader_remote__", None)
    if isinstance(remote, dict):
        for frame in remote.get("frames") or []:
            if isinstance(frame, list) and len(frame) == 3:
                frames.append([str(frame[0])[:300], int(frame[1] or 0), str(frame[2])[:100]])
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
