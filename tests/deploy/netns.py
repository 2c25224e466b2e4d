"""Several "hosts" on one machine: network namespaces joined by veth links that the test makes and removes itself.

A host is a network namespace held open by a `sleep` started with `unshare --net`. The namespaces have no names
in /run/netns (nothing global that another run could collide with, nothing left behind if the test process is
killed: a namespace ends with its last process, and the holder's `sleep` ends on its own). Each link is a veth
pair created inside one host with its peer placed directly in the other (`ip link add … peer … netns <pid>`), so
the machine's own interfaces, addresses and routes are never touched; the addresses come from a private /24
that exists only inside these namespaces. A process enters a host with `nsenter --net` and nothing else: it
keeps the machine's mounts (the grading sandbox's cgroups), users, pids and files, as hosts sharing one volume do.

    with Network() as net:
        db, web = net.host("db"), net.host("web")
        link = net.link(db, web)          # db reaches web at link.address(web), and back
        web.popen(["gunicorn", …], log=path)  # a process on the web host
        net.cut(db, link) … net.mend(db, link)  # web is cut off from db, and back
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SUBNET = "10.217.17"  # a private /24, only ever configured inside the test's own namespaces
HOLD_S = 1800  # a holder outlives any test run, and then ends by itself
ERR_UNAVAILABLE = "network namespaces with veth links are not available here ({detail})"


class NetnsUnavailable(RuntimeError):
    """This machine does not let us make network namespaces or veth links (not root, no veth, seccomp)."""


@dataclass
class Host:
    """One network namespace; `argv` wraps a command so that it runs there."""

    name: str
    holder: subprocess.Popen
    processes: list[tuple[subprocess.Popen, int]] = field(
        default_factory=list
    )  # with the signal that stops it

    @property
    def netns(self) -> str:
        return f"/proc/{self.holder.pid}/ns/net"

    def argv(self, argv: list[str], *, user: str | None = None) -> list[str]:
        """`argv` run in this host (as `user`, dropping root after entering the namespace)."""
        prefix = ["nsenter", f"--net={self.netns}", "--"]
        if user:
            prefix += ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", "--"]
        return [*prefix, *argv]

    def run(self, argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess:
        kwargs.setdefault("timeout", 60)
        return subprocess.run(self.argv(argv), check=True, capture_output=True, text=True, **kwargs)

    def ip(self, *args: str) -> None:
        try:
            self.run(["ip", *args], timeout=15)
        except subprocess.CalledProcessError as exc:
            raise NetnsUnavailable(
                ERR_UNAVAILABLE.format(detail=f"ip {' '.join(args)}: {exc.stderr.strip()}")
            ) from exc

    def popen(
        self,
        argv: list[str],
        *,
        log: Path,
        user: str | None = None,
        stop_signal: int = signal.SIGTERM,
        **kwargs: Any,
    ) -> subprocess.Popen:
        """A long-running process on this host, in its own process group, writing to `log`; `Network.close`
        stops it with `stop_signal`."""
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                self.argv(argv, user=user),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                **kwargs,
            )
        self.processes.append((proc, stop_signal))
        return proc


@dataclass(frozen=True)
class Link:
    """A veth pair between two hosts, with one address of a /30 on each end."""

    ends: dict[str, tuple[str, str]]  # host name -> (interface, address)

    def address(self, host: Host) -> str:
        return self.ends[host.name][1]

    def interface(self, host: Host) -> str:
        return self.ends[host.name][0]


class Network:
    """The hosts and links of one test run; `close` (or leaving the `with`) stops every process and link."""

    def __init__(self) -> None:
        self.hosts: dict[str, Host] = {}
        self.links: list[Link] = []

    def __enter__(self) -> Network:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def host(self, name: str) -> Host:
        for tool in ("unshare", "nsenter", "ip", "setpriv"):
            if shutil.which(tool) is None:
                raise NetnsUnavailable(ERR_UNAVAILABLE.format(detail=f"{tool} is not installed"))
        holder = subprocess.Popen(
            ["unshare", "--net", "sleep", str(HOLD_S)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        host = Host(name=name, holder=holder)
        self.hosts[name] = host
        ours = os.readlink("/proc/self/ns/net")
        deadline = time.monotonic() + 10
        while True:  # `unshare` makes the namespace, then becomes the `sleep`
            if holder.poll() is not None:
                detail = holder.stderr.read().decode(errors="replace").strip() if holder.stderr else ""
                raise NetnsUnavailable(ERR_UNAVAILABLE.format(detail=f"unshare --net: {detail}"))
            with contextlib.suppress(OSError):
                if os.readlink(host.netns) != ours:
                    break
            if time.monotonic() > deadline:
                raise NetnsUnavailable(ERR_UNAVAILABLE.format(detail="unshare --net did not start"))
            time.sleep(0.02)
        host.ip("link", "set", "lo", "up")
        return host

    def link(self, a: Host, b: Host) -> Link:
        """A veth pair a <-> b with addresses .4n+1 (a) and .4n+2 (b) of the test's /24."""
        n = len(self.links)
        if n >= 63:
            raise ValueError("a /24 holds 63 links of a /30")
        ends = {
            a.name: (f"to-{b.name}"[:15], f"{SUBNET}.{4 * n + 1}"),
            b.name: (f"to-{a.name}"[:15], f"{SUBNET}.{4 * n + 2}"),
        }
        a.ip(
            "link",
            "add",
            ends[a.name][0],
            "type",
            "veth",
            "peer",
            "name",
            ends[b.name][0],
            "netns",
            str(b.holder.pid),
        )
        for host in (a, b):
            interface, address = ends[host.name]
            host.ip("addr", "add", f"{address}/30", "dev", interface)
            host.ip("link", "set", "dev", interface, "up")
        link = Link(ends=ends)
        self.links.append(link)
        return link

    def cut(self, host: Host, link: Link) -> None:
        """Take `host`'s end of `link` down, like a switch port shut: the other end loses its carrier and nothing
        passes either way until `mend`."""
        host.ip("link", "set", "dev", link.interface(host), "down")

    def mend(self, host: Host, link: Link) -> None:
        host.ip("link", "set", "dev", link.interface(host), "up")

    def close(self) -> None:
        """Stop every process started on a host (all at once), then the holders: the namespaces and links go."""
        stop_all([entry for host in self.hosts.values() for entry in host.processes])
        stop_all([(host.holder, signal.SIGKILL) for host in self.hosts.values()])


def stop_all(processes: list[tuple[subprocess.Popen, int]], *, timeout: float = 20) -> None:
    """Signal each process group (started by `Host.popen`) with its signal, wait for all of them, and SIGKILL
    the groups that have not ended within `timeout`."""
    for proc, sig in processes:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, sig)
    deadline = time.monotonic() + timeout
    for proc, _sig in processes:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        if proc.stderr is not None:
            proc.stderr.close()
