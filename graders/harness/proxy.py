"""Calls between the trusted tester (T) and the notebook process (S) over one socket per test cell.

T never runs submission code: every name of the notebook is reached through this module. The two sides speak
one message format (a JSON header plus raw binary blobs), in both directions, re-entrantly: while a side waits
for the reply to its request it serves the other side's requests (a student function that calls back an
instructor object passed to it, for example).

What crosses, and how:

* S -> T (values produced by submission code): :class:`SafeEncoder` on S, :class:`SafeDecoder` on T. Plain
  data only: ``None``, ``bool``, ``int``, ``float``, ``complex``, ``str``, ``bytes``, lists, tuples, dicts,
  sets (subclasses become the base type, read through the base type's own methods), NumPy arrays and scalars
  as ``.npy`` read with ``allow_pickle=False``, tensors the same way (plus ``requires_grad``/``grad``), pandas
  frames, series and indexes as columns of arrays, NumPy random generators as their state. Instances of
  allow-listed library classes (torch modules, scikit-learn estimators, scikit-learn's ``Tree``) are rebuilt
  in T from a structural description: the class is looked up by name in T's own imported libraries, the
  state is plain data again. Nothing from S is ever unpickled. Everything else stays in S and T gets a
  :class:`Remote` handle whose attributes, calls and items are forwarded. A handle never decides a check in
  T: its truth value, ``==`` (identity only), ``float()``, ``int()`` and ``__array__`` are refused or local.
* T -> S (arguments of calls, results of callbacks): pickle with persistent ids. Functions, classes and
  objects of classes that T defined itself (test code, instructor definitions) do not cross: S gets a
  handle on which it may call, iterate and read public attributes of instances; never ``__globals__``,
  ``__code__``, frames or underscored names, so S cannot reach the hidden test's source or namespace. An
  error raised by T while serving S goes back as its type name only.
* After a call, S sends back the arguments' new state and T updates its own objects in place (arrays,
  lists, dicts, tensors, modules, estimators, random generators): a test that lends an object to a student
  function sees it mutated, as in a notebook. NumPy's, torch's and ``random``'s global random state follow
  each call in both directions; so does any name of the notebook the test rebinds (``globals().update``).
* Tensors computed by S from tensors that require gradients come back attached to T's autograd graph through
  :class:`_RemoteBackward`: ``.backward()`` in the test asks S for the gradients.
"""

from __future__ import annotations

import builtins
import collections
import contextlib
import copyreg
import ctypes
import hashlib
import io
import json
import math
import os
import pickle
import random
import socket
import struct
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

# `Any` in this module is a value of the notebook or the tester (any object, the student's own classes included,
# told apart at run time by type identity) or a tree decoded from the channel's JSON; numpy, torch and pandas are
# reached through sys.modules (loaded only when the notebook imported them), so their objects are `Any` too.
MAX_MESSAGE = 1 << 30
MAX_DEPTH = 60
LIB_ROOTS = frozenset(
    {"numpy", "scipy", "pandas", "sklearn", "torch", "matplotlib", "statsmodels", "PIL", "econml"}
)
PICKLE_ROOTS = LIB_ROOTS | {"builtins", "collections", "datetime", "decimal", "fractions", "math", "copyreg"}
REBUILD_ROOTS = ("torch.", "sklearn.", "econml.")
PLAIN = (type(None), bool, int, float, str)
_UNSET = object()


class RemoteDied(BaseException):
    """The other process closed the channel (it exited or was killed) during a call."""


class RemoteError(Exception):
    """An exception of a class that is not a Python builtin, raised on the other side."""


class UntrustedObject(AssertionError):
    """A test asked a remote handle for a truth value or a number."""


def _root(name: Any) -> str:
    return str(name or "").split(".", 1)[0]


def _lookup(module: str, qualname: str) -> Any:
    """A library object by its module and qualified name, only from modules this process already imported."""
    if _root(module) not in PICKLE_ROOTS:
        return _UNSET
    mod = sys.modules.get(module)
    if mod is None:
        return _UNSET
    obj: Any = mod
    for part in qualname.split("."):
        if part.startswith("<"):
            return _UNSET
        obj = getattr(obj, part, _UNSET)
        if obj is _UNSET:
            return _UNSET
    return obj


# --------------------------------------------------------------------------------------------- framing
# A message: 4 bytes of header length, the JSON header (its "blobs" lists the blob sizes), then the blobs.
READ_CHUNK = 1 << 16
SEPARATE_SEND = 1 << 18  # larger messages are sent part by part (no joined copy)


class Channel:
    """One end of the socket, with a receive buffer: a small message costs one ``recv`` and one ``send``."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()
        self.pos = 0

    def send(self, header: dict[str, Any], blobs: list[Any]) -> None:
        head = json.dumps({**header, "blobs": [len(b) for b in blobs]}, separators=(",", ":")).encode("utf-8")
        total = len(head) + sum(len(b) for b in blobs)
        if total <= SEPARATE_SEND:
            self.sock.sendall(b"".join([len(head).to_bytes(4, "big"), head, *blobs]))
            return
        self.sock.sendall(len(head).to_bytes(4, "big") + head)
        for blob in blobs:
            self.sock.sendall(blob)

    def _fill(self, need: int) -> None:
        """At least ``need`` unread bytes in the buffer."""
        if self.pos:
            del self.buf[: self.pos]
            self.pos = 0
        while len(self.buf) < need:
            chunk = self.sock.recv(max(READ_CHUNK, min(need - len(self.buf), 16 * READ_CHUNK)))
            if not chunk:
                raise RemoteDied("the other process closed the channel")
            self.buf += chunk

    def take(self, size: int) -> bytearray:
        """The next ``size`` bytes, as a buffer of their own."""
        avail = len(self.buf) - self.pos
        if size <= avail:
            out = self.buf[self.pos : self.pos + size]
            self.pos += size
            return out
        if size <= 16 * READ_CHUNK:
            self._fill(size)
            return self.take(size)
        out = bytearray(size)  # a large blob: received in place, not through the buffer
        out[:avail] = self.buf[self.pos :]
        self.buf.clear()
        self.pos = 0
        view = memoryview(out)
        got = avail
        while got < size:
            n = self.sock.recv_into(view[got:], size - got)
            if n == 0:
                raise RemoteDied("the other process closed the channel")
            got += n
        return out

    def recv(self) -> tuple[dict[str, Any], list[bytearray]]:
        size = int.from_bytes(self.take(4), "big")
        if size > MAX_MESSAGE:
            raise RemoteDied("message too large")
        header = json.loads(self.take(size).decode("utf-8"))
        if not isinstance(header, dict):
            raise RemoteDied("malformed message")
        sizes = header.get("blobs") or []
        if not isinstance(sizes, list) or not all(type(n) is int and n >= 0 for n in sizes):
            raise RemoteDied("malformed message")
        if sum(sizes) > MAX_MESSAGE:
            raise RemoteDied("message too large")
        return header, [self.take(n) for n in sizes]


# ------------------------------------------------------------------------------------- S -> T: encoding
def _npy(array: Any) -> bytes:
    import numpy

    buf = io.BytesIO()
    numpy.lib.format.write_array(buf, numpy.asanyarray(array), allow_pickle=False)
    return buf.getvalue()


def _from_npy(blob: bytes | bytearray) -> Any:
    import numpy

    return numpy.lib.format.read_array(io.BytesIO(blob), allow_pickle=False)


def _raw_array(array: Any) -> Any:
    """The bytes of an array of a plain dtype in C order (for :func:`_from_raw`, with its dtype and shape)."""
    import numpy

    array = numpy.ascontiguousarray(array)
    if array.nbytes <= SEPARATE_SEND:
        return array.tobytes()
    return memoryview(array.reshape(-1).view(numpy.uint8))  # sent without a copy


def _plain_dtype(dtype: Any) -> bool:
    return dtype.fields is None and dtype.subdtype is None and not dtype.hasobject and dtype.itemsize > 0


def _from_raw(blob: Any, dtype_text: Any, shape: Any) -> Any:
    """An array from :func:`_raw_array`'s bytes: plain dtypes only (never objects), the size checked."""
    import numpy

    dtype = numpy.dtype(str(dtype_text))
    if not _plain_dtype(dtype):
        raise ValueError("not a plain dtype")
    dims = tuple(int(n) for n in shape)
    if any(n < 0 for n in dims) or len(dims) > 64:
        raise ValueError("malformed shape")
    count = math.prod(dims)
    if count * dtype.itemsize != len(blob):
        raise ValueError("array data of the wrong size")
    if count == 0:
        return numpy.empty(dims, dtype=dtype)
    array = numpy.frombuffer(blob, dtype=dtype, count=count).reshape(dims)
    return array if array.flags.writeable else array.copy()


class SafeEncoder:
    """Plain data, structural library objects and handles (S side; also T's own states)."""

    def __init__(self, peer: Peer, *, args: dict[int, int] | None = None) -> None:
        self.peer = peer
        self.blobs: list[bytes] = []
        self.args = args or {}
        # library objects already described in this message, by id: a second reference (a cycle, such as
        # an estimator and its inference object pointing at each other) is sent as {"sref": n}
        self.memo: dict[int, int] = {}
        self.kept: list[Any] = []

    def share(self, other: SafeEncoder) -> None:
        """Encode into ``other``'s message: the same blobs and references."""
        self.blobs, self.memo, self.kept = other.blobs, other.memo, other.kept

    def blob(self, data: bytes) -> int:
        self.blobs.append(data)
        return len(self.blobs) - 1

    def handle(self, value: Any) -> dict[str, Any]:
        return {"h": self.peer.export(value), "type": _type_name(value)}

    def array(self, array: Any) -> dict[str, Any]:
        """A NumPy array (not of objects) as a blob: raw bytes with dtype and shape, or ``.npy`` for records."""
        if _plain_dtype(array.dtype):
            return {"ab": self.blob(_raw_array(array)), "ad": array.dtype.str, "as": list(array.shape)}
        return {"npy": self.blob(_npy(array))}

    def enc(self, value: Any, depth: int = 0) -> Any:
        if id(value) in self.args and not isinstance(value, PLAIN):
            return {"arg": self.args[id(value)]}
        kind = type(value)
        if kind in PLAIN:
            if kind is float and not math.isfinite(value):
                return {"f": repr(value)}
            return value
        if depth > MAX_DEPTH:
            return self.handle(value)
        try:
            return self._enc(value, kind, depth)
        except Exception:
            return self.handle(value)

    def _enc(self, value: Any, kind: type, depth: int) -> Any:
        d = depth + 1
        if isinstance(value, bool):
            return bool(int.__int__(value))
        if isinstance(value, int):
            return int.__int__(value)
        if isinstance(value, float):
            return self.enc(float.__float__(value))
        if isinstance(value, str):
            return str.__str__(value)
        if isinstance(value, complex):
            c = complex.__complex__(value)
            return {"c": [self.enc(c.real), self.enc(c.imag)]}
        if isinstance(value, bytes | bytearray):
            return {"b": self.blob(bytes(value)), "ba": isinstance(value, bytearray)}
        if isinstance(value, collections.OrderedDict):
            return {"od": [[self.enc(k, d), self.enc(v, d)] for k, v in dict.items(value)]}
        if isinstance(value, dict):
            return {"d": [[self.enc(k, d), self.enc(v, d)] for k, v in dict.items(value)]}
        if isinstance(value, list):
            return {"l": [self.enc(x, d) for x in list.__iter__(value)]}
        if isinstance(value, tuple):
            return {"t": [self.enc(x, d) for x in tuple.__iter__(value)]}
        if isinstance(value, set):
            return {"s": [self.enc(x, d) for x in set.__iter__(value)]}
        if isinstance(value, frozenset):
            return {"fs": [self.enc(x, d) for x in frozenset.__iter__(value)]}
        if kind is slice:
            return {"sl": [self.enc(value.start, d), self.enc(value.stop, d), self.enc(value.step, d)]}
        if kind is range:
            return {"rg": [value.start, value.stop, value.step]}
        if value is Ellipsis:
            return {"el": 1}
        if isinstance(value, types.ModuleType):
            return {"mod": str(value.__name__), **self.handle(value)}
        numpy = sys.modules.get("numpy")
        torch = sys.modules.get("torch")
        pandas = sys.modules.get("pandas")
        if numpy is not None:
            if isinstance(value, numpy.ndarray):
                arr = numpy.ndarray.view(value, numpy.ndarray)
                if arr.dtype.hasobject:
                    flat = [self.enc(x, d) for x in arr.ravel(order="C").tolist()]
                    return {"oa": list(arr.shape), "items": flat}
                return {"nd": 0, **self.array(arr)}
            if isinstance(value, numpy.generic) and not isinstance(value, numpy.object_):
                return {"ns": 0, **self.array(numpy.asarray(value))}
            if isinstance(value, numpy.dtype) and value.fields is None:
                return {"dt": value.str}
            if isinstance(value, numpy.random.Generator):
                bitgen = value.bit_generator
                return {"rng": type(bitgen).__name__, "state": self.enc(bitgen.state, d)}
            if isinstance(value, numpy.random.RandomState):
                return {"rs": self.enc(value.get_state(legacy=False), d)}
        if torch is not None:
            if isinstance(value, torch.Tensor):
                return self._tensor(value, torch, d)
            if isinstance(value, torch.dtype):
                return {"tdt": str(value).replace("torch.", "")}
            if isinstance(value, torch.device):
                return {"tdev": str(value)}
            if isinstance(value, torch.Generator):
                state = torch.Generator.get_state(value)
                return {"tgen": self.blob(_npy(state.numpy())), "dev": str(value.device)}
        if pandas is not None:
            if isinstance(value, pandas.DataFrame):
                if isinstance(value.columns, pandas.MultiIndex) or isinstance(value.index, pandas.MultiIndex):
                    return self.handle(value)
                cols = [self.enc(value.iloc[:, i].to_numpy(), d) for i in range(value.shape[1])]
                names = self.enc(list(value.columns), d)
                return {"pdf": cols, "cols": names, "index": self.enc(value.index, d)}
            if isinstance(value, pandas.Series):
                if isinstance(value.index, pandas.MultiIndex):
                    return self.handle(value)
                return {
                    "pds": self.enc(value.to_numpy(), d),
                    "name": self.enc(value.name, d),
                    "index": self.enc(value.index, d),
                }
            if isinstance(value, pandas.RangeIndex):
                return {"pdr": [value.start, value.stop, value.step], "name": self.enc(value.name, d)}
            if isinstance(value, pandas.Index) and not isinstance(value, pandas.MultiIndex):
                return {"pdi": self.enc(value.to_numpy(), d), "name": self.enc(value.name, d)}
        if isinstance(value, type | types.FunctionType | types.BuiltinFunctionType | types.MethodType):
            module, qualname = getattr(value, "__module__", None), getattr(value, "__qualname__", None)
            if isinstance(module, str) and isinstance(qualname, str) and _root(module) in PICKLE_ROOTS:
                return {"lib": [module, qualname], **self.handle(value)}
            return self.handle(value)
        module = getattr(kind, "__module__", "")
        if isinstance(module, str) and module.startswith(REBUILD_ROOTS) and _rebuildable(kind):
            return self._structural(value, kind, d)
        return self.handle(value)

    def back_state(self, value: Any) -> Any:
        """An argument's state after a call, for the tester to apply to its own object (None: nothing)."""
        if _is_generator(value):
            bitgen = value.bit_generator
            return {"rng": type(bitgen).__name__, "state": self.enc(bitgen.state)}
        if _mutable(value):
            return self.enc(value)
        torch = sys.modules.get("torch")
        if torch is not None and isinstance(value, torch.nn.Module):
            try:
                return self.module_state(value, torch)
            except Exception:
                return None
        return None

    def module_state(self, module: Any, torch: Any) -> Any:
        """A network of a class the notebook defined (an instructor's class of a locked cell lent to a student
        function): its parameters and buffers and each submodule's ``training`` flag, as plain data, read
        through torch's own methods (a class cannot lie about them by overriding ``state_dict``)."""
        Module = torch.nn.Module
        tensors = []
        for name, tensor in Module.state_dict(module, keep_vars=True).items():
            if not isinstance(name, str) or not isinstance(tensor, torch.Tensor):
                return None
            tensors.append([str.__str__(name), self._tensor(tensor, torch, 1)])
        flags = [bool(sub.training) for _, sub in Module.named_modules(module)]
        return {"mst": tensors, "tr": flags}

    def _tensor(self, value: Any, torch: Any, d: int) -> Any:
        with torch._C.DisableTorchFunctionSubclass():
            base = torch.Tensor.as_subclass(value, torch.Tensor)
            if base.layout != torch.strided or base.is_quantized:
                return self.handle(value)
            data = base.detach().cpu().resolve_conj().resolve_neg()
            dtype = str(data.dtype).replace("torch.", "")
            if data.dtype == torch.bfloat16:
                data = data.float()
            out: dict[str, Any] = {
                "tt": 0,
                **self.array(data.numpy()),
                "dtype": dtype,
                "req": bool(base.requires_grad),
                "param": isinstance(value, torch.nn.Parameter),
                "dev": str(base.device),
            }
            grad = base.grad if base.is_leaf else None
            if grad is not None:
                out["grad"] = self._tensor(grad, torch, d)
            bridge = self.peer.bridge_output(value)
            if bridge is not None:
                out["bw"] = bridge
            return out

    def _structural(self, value: Any, kind: type, d: int) -> Any:
        """An allow-listed library object as (class name, state); T rebuilds it with its own class."""
        if id(value) in self.memo:
            return {"sref": self.memo[id(value)]}
        mark = len(self.kept)
        try:
            tree = self._describe(value, kind, d)
        except Exception:
            tree = None
        if tree is None or "h" in tree:
            for obj in self.kept[mark:]:  # nothing described inside a refused object may be referred to
                self.memo.pop(id(obj), None)
            del self.kept[mark:]
            return self.handle(value)
        return tree

    def _describe(self, value: Any, kind: type, d: int) -> Any:
        # Read off the class, __reduce_ex__ is the plain function (mypy types it as a bound method).
        reduce_ex: object = kind.__reduce_ex__
        reduced = object.__reduce_ex__(value, 4) if reduce_ex is object.__reduce_ex__ else None
        if reduced is None:
            reduced = value.__reduce_ex__(4)
        if not isinstance(reduced, tuple) or len(reduced) < 2:
            return self.handle(value)
        func, args = reduced[0], reduced[1]
        state = reduced[2] if len(reduced) > 2 else None
        if len(reduced) > 3 and (reduced[3] is not None or (len(reduced) > 4 and reduced[4] is not None)):
            return self.handle(value)
        # copyreg.__newobj__ exists at run time (pickle's protocol 2+ reductions use it); typeshed omits it.
        if func is copyreg.__newobj__ and args and args[0] is kind:  # type: ignore[attr-defined]
            ctor_args: list[Any] = []
            new = True
        elif func is kind:
            ctor_args = [self.enc(a, d) for a in args]
            new = False
        else:
            return self.handle(value)
        if _contains_handle(ctor_args):
            return self.handle(value)
        sid = len(self.kept)
        self.memo[id(value)] = sid
        self.kept.append(value)
        enc_state = self.enc(state, d)
        if _contains_handle(enc_state):
            return self.handle(value)
        return {
            "obj": [kind.__module__, kind.__qualname__],
            "sid": sid,
            "new": new,
            "args": ctor_args,
            "state": enc_state,
        }


def _contains_handle(tree: Any) -> bool:
    if isinstance(tree, dict):
        return ("h" in tree and "lib" not in tree and "mod" not in tree) or any(
            map(_contains_handle, tree.values())
        )
    if isinstance(tree, list):
        return any(map(_contains_handle, tree))
    return False


def _type_name(value: Any) -> str:
    try:
        kind = type(value)
        return f"{kind.__module__}.{kind.__qualname__}"[:200]
    except Exception:
        return "object"


class SafeDecoder:
    """T side: rebuild plain data, library objects and handles; never unpickles."""

    def __init__(self, peer: Peer, blobs: list[bytearray], *, args: list[Any] | None = None) -> None:
        self.peer = peer
        self.blobs = blobs
        self.args = args or []
        self.memo: dict[int, Any] = {}

    def dec(self, tree: Any) -> Any:
        if tree is None or type(tree) in (bool, int, float, str):
            return tree
        if type(tree) is not dict or len(tree) == 0:
            raise ValueError("malformed value")
        if "arg" in tree:
            return self.args[int(tree["arg"])]
        if "ref" in tree:
            return self.peer.local(int(tree["ref"]))
        if "f" in tree:
            return float(str(tree["f"]))
        if "c" in tree:
            return complex(self.dec(tree["c"][0]), self.dec(tree["c"][1]))
        if "b" in tree:
            data = self.blobs[int(tree["b"])]
            return bytearray(data) if tree.get("ba") else bytes(data)  # blobs arrive as bytearrays
        if "d" in tree:
            return {self.dec(k): self.dec(v) for k, v in tree["d"]}
        if "od" in tree:
            return collections.OrderedDict((self.dec(k), self.dec(v)) for k, v in tree["od"])
        if "l" in tree:
            return [self.dec(x) for x in tree["l"]]
        if "t" in tree:
            return tuple(self.dec(x) for x in tree["t"])
        if "s" in tree:
            return {self.dec(x) for x in tree["s"]}
        if "fs" in tree:
            return frozenset(self.dec(x) for x in tree["fs"])
        if "sl" in tree:
            return slice(*(self.dec(x) for x in tree["sl"]))
        if "rg" in tree:
            return range(*(int(x) for x in tree["rg"]))
        if "el" in tree:
            return Ellipsis
        if "mod" in tree:
            module = sys.modules.get(str(tree["mod"]))
            if module is not None and _root(tree["mod"]) in PICKLE_ROOTS:
                return module
            return self.peer.remote(tree)
        if "lib" in tree:
            found = _lookup(str(tree["lib"][0]), str(tree["lib"][1]))
            return self.peer.remote(tree) if found is _UNSET else found
        if "h" in tree:
            return self.peer.remote(tree)
        if "nd" in tree:
            return self.array(tree)
        if "ns" in tree:
            return self.array(tree)[()]
        if "oa" in tree:
            out = sys.modules["numpy"].empty(len(tree["items"]), dtype=object)
            for i, item in enumerate(tree["items"]):
                out[i] = self.dec(item)
            return out.reshape([int(x) for x in tree["oa"]])
        if "dt" in tree:
            return sys.modules["numpy"].dtype(str(tree["dt"]))
        if "rng" in tree:
            numpy = sys.modules["numpy"]
            bitgen = getattr(numpy.random, str(tree["rng"]), None)
            if not (isinstance(bitgen, type) and issubclass(bitgen, numpy.random.BitGenerator)):
                raise ValueError("unknown bit generator")
            gen = bitgen()
            gen.state = self.dec(tree["state"])
            return numpy.random.Generator(gen)
        if "rs" in tree:
            rs = sys.modules["numpy"].random.RandomState()
            rs.set_state(self.dec(tree["rs"]))
            return rs
        if "tt" in tree:
            return self._tensor(tree)
        if "mst" in tree:
            tensors = {str(name): self._tensor(t) for name, t in tree["mst"]}
            return ModuleState(tensors, [bool(x) for x in tree.get("tr") or []])
        if "tdt" in tree:
            torch = sys.modules["torch"]
            dtype = getattr(torch, str(tree["tdt"]), None)
            if not isinstance(dtype, torch.dtype):
                raise ValueError("unknown dtype")
            return dtype
        if "tdev" in tree:
            return sys.modules["torch"].device(str(tree["tdev"]))
        if "tgen" in tree:
            torch = sys.modules["torch"]
            state = _from_npy(self.blobs[int(tree["tgen"])])
            if state.dtype != sys.modules["numpy"].uint8 or state.ndim != 1:
                raise ValueError("malformed generator state")
            gen = torch.Generator(device=str(tree.get("dev") or "cpu"))
            gen.set_state(torch.from_numpy(state.copy()))
            return gen
        if "pdf" in tree:
            pandas = sys.modules["pandas"]
            cols = [self.dec(c) for c in tree["pdf"]]
            frame = pandas.DataFrame(dict(enumerate(cols)), index=self.dec(tree["index"]))
            frame.columns = self.dec(tree["cols"])
            return frame
        if "pds" in tree:
            pandas = sys.modules["pandas"]
            return pandas.Series(
                self.dec(tree["pds"]), index=self.dec(tree["index"]), name=self.dec(tree["name"])
            )
        if "pdr" in tree:
            start, stop, step = (int(x) for x in tree["pdr"])
            return sys.modules["pandas"].RangeIndex(start, stop, step, name=self.dec(tree["name"]))
        if "pdi" in tree:
            return sys.modules["pandas"].Index(self.dec(tree["pdi"]), name=self.dec(tree["name"]))
        if "obj" in tree:
            return self._structural(tree)
        if "sref" in tree:
            found = self.memo.get(int(tree["sref"]), _UNSET)
            if found is _UNSET:
                raise ValueError("a reference to an object not described before")
            return found
        raise ValueError("malformed value")

    def array(self, tree: dict[str, Any]) -> Any:
        if "ab" in tree:
            return _from_raw(self.blobs[int(tree["ab"])], tree.get("ad"), tree.get("as") or [])
        return _from_npy(self.blobs[int(tree["npy"])])

    def _tensor(self, tree: dict[str, Any]) -> Any:
        torch = sys.modules["torch"]
        array = self.array(tree)
        dtype = getattr(torch, str(tree["dtype"]), None)
        if not isinstance(dtype, torch.dtype):
            raise ValueError("unknown dtype")
        tensor = torch.from_numpy(array.copy()) if array.size else torch.zeros(array.shape, dtype=dtype)
        tensor = tensor.to(dtype)
        dev = str(tree.get("dev") or "cpu")
        if dev != "cpu":
            with contextlib.suppress(Exception):
                tensor = tensor.to(dev)
        if tree.get("param"):
            tensor = torch.nn.Parameter(tensor, requires_grad=bool(tree.get("req")))
        elif tree.get("req") and (tensor.is_floating_point() or tensor.is_complex()):
            tensor.requires_grad_(True)
        if tree.get("grad") is not None and tensor.is_leaf:
            tensor.grad = self._tensor(tree["grad"])
        if tree.get("bw") is not None:
            tensor = self.peer.attach_backward(tensor, tree["bw"])
        return tensor

    def _structural(self, tree: dict[str, Any]) -> Any:
        module, qualname = (str(x) for x in tree["obj"])
        found = _lookup(module, qualname) if module.startswith(REBUILD_ROOTS) else _UNSET
        if not isinstance(found, type) or not _rebuildable(found):
            raise ValueError(f"not an allow-listed library class: {module}.{qualname}")
        # An allow-listed library class found by name at run time; its own __new__ builds the bare object
        # (mypy would take cls.__new__ of a `type` for the metaclass's type.__new__).
        cls: Any = found
        obj = cls.__new__(cls) if tree.get("new") else cls(*(self.dec(a) for a in tree["args"]))
        if "sid" in tree:
            self.memo[int(tree["sid"])] = obj  # before its state: the state may refer back to it
        state = self.dec(tree["state"])
        if state is not None:
            setstate = getattr(cls, "__setstate__", None)
            if setstate is not None and setstate is not getattr(object, "__setstate__", None):
                setstate(obj, state)
            elif isinstance(state, dict):
                obj.__dict__.update(state)
            else:
                raise ValueError("unexpected state")
        return obj


def _rebuildable(cls: type) -> bool:
    """torch modules, scikit-learn estimators and the few helper types they hold."""
    torch = sys.modules.get("torch")
    if torch is not None and issubclass(cls, torch.nn.Module) and cls.__module__.startswith("torch.nn"):
        return True
    base = sys.modules.get("sklearn.base")
    if base is not None and issubclass(cls, base.BaseEstimator) and cls.__module__.startswith("sklearn."):
        return True
    if cls.__module__.startswith("econml.") and not issubclass(cls, BaseException):
        return True  # EconML's estimators and the inference and model objects they hold
    return f"{cls.__module__}.{cls.__qualname__}" in {"sklearn.tree._tree.Tree"}


# --------------------------------------------------------------------------------- T -> S: pickling
def _t_keeps(obj: Any) -> bool:
    """Objects of T that never cross to S (S gets a handle): code and objects T defined itself."""
    kind = type(obj)
    if kind in PLAIN or kind in (list, tuple, dict, set, frozenset, bytes, complex, slice, range):
        return False
    if isinstance(obj, types.ModuleType):
        return False
    if isinstance(obj, type):
        return _root(obj.__module__) not in PICKLE_ROOTS or "<" in obj.__qualname__
    if isinstance(obj, types.MethodType):  # pickled as getattr(self, name): stays if its object stays
        return _t_keeps(obj.__self__) or _t_keeps(obj.__func__)
    if callable(obj):
        module = getattr(obj, "__module__", None)
        qualname = getattr(obj, "__qualname__", "")
        return _root(module) not in PICKLE_ROOTS or "<" in (qualname if isinstance(qualname, str) else "<")
    return _root(getattr(kind, "__module__", "")) not in PICKLE_ROOTS


_FAST = frozenset({type(None), bool, int, float, str, bytes, list, tuple, dict, complex})
_NO_TENSORS = frozenset({type(None), bool, int, float, str, bytes, complex})


def _lent_by_value(obj: Any) -> bool:
    """An instance of a locked cell's class that derives from a torch module or a scikit-learn estimator
    crosses to S by value (its class by name): library code there needs the real object (``clone``, autograd,
    optimizers), and a network's trained weights come back (``SafeEncoder.module_state``). Other instances of
    the instructor's classes stay in T as handles, so what student code does to them is done by T's code."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(obj, torch.nn.Module):
        return True
    base = sys.modules.get("sklearn.base")
    return base is not None and isinstance(obj, base.BaseEstimator)


class _TPickler(pickle.Pickler):
    def __init__(self, file: Any, peer: Peer) -> None:
        super().__init__(file, protocol=4)
        self.peer = peer
        self.numpy = sys.modules.get("numpy")
        self.arrays: dict[int, int] = {}  # id -> index: an array met twice is one array in S too
        self.kept: list[Any] = []  # (so that those ids stay theirs while the message is written)

    def persistent_id(self, obj: Any) -> Any:
        kind = type(obj)
        if kind in _FAST:
            return None
        if (
            kind is getattr(self.numpy, "ndarray", None)
            and _plain_dtype(obj.dtype)
            and (obj.flags.c_contiguous or not obj.flags.f_contiguous)  # (Fortran order: pickled as it is)
        ):
            return self.array(obj)
        if isinstance(obj, Remote):
            return ("r", object.__getattribute__(obj, "_hid"))
        if isinstance(obj, types.ModuleType):
            return ("m", obj.__name__)
        name = self.peer.locked.get(id(obj))
        if name is not None and self.peer.locked_objects.get(name) is obj:
            return ("n", name)
        if self.peer.locked.get(id(type(obj))) is not None and _lent_by_value(obj):
            return None  # crosses by value, its class by name (see _lent_by_value)
        if _is_generator(obj):  # S keeps one generator per generator of T, given T's state at each call
            bitgen = obj.bit_generator
            if type(bitgen).__module__.startswith("numpy.random"):
                self.peer.lent[id(obj)] = obj  # the id stays this object's for the test
                return ("g", id(obj), bitgen.state)
        if _t_keeps(obj):
            return ("h", self.peer.export(obj), _type_name(obj))
        return None

    def array(self, array: Any) -> Any:
        """A plain array as its raw bytes, dtype and shape (a few objects to pickle, not a reduction's tens)."""
        seen = self.arrays.get(id(array))
        if seen is not None:
            return ("A", seen)
        index = self.arrays[id(array)] = len(self.kept)
        self.kept.append(array)
        contiguous = sys.modules["numpy"].ascontiguousarray(array)
        return ("a", index, contiguous.tobytes(), array.dtype.str, array.shape)


class _SUnpickler(pickle.Unpickler):
    def __init__(self, file: Any, peer: Peer) -> None:
        super().__init__(file)
        self.peer = peer
        self.arrays: list[Any] = []

    def persistent_load(self, pid: Any) -> Any:
        kind = pid[0]
        if kind == "a":
            self.arrays.append(_from_raw(pid[2], pid[3], pid[4]))
            return self.arrays[-1]
        if kind == "A":
            return self.arrays[int(pid[1])]
        if kind == "r":
            return self.peer.local(int(pid[1]))
        if kind == "m":
            import importlib

            return importlib.import_module(str(pid[1]))
        if kind == "g":
            return self.peer.mirror_generator(int(pid[1]), pid[2])
        if kind == "n" and self.peer.namespace is not None:  # a function or class of a locked cell
            found = self.peer.names_of_notebook().get(str(pid[1]), _UNSET)
            if found is not _UNSET:
                return found
            raise pickle.UnpicklingError(f"the notebook has no {pid[1]!r}")
        return self.peer.remote({"h": int(pid[1]), "type": str(pid[2])})


def t_dumps(value: Any, peer: Peer) -> bytes:
    buf = io.BytesIO()
    _TPickler(buf, peer).dump(value)
    return buf.getvalue()


def s_loads(data: bytes | bytearray, peer: Peer) -> Any:
    return _SUnpickler(io.BytesIO(data), peer).load()


# --------------------------------------------------------------------------------------- handles
_FORWARD_BINARY = (
    "add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or", "xor", "lshift", "rshift",
)  # fmt: skip


class Remote:
    """An object that lives in the other process. On T, a handle never decides a check."""

    __slots__ = ("__weakref__", "_hid", "_peer", "_type")

    def __init__(self, peer: Peer, hid: int, type_name: str) -> None:
        object.__setattr__(self, "_peer", peer)
        object.__setattr__(self, "_hid", hid)
        object.__setattr__(self, "_type", type_name)

    def _op(self, op: str, *args: Any, **kwargs: Any) -> Any:
        peer = object.__getattribute__(self, "_peer")
        return peer.request(op, object.__getattribute__(self, "_hid"), *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):  # protocol probes (numpy, copy, pickle) stay local
            raise AttributeError(name)
        return self._op("getattr", name)

    def __copy__(self) -> Remote:
        return self

    def __deepcopy__(self, memo: Any) -> Remote:
        return self

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise TypeError("a remote object cannot be pickled")

    def __setattr__(self, name: str, value: Any) -> None:
        self._op("setattr", name, value)

    def __delattr__(self, name: str) -> None:
        self._op("delattr", name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        peer = object.__getattribute__(self, "_peer")
        return peer.call(object.__getattribute__(self, "_hid"), args, kwargs)

    def __getitem__(self, key: Any) -> Any:
        return self._op("getitem", key)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._op("setitem", key, value)

    def __delitem__(self, key: Any) -> None:
        self._op("delitem", key)

    def __len__(self) -> int:
        n = self._op("len")
        if type(n) is not int:
            raise TypeError("len() of a remote object is not an int")
        return n

    def __iter__(self) -> Any:
        iterator = self._op("iter")
        while True:
            try:
                yield iterator._op("next")
            except StopIteration:
                return

    def __next__(self) -> Any:
        return self._op("next")

    def __contains__(self, item: Any) -> bool:
        return bool(self._op("contains", item) is True)

    def __enter__(self) -> Any:
        return self._op("method", "__enter__")

    def __exit__(self, *exc: Any) -> Any:
        return self._op("method", "__exit__", None, None, None)

    def __repr__(self) -> str:
        try:
            text = self._op("repr")
        except Exception:
            text = None
        return text if type(text) is str else f"<remote {object.__getattribute__(self, '_type')}>"

    def __str__(self) -> str:
        try:
            text = self._op("str")
        except Exception:
            text = None
        return text if type(text) is str else self.__repr__()

    def __hash__(self) -> int:
        return hash(("remote", object.__getattribute__(self, "_hid")))

    def __eq__(self, other: Any) -> bool:
        return self is other

    def __ne__(self, other: Any) -> bool:
        return self is not other

    def __bool__(self) -> bool:
        peer = object.__getattribute__(self, "_peer")
        if peer.trusted:
            raise UntrustedObject("truth value of an object of a class defined in the submission")
        return bool(self._op("bool"))

    def __float__(self) -> float:
        if object.__getattribute__(self, "_peer").trusted:
            raise TypeError("a remote object of the submission cannot be converted to a number")
        return float(self._op("float"))

    def __int__(self) -> int:
        if object.__getattribute__(self, "_peer").trusted:
            raise TypeError("a remote object of the submission cannot be converted to a number")
        return int(self._op("int"))

    def __index__(self) -> int:
        if object.__getattribute__(self, "_peer").trusted:
            raise TypeError("a remote object of the submission cannot be used as an index")
        return int(self._op("index"))

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("a remote object cannot be converted to an array")

    def __lt__(self, other: Any) -> Any:
        raise UntrustedObject("ordering comparison with an object of a class defined in the submission")

    __le__ = __gt__ = __ge__ = __lt__

    def __neg__(self) -> Any:
        _refuse_numbers(self)
        return self._op("unop", "neg")

    def __abs__(self) -> Any:
        _refuse_numbers(self)
        return self._op("unop", "abs")


def _refuse_numbers(self: Remote) -> None:
    if object.__getattribute__(self, "_peer").trusted:
        raise TypeError(
            "arithmetic on an object of the submission (the tester computes only with its own types)"
        )


def _binary(name: str) -> tuple[Any, Any]:
    def forward(self: Remote, other: Any) -> Any:
        _refuse_numbers(self)
        return self._op("binop", name, other)

    def reflected(self: Remote, other: Any) -> Any:
        _refuse_numbers(self)
        return self._op("rbinop", name, other)

    return forward, reflected


for _name in _FORWARD_BINARY:
    _f, _r = _binary(_name)
    setattr(Remote, f"__{_name}__", _f)
    setattr(Remote, f"__r{_name}__", _r)


# ------------------------------------------------------------------------------------------- the peer
_BUILTIN_ERRORS = {
    name: obj
    for name, obj in vars(builtins).items()
    if isinstance(obj, type) and issubclass(obj, BaseException) and obj is not BaseExceptionGroup
}


class Peer:
    """One end of the channel. ``trusted`` is True in T (which then never runs what it receives)."""

    def __init__(self, sock: socket.socket, *, trusted: bool) -> None:
        self.sock = sock
        self.channel = Channel(sock)
        self.trusted = trusted
        self.exported: dict[int, Any] = {}
        self.ids: dict[int, int] = {}
        self.next_id = 1
        self.next_request = 1
        self.remotes: dict[int, Remote] = {}
        self.backward: dict[int, tuple[Any, Any]] = {}
        self.bridge_inputs: list[Any] | None = None
        # T: outputs S printed while serving a request
        self.on_output: Callable[[list[Any]], None] | None = None
        # S: (start, stop) capturing outputs around one request (start's token is handed back to stop)
        self.capture: tuple[Callable[[], object], Callable[[object], list[dict[str, Any]]]] | None = None
        # T: notebook names the test rebound since the last call
        self.rebinds: Callable[[], dict[str, Any] | None] | None = None
        self.apply_rebinds: Callable[[dict[str, Any]], None] | None = None  # S
        self.namespace: Callable[[], dict[str, Any]] | None = None  # S: the notebook's names, for the tester
        self.state_key: tuple[object, ...] | None = None
        self.locked: dict[int, str] = {}  # T: functions and classes bound by locked cells, sent by name
        self.locked_objects: dict[str, Any] = {}
        self.names_of_notebook: Callable[[], dict[str, Any]] = lambda: {}  # S: the notebook's namespace
        self.lent: dict[int, Any] = {}  # T: generators lent to S (kept, so that their ids stay theirs)
        self.mirrors: dict[int, Any] = {}  # S: its generator for each of them

    def mirror_generator(self, token: int, state: Any) -> Any:
        """S: the generator standing for T's generator ``token`` (the same object at every call, as in a
        notebook), set to the state T sent."""
        import numpy

        name = state["bit_generator"] if isinstance(state, dict) else None
        gen = self.mirrors.get(token)
        if gen is None or type(gen.bit_generator).__name__ != name:
            kind = getattr(numpy.random, str(name), None)
            if not (isinstance(kind, type) and issubclass(kind, numpy.random.BitGenerator)):
                raise pickle.UnpicklingError("unknown bit generator")
            gen = self.mirrors[token] = numpy.random.Generator(kind())
        gen.bit_generator.state = state
        return gen

    def receive(self) -> tuple[dict[str, Any], list[bytearray]]:
        """The next message of the other side (a request to :meth:`serve`, in a serving loop)."""
        return self.channel.recv()

    # handles
    def export(self, obj: Any) -> int:
        key = id(obj)
        if key in self.ids and self.exported.get(self.ids[key]) is obj:
            return self.ids[key]
        hid = self.next_id
        self.next_id += 1
        self.exported[hid] = obj
        self.ids[key] = hid
        return hid

    def local(self, hid: int) -> Any:
        if hid not in self.exported:
            raise ValueError("unknown handle")
        return self.exported[hid]

    def remote(self, tree: dict[str, Any]) -> Remote:
        hid = int(tree["h"])
        if hid not in self.remotes:
            self.remotes[hid] = Remote(self, hid, str(tree.get("type") or "object"))
        return self.remotes[hid]

    # autograd bridge (S keeps the graph, T asks for gradients)
    def bridge_output(self, tensor: Any) -> Any:
        if self.trusted or not self.bridge_inputs:
            return None
        if not getattr(tensor, "requires_grad", False) or tensor.grad_fn is None:
            return None
        hid = self.next_id
        self.next_id += 1
        self.backward[hid] = (tensor, list(self.bridge_inputs))
        return hid

    def attach_backward(self, tensor: Any, hid: int) -> Any:
        if not self.trusted or not self.bridge_inputs:
            return tensor
        return _remote_backward(self, int(hid), tensor.detach(), list(self.bridge_inputs))

    # requests
    def call(self, hid: int, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return self.request("call", hid, *args, _kw=kwargs)

    def _state_out(self) -> Any:
        key = state_key()
        if key == self.state_key:
            return None
        self.state_key = key
        return rng_state()

    def _state_in(self, state: Any) -> None:
        if isinstance(state, dict):
            set_rng_state(state)
            self.state_key = state_key()

    def request(self, op: str, hid: int, *args: Any, _kw: dict[str, Any] | None = None) -> Any:
        rid = self.next_request
        self.next_request += 1
        arg_list, kwargs = list(args), dict(_kw or {})
        saved_inputs = self.bridge_inputs
        if self.trusted:
            torch = sys.modules.get("torch")
            self.bridge_inputs = [t for t in _flat_tensors([arg_list, kwargs], torch) if t.requires_grad]
            rebinds = self.rebinds() if self.rebinds is not None else None
            body: list[Any] = [arg_list, kwargs, self._state_out(), rebinds]
            tree: Any = {"p": 0}
            blobs = [t_dumps(body, self)]
        else:
            encoder = SafeEncoder(self)
            tree = encoder.enc([arg_list, kwargs, self._state_out()])
            blobs = encoder.blobs
        self.channel.send({"k": "req", "op": op, "hid": hid, "id": rid, "v": tree}, blobs)
        try:
            return self._wait(rid, arg_list)
        finally:
            self.bridge_inputs = saved_inputs

    def _wait(self, rid: int, arg_list: list[Any]) -> Any:
        while True:
            header, blobs = self.channel.recv()
            if header.get("k") == "req":
                self.serve(header, blobs)
                continue
            if header.get("k") != "rep" or header.get("id") != rid:
                raise RemoteDied("out-of-order reply")
            if self.on_output is not None and isinstance(header.get("out"), list):
                self.on_output(header["out"])
            if self.trusted:
                return self._trusted_reply(header, blobs, arg_list)
            if not (isinstance(header.get("v"), dict) and "p" in header["v"]):
                raise RemoteDied("malformed reply from the tester")
            result, state = s_loads(blobs[0], self)
            self._state_in(state)
            if "err" in header:
                raise _rebuild_error(header["err"])
            return result

    def _trusted_reply(self, header: dict[str, Any], blobs: list[bytearray], arg_list: list[Any]) -> Any:
        """T: decode S's reply (result, the arguments' new states, S's global states) and apply it."""
        tree = header.get("v")
        if not (type(tree) is dict and type(tree.get("t")) is list and len(tree["t"]) == 3):
            raise RemoteDied("malformed reply from the notebook")
        result_tree, back_tree, state_tree = tree["t"]
        decoder = SafeDecoder(self, blobs, args=arg_list)  # in the order S encoded them (shared references)
        result = decoder.dec(result_tree)
        updates: list[tuple[Any, Any]] = []
        if type(back_tree) is dict and type(back_tree.get("l")) is list:
            for original, new in zip(arg_list, back_tree["l"], strict=False):
                if new is None:
                    continue  # S saw no change (an array it got is still the same bytes)
                if type(new) is dict and "rng" in new and _is_generator(original):
                    updates.append((original, _GeneratorState(decoder.dec(new["state"]))))
                else:
                    updates.append((original, decoder.dec(new)))
        self._state_in(decoder.dec(state_tree))
        if "err" in header:
            raise _rebuild_error(header["err"], self.locked_objects)
        for original, new in updates:
            with contextlib.suppress(Exception):
                update_in_place(original, new)
        return result

    def serve(self, header: dict[str, Any], blobs: list[bytearray]) -> None:
        """Run one request of the other side and send the reply."""
        reply: dict[str, Any] = {"k": "rep", "id": header.get("id")}
        token = self.capture[0]() if self.capture is not None else None
        args: list[Any] = []
        marks: list[Any] = []
        result: Any = None
        saved_inputs = self.bridge_inputs
        try:
            if self.trusted:
                args, kwargs, state = SafeDecoder(self, blobs).dec(header.get("v"))
                self._state_in(state)
            else:
                if not (isinstance(header.get("v"), dict) and "p" in header["v"]):
                    raise ValueError("malformed request from the tester")
                args, kwargs, state, rebinds = s_loads(blobs[0], self)
                marks = [_array_mark(a) for a in args]
                self._state_in(state)
                if rebinds and self.apply_rebinds is not None:
                    self.apply_rebinds(rebinds)
            op = str(header.get("op"))
            if op == "namespace" and not self.trusted and self.namespace is not None:
                result = self.namespace()
            else:
                result = self._perform(op, int(header.get("hid") or 0), list(args), dict(kwargs))
        except RemoteDied:
            raise
        except BaseException as exc:  # reported to the caller, which raises it
            reply["err"] = self._describe_error(exc)
            result = None
        finally:
            self.bridge_inputs = saved_inputs if self.trusted else self.bridge_inputs
        if self.trusted:
            reply["v"] = {"p": 0}
            out_blobs = [t_dumps([result, self._state_out()], self)]
        else:
            encoder = SafeEncoder(self, args={id(a): i for i, a in enumerate(args)})
            tree_result = encoder.enc(result)
            plain = SafeEncoder(self)
            plain.share(encoder)
            back = None
            if "err" not in reply:
                back = {
                    "l": [
                        None if _same_array(a, mark) else plain.back_state(a)
                        for a, mark in zip(args, marks + [None] * (len(args) - len(marks)), strict=True)
                    ]
                }
            reply["v"] = {"t": [tree_result, back, plain.enc(self._state_out())]}
            out_blobs = encoder.blobs
            self.bridge_inputs = saved_inputs
            if token is not None and self.capture is not None:  # (a token comes only from a capture)
                outputs = self.capture[1](token)
                if outputs:
                    reply["out"] = outputs
        self.channel.send(reply, out_blobs)

    def _describe_error(self, exc: BaseException) -> dict[str, Any]:
        if os.environ.get("GRADER_PROXY_DEBUG"):
            import traceback

            traceback.print_exception(exc, limit=12)
        kind = type(exc)
        name = kind.__name__ if isinstance(kind.__name__, str) else "Exception"
        if self.trusted:  # T tells S only the type: a hidden assertion's message stays in T
            return {"type": name if _BUILTIN_ERRORS.get(name) is kind else "Exception", "builtin": True}
        frames: list[list[Any]] = []
        tb = exc.__traceback__
        while tb is not None:
            code = tb.tb_frame.f_code
            filename = str(code.co_filename)
            if not filename.startswith("<grader_harness"):
                frames.append([filename[:300], int(tb.tb_lineno or 0), str(code.co_name)[:100]])
            tb = tb.tb_next
        try:
            texts = [
                a if type(a) is str else repr(a) if type(a) in (int, float) else "<object>"
                for a in exc.args[:3]
            ]
        except Exception:
            texts = []
        module = getattr(kind, "__module__", "")
        module = module if isinstance(module, str) else ""
        base = next((k.__name__ for k in type.mro(kind) if _BUILTIN_ERRORS.get(k.__name__) is k), "Exception")
        return {
            "type": name,
            "base": base,
            "module": module,
            "qualname": str(getattr(kind, "__qualname__", name)),
            "builtin": _BUILTIN_ERRORS.get(name) is kind,
            "lib": _root(module) in LIB_ROOTS,
            "args": [str(a)[:500] for a in texts],
            "frames": frames[-200:],
        }

    def _perform(self, op: str, hid: int, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if op == "backward" and not self.trusted:
            return self._grad(hid, args)
        target = self.local(hid)
        if self.trusted:
            _check_s_request(op, target, args)
        if op == "call":
            if self.trusted:
                return target(*args, **kwargs)
            torch = sys.modules.get("torch")
            self.bridge_inputs = [a for a in _flat_tensors([args, kwargs], torch) if a.requires_grad]
            return target(*args, **kwargs)
        if op == "getattr":
            return getattr(target, str(args[0]))
        if op == "setattr":
            setattr(target, str(args[0]), args[1])
            return None
        if op == "delattr":
            delattr(target, str(args[0]))
            return None
        if op == "getitem":
            return target[args[0]]
        if op == "setitem":
            target[args[0]] = args[1]
            return None
        if op == "delitem":
            del target[args[0]]
            return None
        if op == "len":
            return len(target)
        if op == "iter":
            return iter(target)
        if op == "next":
            return next(target)
        if op == "contains":
            return args[0] in target
        if op == "repr":
            return repr(target)
        if op == "str":
            return str(target)
        if op == "bool":
            return bool(target)
        if op == "float":
            return float(target)
        if op == "int":
            return int(target)
        if op == "index":
            return target.__index__()
        if op == "method":
            return getattr(target, str(args[0]))(*args[1:])
        if op == "binop":
            import operator

            return getattr(operator, f"__{args[0]}__")(target, args[1])
        if op == "rbinop":
            import operator

            return getattr(operator, f"__{args[0]}__")(args[1], target)
        if op == "unop":
            import operator

            return getattr(operator, f"__{args[0]}__")(target)
        raise ValueError(f"unknown operation {op!r}")

    def _grad(self, hid: int, args: list[Any]) -> Any:
        torch = sys.modules["torch"]
        output, inputs = self.backward[hid]
        grads = torch.autograd.grad(output, inputs, args[0], allow_unused=True, retain_graph=True)
        return [g.detach() if g is not None else None for g in grads]


class ModuleState:
    """The state S sent back for a network of a class the notebook defined (see ``module_state``)."""

    def __init__(self, tensors: dict[str, Any], training: list[bool]) -> None:
        self.tensors = tensors
        self.training = training


def _mutable(value: Any) -> bool:
    if type(value) in (list, dict, collections.OrderedDict):
        return True
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(value, torch.Generator):
        return True
    module = _root(getattr(type(value), "__module__", ""))
    return module in ("numpy", "torch", "sklearn")


_S_OPS_ON_FUNCTIONS = {"call"}
_S_OPS_ON_ITERATORS = {"call", "next", "iter"}
_S_OPS_ON_INSTANCES = {
    "call", "getattr", "setattr", "getitem", "setitem", "len", "iter", "next", "contains", "repr", "str", "bool",
    "float", "int", "index", "binop", "rbinop", "unop",
}  # fmt: skip


def _check_s_request(op: str, target: Any, args: list[Any]) -> None:
    """What S may ask of an object of T: call functions and classes, use instances' public attributes."""
    if isinstance(target, type | types.FunctionType | types.MethodType | types.BuiltinFunctionType):
        allowed = _S_OPS_ON_FUNCTIONS
    elif isinstance(target, types.GeneratorType | types.CoroutineType | types.FrameType | types.CodeType):
        allowed = _S_OPS_ON_ITERATORS if isinstance(target, types.GeneratorType) else set()
    elif isinstance(target, types.TracebackType | types.ModuleType | types.CellType):
        allowed = set()
    else:
        allowed = _S_OPS_ON_INSTANCES
    if op not in allowed:
        raise PermissionError(f"the notebook may not use {op!r} on this object of the tester")
    if op in ("getattr", "setattr") and (not isinstance(args[0], str) or args[0].startswith("_")):
        raise PermissionError("the notebook may not use underscored attributes of the tester's objects")


def _rebuild_error(info: dict[str, Any], locked: dict[str, Any] | None = None) -> BaseException:
    name = str(info.get("type") or "Exception")
    message = ", ".join(str(a) for a in info.get("args") or [])
    kind = _BUILTIN_ERRORS.get(name) if info.get("builtin", True) else None
    own = (locked or {}).get(str(info.get("qualname") or ""))
    if (
        kind is None
        and isinstance(own, type)
        and issubclass(own, Exception)
        and info.get("module") == "__main__"
    ):
        kind = own  # an exception class of a locked cell: the test catches the tester's own copy
    if kind is None and info.get("lib"):
        found = _lookup(str(info.get("module") or ""), str(info.get("qualname") or ""))
        kind = found if isinstance(found, type) and issubclass(found, Exception) else None
    if kind is None and str(info.get("base") or "") not in ("", "BaseException", "Exception"):
        base = _BUILTIN_ERRORS.get(
            str(info["base"])
        )  # the nearest builtin class: `except ValueError` still works
        kind = base if base is not None and issubclass(base, Exception) else None
    if name in ("SystemExit", "KeyboardInterrupt", "GeneratorExit") and kind is _BUILTIN_ERRORS.get(name):
        exc: BaseException = RemoteDied(f"{name} in the notebook")
    elif kind is not None and kind is not RemoteDied:
        try:
            exc = kind(message) if message else kind()
        except Exception:
            exc = RemoteError(f"{name}: {message}")
    else:
        exc = RemoteError(f"{name}: {message}" if message else name)
    exc.__grader_remote__ = {  # type: ignore[attr-defined]
        "frames": info.get("frames") or [],
        "type": name,
        "message": message,
        "trusted": bool(info.get("builtin", False) or info.get("lib", False)),
    }
    return exc


def _flat_tensors(tree: Any, torch: Any, depth: int = 0) -> list[Any]:
    if torch is None or depth > 8 or type(tree) in _NO_TENSORS:
        return []
    if isinstance(tree, torch.Tensor):
        return [tree]
    if isinstance(tree, torch.nn.Module):  # a lent network: gradients reach its parameters too
        return list(torch.nn.Module.parameters(tree))
    if type(tree) in (list, tuple):
        return [t for x in tree for t in _flat_tensors(x, torch, depth + 1)]
    if type(tree) is dict:
        return [t for x in tree.values() for t in _flat_tensors(x, torch, depth + 1)]
    return []


def update_in_place(original: Any, new: Any, depth: int = 0) -> None:
    if original is new or depth > 20:
        return
    numpy = sys.modules.get("numpy")
    torch = sys.modules.get("torch")
    kind = type(original)
    if kind is list and type(new) is list:
        if len(original) == len(new):
            for i, (a, b) in enumerate(zip(original, new, strict=True)):
                if _same_kind_mutable(a, b):
                    update_in_place(a, b, depth + 1)
                else:
                    original[i] = b
        else:
            original[:] = new
    elif kind in (dict, collections.OrderedDict) and isinstance(new, dict):
        for key in list(original):
            if key not in new:
                del original[key]
        for key, value in new.items():
            if key in original and _same_kind_mutable(original[key], value):
                update_in_place(original[key], value, depth + 1)
            else:
                original[key] = value
    elif numpy is not None and isinstance(original, numpy.ndarray) and isinstance(new, numpy.ndarray):
        if (
            original.shape == new.shape
            and original.flags.writeable
            and not numpy.array_equal(original, new, equal_nan=original.dtype.kind in "fc")
        ):
            numpy.copyto(original, new, casting="unsafe")
    elif (
        numpy is not None
        and isinstance(original, numpy.random.Generator)
        and isinstance(new, numpy.random.Generator)
    ):
        original.bit_generator.state = new.bit_generator.state
    elif (
        numpy is not None
        and isinstance(original, numpy.random.Generator)
        and isinstance(new, _GeneratorState)
    ):
        original.bit_generator.state = new.state
    elif torch is not None and isinstance(original, torch.Generator) and isinstance(new, torch.Generator):
        original.set_state(new.get_state())
    elif (
        numpy is not None
        and isinstance(original, numpy.random.RandomState)
        and isinstance(new, numpy.random.RandomState)
    ):
        original.set_state(new.get_state(legacy=False))
    elif torch is not None and isinstance(original, torch.nn.Module) and isinstance(new, ModuleState):
        with torch.no_grad():
            for name, value in original.state_dict(keep_vars=True).items():
                theirs = new.tensors.get(name)
                if theirs is None or value.shape != theirs.shape:
                    continue
                value.copy_(theirs.detach().to(value.dtype))
                if value.is_leaf and value.requires_grad:
                    value.grad = None if theirs.grad is None else theirs.grad.detach().clone()
        for (_, mine), flag in zip(original.named_modules(), new.training, strict=False):
            mine.training = flag
    elif torch is not None and isinstance(original, torch.nn.Module) and isinstance(new, torch.nn.Module):
        with torch.no_grad():
            new_state = dict(new.state_dict(keep_vars=True))
            for name, value in original.state_dict(keep_vars=True).items():
                if name in new_state and value.shape == new_state[name].shape:
                    value.copy_(new_state[name])
            for (_, mine), (_, theirs) in zip(original.named_modules(), new.named_modules(), strict=False):
                mine.training = bool(theirs.training)
            for (_, mine), (_, theirs) in zip(
                original.named_parameters(), new.named_parameters(), strict=False
            ):
                mine.grad = None if theirs.grad is None else theirs.grad.detach().clone()
    elif torch is not None and isinstance(original, torch.Tensor) and isinstance(new, torch.Tensor):
        if original.shape == new.shape and not torch.equal(
            original.detach(), new.detach().to(original.dtype)
        ):
            with torch.no_grad():
                original.copy_(new)
        if original.is_leaf and new.grad is not None:
            original.grad = new.grad.detach().clone()
    elif _root(getattr(kind, "__module__", "")) == "sklearn" and type(new) is kind:
        original.__dict__.clear()
        original.__dict__.update(new.__dict__)


class _GeneratorState:
    """The state S sent back for a generator T lent it (applied to T's own generator)."""

    def __init__(self, state: Any) -> None:
        self.state = state


def _is_generator(value: Any) -> bool:
    numpy = sys.modules.get("numpy")
    return numpy is not None and type(value) is numpy.random.Generator


MARK_COPY_BYTES = 1 << 20


def _array_mark(value: Any) -> Any:
    """S: what an array argument holds before a call (its bytes, or a digest of large ones)."""
    numpy = sys.modules.get("numpy")
    if numpy is None or type(value) is not numpy.ndarray or value.dtype.hasobject:
        return None
    return value.shape, value.dtype, _array_digest(value, numpy)


def _array_digest(value: Any, numpy: Any) -> bytes:
    if value.nbytes <= MARK_COPY_BYTES:
        raw: bytes = value.tobytes()
        return raw
    flat = numpy.ascontiguousarray(value).reshape(-1).view(numpy.uint8)
    return hashlib.blake2b(memoryview(flat), digest_size=32).digest()


def _same_array(value: Any, mark: Any) -> bool:
    """S: an array argument the call left as it was (T's copy is then already up to date)."""
    if mark is None:
        return False
    numpy = sys.modules["numpy"]
    shape, dtype, digest = mark
    return (
        type(value) is numpy.ndarray
        and value.shape == shape
        and value.dtype == dtype
        and _array_digest(value, numpy) == digest
    )


def _same_kind_mutable(a: Any, b: Any) -> bool:
    return type(a) is type(b) and _mutable(a)


def _remote_backward(peer: Peer, hid: int, data: Any, inputs: list[Any]) -> Any:
    torch = sys.modules["torch"]

    # torch is reached through sys.modules (loaded only when the notebook imported it), so its Function class
    # is a run-time value, typed Any: the one class built on such a base.
    function: Any = torch.autograd.Function

    class RemoteBackward(function):  # type: ignore[misc]
        @staticmethod
        def forward(ctx: Any, *tensors: Any) -> Any:
            return data.clone()

        @staticmethod
        def backward(ctx: Any, grad: Any) -> Any:
            grads = peer.request("backward", hid, grad)
            return tuple(grads)

    return RemoteBackward.apply(*inputs)


# ------------------------------------------------------------------------------------ global states
def rng_state() -> dict[str, Any]:
    """The global random states a notebook's code may use: random, NumPy's legacy and torch's."""
    state: dict[str, Any] = {"random": random.getstate()}
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        state["numpy"] = numpy.random.get_state(legacy=False)
    torch = sys.modules.get("torch")
    if torch is not None:
        state["torch"] = torch.get_rng_state().numpy()
        state["torch_dtype"] = str(torch.get_default_dtype()).replace("torch.", "")
        state["grad"] = bool(torch.is_grad_enabled())
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    if not isinstance(state, dict):
        return
    with contextlib.suppress(Exception):
        version, internal, gauss = state["random"]
        random.setstate((int(version), tuple(int(x) for x in internal), gauss))
    numpy = sys.modules.get("numpy")
    if numpy is not None and "numpy" in state:
        with contextlib.suppress(Exception):
            numpy.random.set_state(state["numpy"])
    torch = sys.modules.get("torch")
    if torch is not None and "torch" in state:
        with contextlib.suppress(Exception):
            np = sys.modules["numpy"]  # (absent: nothing is set, as for any other failure here)
            torch.set_rng_state(torch.from_numpy(np.asarray(state["torch"], dtype=np.uint8).copy()))
        dtype = getattr(torch, str(state.get("torch_dtype")), None)
        if dtype in (torch.float32, torch.float64):  # never a lower precision in the tester
            with contextlib.suppress(Exception):
                torch.set_default_dtype(dtype)
        if "grad" in state:
            torch.set_grad_enabled(bool(state["grad"]))


def state_key() -> tuple[object, ...]:
    """A fingerprint of the global random states, default dtype and grad mode (to send the states of
    :func:`rng_state` only when they changed): the generators' raw state bytes, read in about a microsecond
    each (reading NumPy's legacy state through ``get_state`` takes tens of microseconds, twice per call)."""
    parts: list[Any] = [_probes.random()]
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        parts.append(_probes.numpy(numpy))
    torch = sys.modules.get("torch")
    if torch is not None:
        parts += [torch.get_rng_state().numpy().tobytes(), torch.get_default_dtype(), torch.is_grad_enabled()]
    return tuple(parts)


class _StateProbes:
    """Raw reads of the global generators' states, used only after checking, on this very build, that they
    read exactly what ``getstate``/``get_state`` return (else those slow calls are the fingerprint)."""

    MT_WORDS = 624

    def __init__(self) -> None:
        self.random_layout: Any = _UNSET  # (offset, size) of CPython's Random state, or None
        self.gauss_offset: Any = _UNSET  # offset of the legacy ``gauss`` in a RandomState object, or None

    # random
    def random(self) -> Any:
        inst = getattr(random.getstate, "__self__", None)
        if self.random_layout is _UNSET:
            self.random_layout = None
            with contextlib.suppress(Exception):
                self.random_layout = self._random_layout(inst)
        if self.random_layout is None or type(inst) is not random.Random:
            return random.getstate()
        offset, size = self.random_layout
        # Random.gauss_next is a real attribute (random.py sets it in seed/setstate); typeshed omits it.
        return ctypes.string_at(id(inst) + offset, size), inst.gauss_next  # type: ignore[attr-defined]

    def _random_layout(self, inst: Any) -> Any:
        import _random

        offset, size = object.__basicsize__, 4 + 4 * self.MT_WORDS  # after the object head: index, words
        if _random.Random.__basicsize__ < offset + size:
            return None
        probe = random.Random(20261207)
        probe.random()
        for obj in (probe, inst):
            if type(obj) is not random.Random:
                return None
            raw = ctypes.string_at(id(obj) + offset, size)
            index = int.from_bytes(raw[:4], sys.byteorder, signed=True)
            words = struct.unpack(f"={self.MT_WORDS}I", raw[4:])
            if (*words, index) != tuple(obj.getstate()[1]):
                return None
        return offset, size

    # numpy's legacy global generator (np.random.seed, np.random.rand, ...)
    def numpy(self, numpy: Any) -> Any:
        rs = getattr(numpy.random.get_state, "__self__", None)
        if self.gauss_offset is _UNSET:
            self.gauss_offset = None
            with contextlib.suppress(Exception):
                self.gauss_offset = self._gauss_offset(numpy, rs)
        if self.gauss_offset is not None and type(rs) is numpy.random.RandomState:
            bitgen = rs._bit_generator
            if type(bitgen) is numpy.random.MT19937:
                return self._mt_read(bitgen), ctypes.string_at(id(rs) + self.gauss_offset - 8, 16)
        state = numpy.random.get_state(legacy=False)
        inner = state["state"]
        return bytes(memoryview(inner["key"])), inner["pos"], state.get("has_gauss"), state.get("gauss")

    def _mt_read(self, bitgen: Any) -> bytes:
        return ctypes.string_at(bitgen.ctypes.state_address, 4 * self.MT_WORDS + 4)  # key[624], pos

    def _gauss_read(self, rs: Any, offset: int) -> tuple[int, float]:
        raw = ctypes.string_at(id(rs) + offset - 8, 16)  # int has_gauss (padded), double gauss
        return int.from_bytes(raw[:4], sys.byteorder, signed=True), struct.unpack("=d", raw[8:])[0]

    def _matches(self, rs: Any, offset: int) -> bool:
        state = rs.get_state(legacy=False)
        raw = self._mt_read(rs._bit_generator)
        words = struct.unpack(f"={self.MT_WORDS}I", raw[:-4])
        pos = int.from_bytes(raw[-4:], sys.byteorder, signed=True)
        has_gauss, gauss = self._gauss_read(rs, offset)
        return (
            list(words) == [int(x) for x in state["state"]["key"]]
            and pos == state["state"]["pos"]
            and has_gauss == state["has_gauss"]
            and (not has_gauss or gauss == state["gauss"])
        )

    def _gauss_offset(self, numpy: Any, target: Any) -> Any:
        RandomState = numpy.random.RandomState
        if type(target) is not RandomState or type(target._bit_generator) is not numpy.random.MT19937:
            return None
        probe = RandomState(20261207)
        probe.standard_normal()  # a pair drawn, one cached: has_gauss 1
        gauss = struct.pack("=d", probe.get_state(legacy=False)["gauss"])
        size = RandomState.__basicsize__
        memory = ctypes.string_at(id(probe), size)
        found = [
            i
            for i in range(16, size - 7, 8)
            if memory[i : i + 8] == gauss and int.from_bytes(memory[i - 8 : i - 4], sys.byteorder) == 1
        ]
        if len(found) != 1:
            return None
        offset = found[0]
        for _ in range(3):  # the cached value used (has_gauss 0), then a new pair
            if not self._matches(probe, offset):
                return None
            probe.standard_normal()
        return offset if self._matches(target, offset) else None


_probes = _StateProbes()


def fd_socket(fd: int) -> socket.socket:
    return socket.socket(fileno=fd)


def close_quietly(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)
