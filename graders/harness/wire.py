"""Length-prefixed JSON frames with a per-sandbox MAC, used between the host and the sandbox.

A frame is 4 bytes of big-endian length, 16 bytes of HMAC-SHA256 (truncated) and a UTF-8 JSON body.
The MAC key lives only in the memory of the host and the harness; it keeps blind writes (a student
writing JSON to every file descriptor) from being taken as results. See docs/threat-model.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from typing import Any

HEADER = 4
MAC_BYTES = 16
MAX_FRAME = 64 * 1024 * 1024
# A frame is a JSON object decoded from the other side of the channel: its values are whatever the peer
# sent, so `dict[str, Any]` is the honest type here; readers check each field they use.


class WireError(Exception):
    """A frame that is truncated, too large or fails its MAC."""


def _mac(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, body, hashlib.sha256).digest()[:MAC_BYTES]


def encode(obj: dict[str, Any], key: bytes) -> bytes:
    body = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")
    return len(body).to_bytes(HEADER, "big") + _mac(key, body) + body


def write_frame(fd: int, obj: dict[str, Any], key: bytes) -> None:
    data = memoryview(encode(obj, key))
    while data:
        written = os.write(fd, data)
        data = data[written:]


def read_exact(fd: int, size: int) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise EOFError("channel closed")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, key: bytes) -> dict[str, Any]:
    size = int.from_bytes(read_exact(fd, HEADER), "big")
    if size > MAX_FRAME:
        raise WireError("frame too large")
    mac = read_exact(fd, MAC_BYTES)
    body = read_exact(fd, size)
    if not hmac.compare_digest(mac, _mac(key, body)):
        raise WireError("bad frame MAC")
    obj = json.loads(body.decode("utf-8"))
    if not isinstance(obj, dict):
        raise WireError("frame is not an object")
    return obj


class FrameReader:
    """Incremental decoder for a non-blocking stream (used by the host on the events pipe)."""

    def __init__(self, key: bytes, *, max_bytes: int) -> None:
        self._key = key
        self._buf = bytearray()
        self.max_bytes = max_bytes
        self.total = 0
        self.bad_frames = 0

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        self.total += len(data)
        self._buf += data
        frames: list[dict[str, Any]] = []
        while len(self._buf) >= HEADER + MAC_BYTES:
            size = int.from_bytes(self._buf[:HEADER], "big")
            if size > MAX_FRAME:
                self.bad_frames += 1
                self._buf.clear()
                break
            end = HEADER + MAC_BYTES + size
            if len(self._buf) < end:
                break
            mac = bytes(self._buf[HEADER : HEADER + MAC_BYTES])
            body = bytes(self._buf[HEADER + MAC_BYTES : end])
            del self._buf[:end]
            if not hmac.compare_digest(mac, _mac(self._key, body)):
                self.bad_frames += 1
                self._buf.clear()  # resynchronising after garbage is not possible
                break
            try:
                obj = json.loads(body.decode("utf-8"))
            except ValueError:
                self.bad_frames += 1
                continue
            if isinstance(obj, dict):
                frames.append(obj)
        return frames
