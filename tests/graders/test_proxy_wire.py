"""The proxy's channel, array format and random-state fingerprints (graders/harness/proxy.py), in one process.

These are the pieces that make a proxied call cheap: a message read with one ``recv``, arrays as raw bytes
(never an object dtype), the global random states compared through a fingerprint instead of being read and
sent with every message, and arguments that a call left unchanged not sent back.
"""

from __future__ import annotations

import json
import random
import socket
import threading
from typing import Any

import numpy as np
import pytest

from graders.harness import proxy


# --------------------------------------------------------------------------------------------- channel
def _pair() -> tuple[proxy.Channel, proxy.Channel]:
    a, b = socket.socketpair()
    return proxy.Channel(a), proxy.Channel(b)


def test_channel_round_trips_small_and_large_messages_back_to_back() -> None:
    left, right = _pair()
    big = bytes(range(256)) * (5 * proxy.READ_CHUNK // 16)  # > 16 reads' worth: received in place
    messages = [({"k": "req", "n": i}, [b"x" * i, big if i == 2 else b""]) for i in range(4)]

    def send_all() -> None:
        for header, blobs in messages:
            left.send(header, blobs)

    sender = threading.Thread(target=send_all)
    sender.start()
    got = [right.recv() for _ in messages]
    sender.join()
    for (header, blobs), (got_header, got_blobs) in zip(messages, got, strict=True):
        assert got_header["n"] == header["n"]
        assert [bytes(b) for b in got_blobs] == blobs


def test_channel_end_of_stream_mid_message_is_remote_died() -> None:
    a, b = socket.socketpair()
    head = json.dumps({"k": "rep", "blobs": [10]}).encode()
    a.sendall(len(head).to_bytes(4, "big") + head + b"short")
    a.close()
    with pytest.raises(proxy.RemoteDied):
        proxy.Channel(b).recv()


@pytest.mark.parametrize("sizes", [[-1], ["3"], [proxy.MAX_MESSAGE + 1], "abc"])
def test_channel_refuses_malformed_blob_sizes(sizes: Any) -> None:
    a, b = socket.socketpair()
    head = json.dumps({"k": "rep", "blobs": sizes}).encode()
    a.sendall(len(head).to_bytes(4, "big") + head)
    with pytest.raises(proxy.RemoteDied):
        proxy.Channel(b).recv()


# ------------------------------------------------------------------------------------------------ arrays
@pytest.mark.parametrize(
    "array",
    [
        np.arange(6.0).reshape(2, 3),
        np.asfortranarray(np.arange(6).reshape(2, 3)),
        np.arange(12, dtype=">i4")[::3],
        np.zeros((0, 4), dtype=np.float32),
        np.array(3.5),
        np.array(["2024-01-02"], dtype="M8[D]"),
        np.array(["ab", "c"]),
        np.array([1 + 2j]),
    ],
)
def test_arrays_cross_as_raw_bytes_and_come_back_equal(array: np.ndarray) -> None:
    a, _ = socket.socketpair()
    peer = proxy.Peer(a, trusted=False)
    encoder = proxy.SafeEncoder(peer)
    tree = encoder.enc(array)
    assert "ab" in tree and "npy" not in tree
    back = proxy.SafeDecoder(peer, [bytearray(b) for b in encoder.blobs]).dec(json.loads(json.dumps(tree)))
    assert back.dtype == array.dtype and back.shape == array.shape
    assert np.array_equal(back, array)
    assert back.flags.writeable


@pytest.mark.parametrize(
    ("dtype", "shape", "size"),
    [
        ("O", [1], 8),
        ("i4,O", [1], 12),
        ("<f8", [2], 8),
        ("<f8", [-1], 8),
        ("V0", [1], 0),
        ("<f8", [1] * 65, 8),
    ],
)
def test_raw_arrays_refuse_objects_and_wrong_sizes(dtype: str, shape: list[int], size: int) -> None:
    with pytest.raises((ValueError, TypeError)):
        proxy._from_raw(bytearray(size), dtype, shape)


def test_records_still_cross_as_npy_without_pickle() -> None:
    a, _ = socket.socketpair()
    peer = proxy.Peer(a, trusted=False)
    records = np.zeros(2, dtype=[("x", "<f8"), ("y", "<i4")])
    encoder = proxy.SafeEncoder(peer)
    tree = encoder.enc(records)
    assert "npy" in tree
    assert proxy.SafeDecoder(peer, encoder.blobs).dec(tree).dtype == records.dtype


def test_tester_arrays_reach_the_notebook_with_identity_order_and_dtype() -> None:
    a, b = socket.socketpair()
    tester, notebook = proxy.Peer(a, trusted=True), proxy.Peer(b, trusted=False)
    shared = np.arange(3.0)
    fortran = np.asfortranarray(np.ones((2, 3)))
    args = proxy.s_loads(proxy.t_dumps([shared, shared, fortran, np.float32(2)], tester), notebook)
    assert args[0] is args[1]
    assert args[2].flags.f_contiguous and not args[2].flags.c_contiguous
    assert type(args[3]) is np.float32
    args[0][0] = 7.0  # the notebook's copy is its own
    assert shared[0] == 0.0


# ------------------------------------------------------------------------------------ random-state keys
def _draws() -> list[Any]:
    torch = pytest.importorskip("torch")
    return [
        random.random,
        np.random.rand,
        lambda: torch.rand(1),
        lambda: torch.set_grad_enabled(not torch.is_grad_enabled()),
    ]


@pytest.fixture(params=["raw reads", "library calls"])
def probes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    fresh = proxy._StateProbes()
    if request.param == "library calls":  # as on a build whose layout the probes could not verify
        fresh.random_layout = None
        fresh.gauss_offset = None
    monkeypatch.setattr(proxy, "_probes", fresh)
    return str(request.param)


def test_state_key_sees_every_draw_and_matches_restored_states(probes: str) -> None:
    torch = pytest.importorskip("torch")
    grad = torch.is_grad_enabled()
    saved = proxy.rng_state()
    try:
        for draw in _draws():
            before = proxy.state_key()
            assert proxy.state_key() == before
            draw()
            assert proxy.state_key() != before, draw
            proxy.set_rng_state(saved)
            torch.set_grad_enabled(grad)
            assert proxy.state_key() == before
    finally:
        proxy.set_rng_state(saved)
        torch.set_grad_enabled(grad)
    if probes == "raw reads":  # on this build the fast reads are the ones in use
        assert proxy._probes.random_layout is not None and proxy._probes.gauss_offset is not None


def test_state_key_sees_numpys_cached_gaussian(probes: str) -> None:
    """A legacy normal draw that uses the cached second value of a pair changes only ``has_gauss``."""
    saved = proxy.rng_state()
    try:
        np.random.seed(3)
        np.random.standard_normal()
        cached = proxy.state_key()
        words = np.random.get_state(legacy=False)["state"]["key"].copy()
        np.random.standard_normal()
        assert np.array_equal(np.random.get_state(legacy=False)["state"]["key"], words)
        assert proxy.state_key() != cached
    finally:
        proxy.set_rng_state(saved)


# ---------------------------------------------------------------------------------------- whole calls
class _Direct:
    """Both peers in this process: a message is handed to the other side at once (no socket)."""

    def __init__(self) -> None:
        self.sent = 0
        self.inbox: list[Any] = []
        self.other: _Direct | None = None
        self.serve: Any = None

    def send(self, header: dict[str, Any], blobs: list[Any]) -> None:
        self.sent += 1
        message = (
            json.loads(json.dumps({**header, "blobs": [len(b) for b in blobs]})),
            [bytearray(b) for b in blobs],
        )
        assert self.other is not None
        if self.other.serve is not None and message[0]["k"] == "req":
            self.other.serve(*message)
        else:
            self.other.inbox.append(message)

    def recv(self) -> Any:
        return self.inbox.pop(0)


def _direct_pair(namespace: dict[str, Any]) -> tuple[proxy.Peer, proxy.Peer, _Direct, _Direct]:
    a, b = socket.socketpair()
    tester, notebook = proxy.Peer(a, trusted=True), proxy.Peer(b, trusted=False)
    t_side, s_side = _Direct(), _Direct()
    t_side.other, s_side.other = s_side, t_side
    s_side.serve = notebook.serve
    tester.channel, notebook.channel = t_side, s_side  # type: ignore[assignment]
    notebook.namespace = lambda: dict(namespace)
    tester.state_key = proxy.state_key()
    return tester, notebook, t_side, s_side


def test_a_call_is_one_round_trip_and_reads_no_random_state_that_did_not_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def add(a: int, b: int) -> int:
        return a + b

    tester, _, t_side, s_side = _direct_pair({"add": add})
    remote_add = tester.request("namespace", 0)["add"]
    assert remote_add(1, 2) == 3
    reads: list[int] = []
    real = proxy.rng_state
    monkeypatch.setattr(proxy, "rng_state", lambda: reads.append(1) or real())
    t_side.sent = s_side.sent = 0
    for i in range(20):
        assert remote_add(i, 1) == i + 1
    assert (t_side.sent, s_side.sent) == (20, 20)
    assert reads == []
    random.random()  # a draw in the tester: its states go with the next call, once
    assert remote_add(0, 0) == 0
    assert reads == [1]


def test_arguments_left_unchanged_are_not_sent_back_and_changed_ones_are() -> None:
    def touch(counts: np.ndarray, sums: np.ndarray, rng: np.random.Generator) -> float:
        sums[0] += 1.0
        return float(rng.random())

    tester, _, t_side, _ = _direct_pair({"touch": touch})
    remote = tester.request("namespace", 0)["touch"]
    counts, sums = np.arange(3.0), np.zeros(3)
    gen, ref = np.random.default_rng(4), np.random.default_rng(4)
    replies: list[Any] = []
    original = t_side.recv
    t_side.recv = lambda: replies.append(t_side.inbox[0][0]) or original()  # type: ignore[method-assign]
    for _ in range(3):
        assert remote(counts, sums, gen) == ref.random()
    assert sums.tolist() == [3.0, 0.0, 0.0] and counts.tolist() == [0.0, 1.0, 2.0]
    assert gen.random() == ref.random()  # the generator's state came back after each call
    back = replies[-1]["v"]["t"][1]["l"]
    assert back[0] is None and back[1] is not None and "rng" in back[2]
