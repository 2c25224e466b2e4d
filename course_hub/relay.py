"""Byte relays between TCP and Unix sockets (asyncio), the only way in and out of a jailed server.

A jailed server has a network namespace of its own (no host network: no PostgreSQL, Redis or anything else on
the host's loopback).  Two relays connect it, both through its runtime folder, bound into the jail at
`/run/jupyter`:

* inbound, in the hub process: host `127.0.0.1:<port>` (what the proxy routes to) -> `server.sock`, where the
  single-user server listens inside the jail;
* outbound, in the hub process: `hub.sock` -> the hub's API; inside the jail `jail_entry` listens on the jail's
  own `127.0.0.1:<hub port>` and relays to `hub.sock`, so the server reaches the hub API and nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

CHUNK = 65536

Opener = Callable[[], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        writer.close()


async def _bridge(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, open_target: Opener) -> None:
    try:
        target_reader, target_writer = await open_target()
    except OSError:
        writer.close()
        return
    try:
        await asyncio.gather(_pipe(reader, target_writer), _pipe(target_reader, writer))
    finally:
        for w in (writer, target_writer):
            w.close()
            with contextlib.suppress(Exception):
                await w.wait_closed()


async def tcp_to_unix(*, host: str, port: int, path: Path) -> asyncio.Server:
    """Listen on host:port; relay each connection to the Unix socket at `path`."""
    return await asyncio.start_server(
        lambda r, w: _bridge(r, w, lambda: asyncio.open_unix_connection(str(path))), host, port
    )


async def unix_to_tcp(*, path: Path, host: str, port: int, mode: int = 0o666) -> asyncio.Server:
    """Listen on the Unix socket `path` (created with `mode`); relay each connection to host:port."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    server = await asyncio.start_unix_server(
        lambda r, w: _bridge(r, w, lambda: asyncio.open_connection(host, port)), str(path)
    )
    os.chmod(path, mode)
    return server
