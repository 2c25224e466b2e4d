"""Run one test cell through the real trusted tester against a notebook process, without a sandbox.

``python -m tests.graders.proxy_pair CASES.json`` reads a list of cases ``{"locked": ..., "notebook": ...,
"test": ...}`` and prints one JSON line per case: the tester's record (outcome, message, flags). For each case
it forks the notebook process S (runs the locked and notebook code, then serves the tester like
``graders.harness.runner.Notebook.serve_tester``) and the tester T (``graders.harness.tester.Tester.run``, given
the locked source as the instructor's cell and the test source), connected by a socket as in the sandbox. It
runs in a process of its own (``tests/graders/test_proxy_transfers.py``) so that forking after torch is imported
never happens in the pytest process.
"""

from __future__ import annotations

import builtins
import json
import os
import secrets
import socket
import sys
from pathlib import Path
from typing import Any

from graders.harness import cells, proxy, tester, wire

LIMITS = {
    "cpu_s": 60,
    "file_size_mb": 64,
    "memory_mb": 2048,
    "output_cell_bytes": 1 << 16,
    "rlimit_as": False,
}


class FakeHarness:
    """What the tester reads of the zygote's harness."""

    def __init__(self) -> None:
        self.uid = None
        self.shell = None
        self.snapshot = None
        self.key = secrets.token_bytes(32)
        self.workdir = os.getcwd()
        self.holder: dict[str, Any] = {"sink": cells.OutputSink(1 << 16)}

    def prctl(self, option: int, value: int) -> None:
        return None


def serve_notebook(sock: socket.socket, ns: dict[str, Any]) -> None:
    peer = proxy.Peer(sock, trusted=False)
    peer.namespace = lambda: {k: v for k, v in ns.items() if not k.startswith("__")}
    peer.names_of_notebook = lambda: ns
    peer.apply_rebinds = lambda changes: ns.update(changes.get("set") or {})
    try:
        while True:
            header, blobs = peer.receive()
            peer.serve(header, blobs)
    except proxy.RemoteDied:
        return


def run_case(case: dict[str, str]) -> dict[str, Any]:
    harness = FakeHarness()
    ours, theirs = socket.socketpair()
    notebook = os.fork()
    if notebook == 0:
        try:
            ours.close()
            ns: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
            exec(compile(case["locked"], "<cell-0>", "exec"), ns)
            exec(compile(case["notebook"], "<cell-1>", "exec"), ns)
            serve_notebook(theirs, ns)
        finally:
            os._exit(0)
    theirs.close()
    read_end, write_end = os.pipe()
    test = os.fork()
    if test == 0:
        try:
            os.close(read_end)
            job = {
                "limits": LIMITS,
                "env": {},
                "cells": [{"i": 0, "kind": "locked", "source": case["locked"]}],
            }
            tester.Tester(
                harness, job=job, index=2, source=case["test"], sock_fd=ours.detach(), result_fd=write_end
            ).run()
        finally:
            os._exit(70)
    ours.close()
    os.close(write_end)
    data = b""
    while chunk := os.read(read_end, 1 << 20):
        data += chunk
    os.close(read_end)
    os.waitpid(test, 0)
    os.waitpid(notebook, 0)
    frames = wire.FrameReader(harness.key, max_bytes=wire.MAX_FRAME).feed(data)
    if not frames:
        return {"outcome": "no result"}
    record = frames[0]
    return {key: record.get(key) for key in ("outcome", "message", "flags")}


def main() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    cases = json.loads(Path(sys.argv[1]).read_text())
    for case in cases:  # the zygote preloads what the notebooks import before it forks anything
        exec(compile(case["locked"], "<preload>", "exec"), {"__name__": "preload"})
    for case in cases:
        print(json.dumps(run_case(case)), flush=True)


if __name__ == "__main__":
    main()
