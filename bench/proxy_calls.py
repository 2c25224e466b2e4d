"""Micro-benchmark of calls from the trusted tester to the notebook process through the proxy.

``python bench/proxy_calls.py [--n 4000] [--profile t|s] [--no-torch]`` forks a notebook process S with a few
student-like functions, connects a tester-side peer T to it over a socket pair as the zygote does, and times
tight loops of proxied calls: a call with scalars, hw10's ``thompson`` pattern (two fresh arrays and a NumPy
generator whose state moves with every call) and a call that mutates a list it is lent. It prints the mean
wall time per call of each loop and the CPU time each process spent per call (on a loaded machine the wall
time is mostly waiting for a core; the CPU times are the overhead the proxy itself adds). ``--profile t`` (or ``s``) prints the cProfile of that side's loop.

torch is imported first unless ``--no-torch`` (the sandbox's zygote preloads it, and the global random states
that follow each call include torch's).
"""

from __future__ import annotations

import argparse
import builtins
import cProfile
import os
import pstats
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graders.harness import proxy

NOTEBOOK = """
import time
import numpy as np

def cpu_seconds():
    return time.process_time()

def add(a, b):
    return a + b

def thompson(counts, sums, t, rng):
    return int(np.argmax(rng.beta(1.0 + sums, 1.0 + counts - sums)))

def bump(items):
    items[0] += 1
    return len(items)
"""


def serve(sock: socket.socket, profile: bool) -> None:
    ns: dict = {"__name__": "__main__", "__builtins__": builtins}
    exec(compile(NOTEBOOK, "<cell-1>", "exec"), ns)
    peer = proxy.Peer(sock, trusted=False)
    peer.namespace = lambda: {k: v for k, v in ns.items() if not k.startswith("__")}
    peer.names_of_notebook = lambda: ns
    peer.apply_rebinds = lambda changes: ns.update(changes.get("set") or {})
    prof = cProfile.Profile() if profile else None
    if prof:
        prof.enable()
    try:
        while True:
            header, blobs = peer.receive()
            peer.serve(header, blobs)
    except proxy.RemoteDied:
        pass
    if prof:
        prof.disable()
        pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--profile", choices=["t", "s"], default=None)
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--only", default=None, help="run only the loops whose label starts with this")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import numpy as np

    if not args.no_torch:
        import torch  # noqa: F401

    ours, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        try:
            ours.close()
            serve(theirs, args.profile == "s")
        finally:
            os._exit(0)
    theirs.close()
    peer = proxy.Peer(ours, trusted=True)
    peer.state_key = proxy.state_key()
    names = peer.request("namespace", 0)
    add, thompson, bump, s_cpu = names["add"], names["thompson"], names["bump"], names["cpu_seconds"]
    c_t, s_t = np.array([20.0, 20.0, 5.0]), np.array([10.0, 12.0, 3.0])
    gen = np.random.default_rng(5)
    items = [0, 1, 2]
    loops = {
        "add(1, 2)": lambda: add(1, 2),
        "thompson(arrays, generator)": lambda: thompson(c_t.copy(), s_t.copy(), 46, gen),
        "bump(list)": lambda: bump(items),
    }
    prof = cProfile.Profile() if args.profile == "t" else None
    for label, loop in loops.items():
        if args.only and not label.startswith(args.only):
            continue
        for _ in range(50):
            loop()
        if prof:
            prof.enable()
        s_start, t_start, start = s_cpu(), time.process_time(), time.perf_counter()
        for _ in range(args.n):
            loop()
        elapsed = time.perf_counter() - start
        t_used, s_used = time.process_time() - t_start, s_cpu() - s_start
        if prof:
            prof.disable()
        per = 1e6 / args.n
        print(
            f"{label:30s} {elapsed * per:8.1f} us/call wall, CPU {t_used * per:6.1f} us tester"
            f" + {s_used * per:6.1f} us notebook",
            flush=True,
        )
    assert items[0] in (0, 50 + args.n), "the list lent to the notebook came back mutated"
    ours.close()
    os.waitpid(pid, 0)
    if prof:
        pstats.Stats(prof).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    main()
