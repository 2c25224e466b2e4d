"""The warm zygote inside the sandbox: preload, snapshot, then serve the host's commands.

It imports the course libraries once, takes the tamper :class:`~.guard.Snapshot` (a staff signal only),
makes itself non-dumpable and a child subreaper, then serves commands on fd 0 (replies on a private copy of
fd 1): run a notebook (fork S, see :mod:`.runner`), run a test cell (fork the trusted tester T, see
:mod:`.tester`, hand T's socket to S, relay T's verdict and enforce its time limit), signal S, kill every process
of the slot's uid, wipe and refill the scratch folder. T is forked from the zygote, which never ran submission
code; S never receives a test's source and cannot write on the channel that carries verdicts.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import resource
import select
import shutil
import signal
import socket
import time
from typing import Any

from . import cells, guard, runner, scrub, tester, wire

_UNSET = object()
PR_SET_DUMPABLE = 4
PR_SET_NO_NEW_PRIVS = 38
PR_SET_CHILD_SUBREAPER = 36
PR_SET_PDEATHSIG = 1
CONTROL_IN = 0


class Harness:
    """State shared by the zygote and (after fork) by S and T."""

    def __init__(self, init: dict[str, Any], key: bytes) -> None:
        self.key = key
        self.uid: int | None = init.get("uid")
        self.workdir: str = init["workdir"]
        self.inbox: str | None = init.get("inbox")
        self.tmpdirs: list[str] = list(init.get("tmpdirs", []))
        # the slot's home (the work folder is inside it) and the tmp folders are wiped whole between submissions
        self.home: str = init.get("home") or self.workdir
        self.private_ipc = bool(init.get("private_ipc"))
        self.preload_seconds = 0.0
        self.snapshot_seconds = 0.0
        self.shell: Any = None
        self.base_ns: dict[str, Any] = {}
        self.snapshot: guard.Snapshot | None = None
        self.holder: dict[str, cells.OutputSink] = {"sink": cells.OutputSink(1 << 20)}
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.child: int | None = None
        self.ctl: socket.socket | None = None  # to S: hands over each tester's socket
        self.job: dict[str, Any] | None = None
        self.tester: dict[str, Any] | None = None  # the running test: pid of T, cell, deadline, timed out
        # the tester T of the running notebook (forked at its first test, serves its later ones): pid, command
        # socket, result pipe and its frame reader
        self.tester_proc: dict[str, Any] | None = None
        self.s_deadline: float | None = None  # S must be back from a timed-out test by then
        self.events_fd: int = int(init["events_fd"])
        self.events_key = bytes.fromhex(str(init["events_key"]))
        self.control_out = os.dup(1)
        os.dup2(2, 1)
        self.janitor: socket.socket | None = None  # to the janitor (start_janitor), None when it is gone

    def start_janitor(self) -> None:
        """Fork the janitor while this process is still small (before the libraries are imported).

        The slot-user steps between submissions (kill every process of the slot's uid, wipe the scratch folders)
        each run in a child that drops to the slot's uid. Forked from the warm zygote, such a child copies the
        page tables of every library (about 14 ms with torch and scikit-learn, three times per submission);
        forked from the janitor, a bare interpreter that never imports them, it costs about a millisecond.
        The janitor never runs submission code, holds no key, and dies with the zygote.
        """
        ours, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                ours.close()
                self.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL))
                self.prctl(PR_SET_DUMPABLE, 0)
                self.key = b""  # the janitor speaks on no channel but its socket
                keep = {2, theirs.fileno()}
                for entry in os.listdir("/proc/self/fd"):
                    if int(entry) not in keep:
                        with contextlib.suppress(OSError):
                            os.close(int(entry))
                _serve_janitor(self, theirs)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        theirs.close()
        self.janitor = ours

    def slot_step(self, step: str) -> bool:
        """Run a slot-user step ("kill" or "wipe") in a child of the janitor (of this process if it is gone)."""
        func = _kill_every_process_of_this_uid if step == "kill" else self.wipe_and_fill
        if self.janitor is not None:
            try:
                self.janitor.sendall(step.encode() + b"\n")
                reply = self.janitor.recv(1)
                if reply in (b"1", b"0"):
                    return reply == b"1"
            except OSError:
                pass
            self.janitor.close()
            self.janitor = None
        return self.as_slot_user(func)

    # ----- zygote -----
    def preload(self, modules: list[str]) -> None:
        start = time.perf_counter()
        gc.disable()  # importing the libraries makes a few hundred thousand objects: collect once, at the end
        for name in modules:
            try:
                __import__(name)
            except Exception:  # noqa: S112 - a library missing here is simply not preloaded
                continue
        from IPython.core.interactiveshell import InteractiveShell
        from traitlets.config import Config

        class GraderShell(InteractiveShell):
            """No event loop to integrate with: `%matplotlib inline` only needs this to exist."""

            def enable_gui(self, gui: Any = None) -> None:
                return None

        config = Config()
        config.HistoryManager.enabled = False
        self.shell = GraderShell.instance(config=config)
        self.shell.display_pub = cells.make_publisher(self.shell, self.holder)
        self.preload_seconds = time.perf_counter() - start  # imports and the shell
        self.base_ns = dict(self.shell.user_ns)
        mark = time.perf_counter()
        # No gc.collect() first: with the libraries loaded it walks half a million objects (0.4 s of every
        # slot's start); what little cyclic garbage the imports left is frozen with the rest and never scanned.
        self.snapshot = guard.Snapshot(self.shell)
        gc.freeze()
        gc.enable()
        self.snapshot_seconds = time.perf_counter() - mark

    def prctl(self, option: int, value: int) -> None:
        self.libc.prctl(option, value, 0, 0, 0)

    def clear_preload_leftovers(self) -> None:
        """Remove what preloading left (as root) in the folders wiped between submissions: IPython's profile
        in /tmp, matplotlib's font list, fontconfig's cache under HOME (which made the work folder root's).
        The libraries hold what they need in memory; a fresh slot's folders are then empty, and any entry
        found there after a submission is the submission's own."""
        for folder in self.wiped_folders():
            if os.path.isdir(folder):
                scrub.empty_tree(folder)

    def wiped_folders(self) -> list[str]:
        return list(dict.fromkeys([self.home, *self.tmpdirs]))

    def serve(self) -> None:
        self.clear_preload_leftovers()
        self.prctl(PR_SET_DUMPABLE, 0)
        self.prctl(PR_SET_CHILD_SUBREAPER, 1)
        snap = self.snapshot
        self.reply(
            {
                "t": "ready",
                "preload_s": round(self.preload_seconds, 3),
                "snapshot_s": round(self.snapshot_seconds, 3),
                "modules": len(snap.modules) if snap else 0,
                "functions": len(snap.functions) if snap else 0,
                "classes": len(snap.classes) if snap else 0,
                "rss_mb": _rss_mb(),
                "janitor": self.janitor is not None,
            }
        )
        while True:
            watch = [CONTROL_IN]
            tester_pid = self.tester_proc["pid"] if self.tester_proc is not None else None
            pidfds = [os.pidfd_open(pid) for pid in (self.child, tester_pid) if pid]
            watch += pidfds
            if self.tester_proc is not None:
                watch.append(self.tester_proc["fd"])
            if self.ctl is not None:
                watch.append(self.ctl.fileno())
            ready, _, _ = select.select(watch, [], [], 0.05)
            for pidfd in pidfds:
                os.close(pidfd)
            self.read_tester()
            self.read_ctl()
            self.check_deadlines()
            self.reap()
            if CONTROL_IN in ready:
                try:
                    command = wire.read_frame(CONTROL_IN, self.key)
                except (EOFError, wire.WireError):
                    self.kill_all()
                    os._exit(0)
                if not self.handle(command):
                    self.kill_all()
                    os._exit(0)

    def reply(self, obj: dict[str, Any]) -> None:
        wire.write_frame(self.control_out, obj, self.key)

    def handle(self, command: dict[str, Any]) -> bool:
        kind = command.get("t")
        if kind == "run":
            self.start_notebook(command["job"])
        elif kind == "test":
            self.start_tester(int(command["i"]), str(command["source"]), float(command["timeout"]))
        elif kind == "signal" and self.child:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.child, int(command["sig"]))
        elif kind == "reset":
            self.kill_all()
            clean = not self.slot_processes() if self.uid is not None else True
            clean = self.slot_step("wipe") and clean
            self.reply({"t": "reset_done", "clean": clean})
        elif kind == "killall":
            self.kill_all()
            self.reply({"t": "killed"})
        elif kind == "quit":
            return False
        return True

    def child_exited(self) -> None:
        assert self.child is not None
        if self.tester_proc is not None:  # the notebook is over: so is its tester (a running test ends first)
            _kill_tester(self.tester_proc["pid"])
            self.tester_exited()
        _, status, usage = os.wait4(self.child, 0)
        self.child = None
        self.s_deadline = None
        if self.ctl is not None:
            self.ctl.close()
            self.ctl = None
        self.reply(
            {
                "t": "exited",
                "status": status,
                "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0,
                "code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
                "cpu_s": usage.ru_utime + usage.ru_stime,
                "max_rss_mb": usage.ru_maxrss / 1024.0,
            }
        )

    def reap(self) -> None:
        """Collect exited children: report S, silently reap orphans re-parented to us."""
        while True:
            try:
                info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                return
            if info is None or info.si_pid == 0:
                return
            if info.si_pid == self.child:
                self.child_exited()
            elif self.tester_proc is not None and info.si_pid == self.tester_proc["pid"]:
                self.tester_exited()
            else:
                os.waitpid(info.si_pid, 0)

    def as_slot_user(self, func: Any) -> bool:
        """Run ``func`` in a short-lived child with the slot's uid (kill, wipe); True when it returned."""
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                if self.uid is not None:
                    os.setgroups([])
                    os.setresgid(self.uid, self.uid, self.uid)
                    os.setresuid(self.uid, self.uid, self.uid)
                func()
                code = 0
            except BaseException as exc:  # reported through the exit status
                with contextlib.suppress(Exception):
                    os.write(2, f"grader: the slot-user step failed: {exc!r}\n".encode())
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0

    def kill_all(self) -> None:
        """SIGKILL every process of the slot's uid (the zygote itself runs as another uid), and the tester."""
        if self.tester_proc is not None:
            _kill_tester(self.tester_proc["pid"])
        if self.uid is None:
            if self.child:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.child, signal.SIGKILL)
            return
        for _ in range(50):
            self.slot_step("kill")
            self.reap()
            if not self.slot_processes():
                return
            time.sleep(0.01)

    def slot_processes(self) -> list[int]:
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == os.getpid():
                continue
            try:
                with open(f"/proc/{entry}/status") as fh:
                    for line in fh:
                        if line.startswith("Uid:"):
                            if int(line.split()[1]) == self.uid:
                                found.append(int(entry))
                            break
            except OSError:
                continue
        return found

    def wipe_and_fill(self) -> None:
        """Empty the home (work folder included) and tmp folders and remove every SysV IPC object; raise
        (a non-zero exit of the wipe child, so the host rebuilds the slot) when the slot is not proven clean."""
        problems: list[str] = []
        for folder in self.wiped_folders():
            if os.path.isdir(folder):
                problems += scrub.empty_tree(folder)
        if self.private_ipc:
            problems += scrub.remove_sysv_ipc()
        if problems:
            raise RuntimeError("; ".join(problems))
        os.makedirs(self.workdir, exist_ok=True)
        if self.inbox and os.path.isdir(self.inbox):
            shutil.copytree(self.inbox, self.workdir, dirs_exist_ok=True)

    def start_notebook(self, job: dict[str, Any]) -> None:
        if self.tester_proc is not None:  # a tester serves one notebook only
            _kill_tester(self.tester_proc["pid"])
            self.tester_exited()
        ours, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:
            try:
                ours.close()
                runner.Notebook(self, job, theirs.detach()).run()
            finally:
                os._exit(0)
        theirs.close()
        self.child = pid
        self.ctl = ours
        self.job = job
        self.reply({"t": "started"})

    # ----- the trusted tester T of one notebook -----
    def start_tester(self, index: int, source: str, timeout: float) -> None:
        """Send a test to the notebook's tester T (forked from the zygote, never from S, at the notebook's first
        test), hand the test's socket to S, and watch the test's time."""
        if self.tester is not None or self.child is None or self.ctl is None or self.job is None:
            self.reply({"t": "test_end", "i": index, "outcome": "exited", "status": -1})
            return
        sent_at = time.perf_counter()
        if self.tester_proc is None:
            self.fork_tester()
        proc = self.tester_proc
        assert proc is not None
        ours, theirs = socket.socketpair()
        self.tester = {
            "pid": proc["pid"],
            "i": index,
            "deadline": time.monotonic() + timeout,
            "timed_out": False,
        }
        body = json.dumps({"i": index, "source": source, "at": sent_at}).encode("utf-8")
        try:
            socket.send_fds(proc["commands"], [len(body).to_bytes(8, "big")], [ours.fileno()])
            proc["commands"].sendall(body)
            socket.send_fds(self.ctl, [b"T"], [theirs.fileno()])
        except OSError:  # T or S is gone: the exit of T ends the test
            _kill_tester(proc["pid"])
        finally:
            ours.close()
            theirs.close()

    def fork_tester(self) -> None:
        assert self.job is not None
        ours, theirs = socket.socketpair()
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                ours.close()
                os.close(read_end)
                tester.Tester(self, job=self.job, command_fd=theirs.detach(), result_fd=write_end).serve()
            finally:
                os._exit(70)
        theirs.close()
        os.close(write_end)
        os.set_blocking(read_end, False)
        self.tester_proc = {
            "pid": pid,
            "commands": ours,
            "fd": read_end,
            "reader": wire.FrameReader(self.key, max_bytes=wire.MAX_FRAME),
        }

    def read_tester(self) -> None:
        """Relay the running test's verdict as soon as T has written it; T then waits for the next test."""
        proc = self.tester_proc
        if proc is None:
            return
        while True:
            try:
                chunk = os.read(proc["fd"], 1 << 20)
            except BlockingIOError:
                return
            if not chunk:
                return
            for frame in proc["reader"].feed(chunk):
                test = self.tester
                if (
                    test is not None
                    and not test["timed_out"]
                    and frame.get("t") == "test_result"
                    and frame.get("i") == test["i"]
                ):
                    self.tester = None
                    self.reply(frame)
                    self.reply({"t": "test_end", "i": test["i"], "outcome": "finished", "status": 0})
                    self.go_on()

    def go_on(self, *, timed_out: bool = False) -> None:
        """Tell S that the test is over (it waits for this before it replays the test's visible part, which it
        does not replay after a timeout)."""
        if self.ctl is not None:
            with contextlib.suppress(OSError):
                self.ctl.sendall(b"X" if timed_out else b"G")

    def read_ctl(self) -> None:
        """S writes one byte when it is back from a test; a timed-out test's S must do so in time."""
        if self.ctl is None:
            return
        try:
            data = self.ctl.recv(64, socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if data:
            self.s_deadline = None

    def check_deadlines(self) -> None:
        now = time.monotonic()
        if self.tester is not None and not self.tester["timed_out"] and now > self.tester["deadline"]:
            self.tester["timed_out"] = True
            _kill_tester(self.tester["pid"])
            if self.child:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.child, signal.SIGINT)
                self.s_deadline = now + 2.0
        if self.s_deadline is not None and now > self.s_deadline:
            self.s_deadline = None
            self.kill_all()

    def tester_exited(self) -> None:
        """T is gone (killed at a timeout or at the notebook's end, or it died): reap it, end a running test."""
        proc = self.tester_proc
        assert proc is not None
        _, status = os.waitpid(proc["pid"], 0)
        self.read_tester()
        os.close(proc["fd"])
        proc["commands"].close()
        self.tester_proc = None
        _kill_tester(proc["pid"])
        test, self.tester = self.tester, None
        if test is not None:
            outcome = "timeout" if test["timed_out"] else "exited"
            self.reply({"t": "test_end", "i": test["i"], "outcome": outcome, "status": status})
            self.go_on(timed_out=test["timed_out"])


def _kill_tester(pid: int) -> None:
    """SIGKILL T and its process group: by pid too, since T may not have made its own group yet."""
    for kill in (os.kill, os.killpg):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            kill(pid, signal.SIGKILL)


def _kill_every_process_of_this_uid() -> None:
    with contextlib.suppress(ProcessLookupError):  # none left
        os.kill(-1, signal.SIGKILL)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _serve_janitor(harness: Harness, sock: socket.socket) -> None:
    """The janitor's loop: one line per step from the zygote, one byte back ("1": done, "0": failed)."""
    with sock, sock.makefile("rb") as lines:
        for line in lines:
            step = line.strip()
            if step == b"kill":
                ok = harness.as_slot_user(_kill_every_process_of_this_uid)
            elif step == b"wipe":
                ok = harness.as_slot_user(harness.wipe_and_fill)
            else:
                return
            sock.sendall(b"1" if ok else b"0")


def main(key: bytes) -> None:
    init = wire.read_frame(CONTROL_IN, key)
    harness = Harness(init, key)
    if harness.uid is not None:
        harness.start_janitor()
    harness.preload(list(init.get("preload", [])))
    harness.serve()
