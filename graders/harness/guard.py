"""Tamper flags (a staff signal only): snapshot the trusted world, report what a submission changed in it.

The zygote takes a :class:`Snapshot` after importing the course libraries and before any student code:
every module's attributes, every Python function's ``__code__``/``__defaults__``/``__kwdefaults__`` and
closure cells, every mutable class's ``__dict__``, and the IPython shell's hook lists. After the notebook's
last cell a throw-away fork of the notebook process calls :meth:`Snapshot.restore`, which finds what changed
(through :class:`_Watch`'s words, without touching the libraries' objects), puts it back and reports it as
flags; :func:`clear_hooks` removes trace/profile functions and the like. The verdicts never depend on it: they
are the trusted tester's (:mod:`.tester`). The snapshot's set of trusted types is also what the tester uses to
refuse a test result of a class it does not know.
"""

from __future__ import annotations

import builtins
import ctypes
import functools
import gc
import operator
import sys
import threading
import types
from collections.abc import Iterable
from itertools import compress, repeat
from typing import Any

# `Any` here is whatever a module, a class or a closure holds: the snapshot compares it by identity only.
_MISSING = object()
HEAPTYPE = 1 << 9
IMMUTABLETYPE = 1 << 8
VOLATILE = {
    "sys": {
        "stdout",
        "stderr",
        "stdin",
        "displayhook",
        "excepthook",
        "last_type",
        "last_value",
        "last_traceback",
        "last_exc",
        "ps1",
        "ps2",
        "tracebacklimit",
        "_home",
    },
    "builtins": {"_", "__", "___"},
}


class Snapshot:
    """Identity snapshot of the interpreter's code-bearing state at a trusted moment."""

    def __init__(self, shell: Any = None) -> None:
        self.modules: list[tuple[str, types.ModuleType, dict[str, Any]]] = []
        # (function, its code, defaults, keyword defaults, closure cell values): defaults and cells hold any object
        self.functions: list[
            tuple[
                types.FunctionType,
                types.CodeType,
                tuple[Any, ...] | None,
                dict[str, Any] | None,
                tuple[Any, ...] | None,
            ]
        ] = []
        self.classes: list[tuple[type, dict[str, Any]]] = []
        self.trusted: set[int] = set()
        self.shell_lists: list[tuple[list[Any], list[Any], str]] = []
        self.shell_attrs: list[tuple[dict[str, Any], dict[str, Any], str]] = []
        enabled = gc.isenabled()
        gc.disable()  # the snapshot allocates a few hundred thousand containers: no collection midway
        try:
            self._take(shell)
        finally:
            if enabled:
                gc.enable()

    def _take(self, shell: Any) -> None:
        for name, mod in list(sys.modules.items()):
            if isinstance(mod, types.ModuleType):
                try:
                    self.modules.append((name, mod, dict(vars(mod))))
                except TypeError:
                    continue
        objects = gc.get_objects()
        # pick the functions and classes out of every object at C speed (map/compress), then look at those only
        functions = compress(objects, map(operator.is_, map(type, objects), repeat(types.FunctionType)))
        for obj in functions:
            self.functions.append((obj, obj.__code__, obj.__defaults__, obj.__kwdefaults__, _cells(obj)))
        for obj in compress(objects, map(isinstance, objects, repeat(type))):
            self.trusted.add(id(obj))
            flags = getattr(obj, "__flags__", 0)
            if flags & HEAPTYPE and not flags & IMMUTABLETYPE:
                self.classes.append((obj, dict(obj.__dict__)))
        for _, _, saved in self.modules:  # static (non-GC) types such as AssertionError or numpy.float64
            for value in saved.values():
                if isinstance(value, type):
                    self.trusted.add(id(value))
        for value in (*vars(builtins).values(), *vars(types).values()):
            if isinstance(value, type):
                self.trusted.add(id(value))
        if shell is not None:
            self._take_shell(shell)
        self._index()

    def _take_shell(self, shell: Any) -> None:
        owners = [
            (shell, "shell"),
            (getattr(shell, "input_transformer_manager", None), "transformer_manager"),
            (getattr(shell, "events", None), "events"),
            (getattr(shell, "display_formatter", None), "display_formatter"),
        ]
        for owner, label in owners:
            if owner is None:
                continue
            for target, name in ((vars(owner), label), (vars(owner).get("_trait_values"), f"{label} trait")):
                if not isinstance(target, dict):
                    continue
                self.shell_attrs.append((target, dict(target), name))
                for key, value in target.items():
                    if type(value) is list:
                        self.shell_lists.append((value, list(value), f"{name}.{key}"))
        events = getattr(shell, "events", None)
        for name, callbacks in dict(getattr(events, "callbacks", {})).items():
            self.shell_lists.append((callbacks, list(callbacks), f"events.{name}"))

    def is_trusted_type(self, kind: type) -> bool:
        return id(kind) in self.trusted

    def _index(self) -> None:
        """Flat tuples so that the common case (nothing changed) is checked at C speed."""
        self._mod_names = tuple(name for name, _, _ in self.modules)
        self._mod_objs = tuple(mod for _, mod, _ in self.modules)
        self._mod_items = [(vars(mod), tuple(saved), tuple(saved.values())) for _, mod, saved in self.modules]
        self._funcs = tuple(f[0] for f in self.functions)
        self._codes = tuple(f[1] for f in self.functions)
        self._defaults = tuple(f[2] for f in self.functions)
        self._kwdefaults = tuple(f[3] for f in self.functions)
        cells: list[Any] = []
        cell_values: list[Any] = []
        for entry in self.functions:
            saved_cells = entry[4]
            if saved_cells is None:
                continue
            for cell, value in zip(entry[0].__closure__ or (), saved_cells, strict=False):
                if value is not _MISSING:
                    cells.append(cell)
                    cell_values.append(value)
        self._cells = tuple(cells)
        self._cell_values = tuple(cell_values)
        self._class_items = [
            (cls, cls.__dict__, tuple(saved), tuple(saved.values()), len(saved))
            for cls, saved in self.classes
        ]
        self._watch = _Watch.build(self)

    def restore(self) -> list[str]:
        """Put back everything that changed since the snapshot; describe code-bearing changes.

        In a fork of the zygote, the words that :class:`_Watch` reads say what changed without touching an
        object: a full pass increments the reference count of every library object it looks at, so each of
        their pages is copied (about 0.1 s with torch and scikit-learn loaded); only the objects the words
        name are looked at then.
        """
        if not hasattr(self, "_funcs"):
            self._index()
        return self._restore(self._watch.changed() if self._watch is not None else None)

    def _restore(self, changed: _Changed | None) -> list[str]:
        """The full pass (``changed`` None) or the pass over what :class:`_Watch` found changed."""
        flags: list[str] = []
        if (changed is None or changed.sys_modules) and not all(
            map(operator.is_, map(sys.modules.get, self._mod_names), self._mod_objs)
        ):
            for name, mod in zip(self._mod_names, self._mod_objs, strict=True):
                if sys.modules.get(name) is not mod:
                    sys.modules[name] = mod
                    flags.append(f"sys.modules[{name!r}] replaced")
        module_positions = range(len(self.modules)) if changed is None else sorted(changed.modules)
        for position in module_positions:
            (name, _, saved), (current, keys, values) = self.modules[position], self._mod_items[position]
            if all(map(operator.is_, map(current.get, keys), values)):
                continue
            volatile = VOLATILE.get(name, ())
            for key, value in saved.items():
                now = current.get(key, _MISSING)
                if now is value:
                    continue
                current[key] = value
                if key not in volatile and self.suspicious(now):
                    flags.append(f"{name}.{key} was replaced")
        for attr, saved_values in (
            ("__code__", self._codes),
            ("__defaults__", self._defaults),
            ("__kwdefaults__", self._kwdefaults),
        ):
            if changed is None:
                if all(map(operator.is_, map(operator.attrgetter(attr), self._funcs), saved_values)):
                    continue
                positions: Iterable[int] = range(len(self._funcs))
            else:
                positions = sorted(changed.functions)
            for position in positions:
                func, value = self._funcs[position], saved_values[position]
                now = getattr(func, attr)
                if now is not value:
                    setattr(func, attr, value)
                    if attr != "__code__" or self.suspicious(now):
                        flags.append(
                            f"{getattr(func, '__module__', '?')}.{func.__qualname__}.{attr} was replaced"
                        )
        if changed is not None:
            cells_same = not changed.cells
        else:
            try:
                cells_same = all(
                    map(
                        operator.is_,
                        map(operator.attrgetter("cell_contents"), self._cells),
                        self._cell_values,
                    )
                )
            except ValueError:
                cells_same = False
        if not cells_same:
            cell_positions = range(len(self._cells)) if changed is None else sorted(changed.cells)
            for position in cell_positions:
                cell, value = self._cells[position], self._cell_values[position]
                try:
                    now = cell.cell_contents
                except ValueError:
                    now = _MISSING
                if now is not value:
                    cell.cell_contents = value
                    if self.suspicious(now):
                        flags.append("a library function's closure was changed")
        class_positions = range(len(self._class_items)) if changed is None else sorted(changed.classes)
        for position in class_positions:
            cls, class_dict, keys, values, size = self._class_items[position]
            if len(class_dict) == size and all(map(operator.is_, map(class_dict.get, keys), values)):
                continue
            for key, value in zip(keys, values, strict=True):
                now = class_dict.get(key, _MISSING)
                if now is not value:
                    try:
                        type.__setattr__(cls, key, value)
                    except (TypeError, AttributeError):
                        continue
                    if self.suspicious(now):
                        flags.append(f"{cls.__module__}.{cls.__qualname__}.{key} was replaced")
            for key in [k for k in class_dict if k not in keys and k.startswith("__") and k.endswith("__")]:
                now = class_dict[key]
                try:
                    type.__delattr__(cls, key)
                except (TypeError, AttributeError):
                    continue
                if self.suspicious(now):
                    flags.append(f"{cls.__module__}.{cls.__qualname__}.{key} was added")
        flags.extend(self._restore_shell())
        return flags

    def _restore_shell(self) -> list[str]:
        flags: list[str] = []
        for current, attrs, label in self.shell_attrs:
            for key, value in attrs.items():
                now = current.get(key, _MISSING)
                if now is not value:
                    current[key] = value
                    if self.suspicious(now):
                        flags.append(f"IPython {label}.{key} was replaced")
            for key in [k for k in current if k not in attrs]:
                now = current.pop(key)
                if self.suspicious(now):
                    flags.append(f"IPython {label}.{key} was set")
        for target, saved, label in self.shell_lists:
            if len(target) != len(saved) or any(a is not b for a, b in zip(target, saved, strict=False)):
                added = [c for c in target if not any(c is s for s in saved)]
                target[:] = saved
                if any(self.suspicious(c) for c in added):
                    flags.append(f"IPython {label} hooks were registered")
        return flags

    def _library_class(self, cls: type) -> bool:
        """A class made at run time by library code (e.g. matplotlib's backend class), not by the submission."""
        module = sys.modules.get(getattr(cls, "__module__", "") or "")
        origin = getattr(module, "__file__", None) or ""
        if not library_file(origin):
            return False
        for value in vars(cls).values():
            func = _function_of(value)
            if isinstance(func, types.FunctionType) and not library_file(func.__code__.co_filename):
                return False
        return True

    def suspicious(self, obj: Any) -> bool:
        """Whether ``obj`` is code the submission made (as opposed to library or harness code)."""
        if isinstance(obj, types.MethodType):
            obj = obj.__func__
        if isinstance(obj, functools.partial):
            obj = obj.func
        code = getattr(obj, "__code__", None) if isinstance(obj, types.FunctionType) else obj
        if isinstance(code, types.CodeType):
            return not library_file(code.co_filename)
        if isinstance(obj, type):
            return id(obj) not in self.trusted and not self._library_class(obj)
        if obj is _MISSING or obj is None or isinstance(obj, (types.ModuleType, types.BuiltinFunctionType)):
            return False
        return callable(obj) and id(type(obj)) not in self.trusted


class _Changed:
    """Positions (in the snapshot's lists) of the objects whose watched words changed."""

    def __init__(self) -> None:
        self.sys_modules = False
        self.modules: set[int] = set()
        self.functions: set[int] = set()
        self.cells: set[int] = set()
        self.classes: set[int] = set()


class _RawWords:
    """NumPy's view of the process's memory from ``base`` on, as 8-byte words (read only, never written)."""

    def __init__(self, base: int, count: int) -> None:
        self.__array_interface__ = {"shape": (count,), "typestr": "<u8", "data": (base, True), "version": 3}


class _Watch:
    """The words of CPython's objects that change when the snapshot's state does, read without touching them.

    For each function its ``__code__``, ``__defaults__`` and ``__kwdefaults__`` pointers, for each closure cell
    its contents pointer, and for each module's and class's namespace (and ``sys.modules``) the dictionary's
    version tag, which CPython changes on every store or deletion. Their addresses and values are taken in the
    zygote; a fork reads them with one NumPy gather (no reference count changes, so no page is copied) and
    compares. The snapshot holds every watched object, so none can be freed and its memory stays mapped. The
    field offsets are found on sample objects, not assumed; where they cannot be (no NumPy, another layout) the
    watch is not built and :meth:`Snapshot.restore` makes its full pass.
    """

    KINDS = ("sys.modules", "module", "function", "cell", "class")

    def __init__(self, numpy: Any, addresses: Any, kinds: Any, positions: Any) -> None:
        self.np = numpy
        self.addresses = addresses
        self.kinds = kinds  # index into KINDS, per word
        self.positions = positions  # the owner's position in the snapshot's list of that kind, per word
        self.expected = numpy.zeros(len(addresses), dtype=numpy.uint64)
        self.base = int(addresses.min()) if len(addresses) else 0
        self.count = (int(addresses.max()) - self.base) // 8 + 1 if len(addresses) else 0

    @classmethod
    def build(cls, snap: Snapshot) -> _Watch | None:
        numpy = sys.modules.get("numpy")
        offsets = _offsets()
        if numpy is None or offsets is None or sys.implementation.name != "cpython":
            return None
        code_at, defaults_at, kwdefaults_at, cell_at, version_at = offsets
        addresses: list[Any] = []  # NumPy arrays, one per kind and field
        kinds: list[Any] = []
        positions: list[Any] = []

        def watch(objects: Iterable[Any], offsets: tuple[int, ...], kind: str) -> None:
            ids = numpy.fromiter(map(id, objects), dtype=numpy.uint64)
            for offset in offsets:
                addresses.append(ids + numpy.uint64(offset))
                kinds.append(numpy.full(len(ids), cls.KINDS.index(kind), dtype=numpy.uint8))
                positions.append(numpy.arange(len(ids), dtype=numpy.int64))

        namespaces = [_namespace_of(klass) for klass, *_ in snap._class_items]
        if any(namespace is None for namespace in namespaces):
            return None
        watch([sys.modules], (version_at,), "sys.modules")
        watch([vars(module) for _, module, _ in snap.modules], (version_at,), "module")
        watch(snap._funcs, (code_at, defaults_at, kwdefaults_at), "function")
        watch(snap._cells, (cell_at,), "cell")
        watch(namespaces, (version_at,), "class")
        words = numpy.concatenate(addresses)
        if (words % numpy.uint64(8)).any():
            return None
        made = cls(numpy, words, numpy.concatenate(kinds), numpy.concatenate(positions))
        made.expected = made.read()
        return made

    def read(self) -> Any:
        np = self.np
        view = np.asarray(_RawWords(self.base, self.count))
        return view[(self.addresses - np.uint64(self.base)) // np.uint64(8)]

    def changed(self) -> _Changed | None:
        """What changed since the zygote took the snapshot; None when the words cannot be read."""
        try:
            now = self.read()
        except Exception:  # a broken NumPy in this process: the caller makes the full pass
            return None
        found = _Changed()
        for index in self.np.flatnonzero(now != self.expected).tolist():
            kind, position = self.KINDS[int(self.kinds[index])], int(self.positions[index])
            if kind == "sys.modules":
                found.sys_modules = True
            elif kind == "module":
                found.modules.add(position)
            elif kind == "function":
                found.functions.add(position)
            elif kind == "cell":
                found.cells.add(position)
            else:
                found.classes.add(position)
        return found


def _word(address: int) -> int:
    return int.from_bytes((ctypes.c_char * 8).from_address(address).raw, sys.byteorder)


def _offset_of(obj: Any, value: int, *, words: int = 16) -> int | None:
    """The offset of the first 8-byte word of ``obj`` that holds ``value`` (searched in its first words)."""
    size = min(words, sys.getsizeof(obj) // 8)
    for index in range(size):
        if _word(id(obj) + 8 * index) == value:
            return 8 * index
    return None


def _offsets() -> tuple[int, int, int, int, int] | None:
    """Offsets of a function's code/defaults/kwdefaults pointers, a cell's contents and a dict's version tag."""

    def sample(a: int = 1, *, b: int = 2) -> int:
        return a + b

    code_at = _offset_of(sample, id(sample.__code__))
    defaults_at = _offset_of(sample, id(sample.__defaults__))
    kwdefaults_at = _offset_of(sample, id(sample.__kwdefaults__))
    marker = object()
    cell = types.CellType(marker)
    cell_at = _offset_of(cell, id(marker), words=4)
    probe = {"key": 1}
    header = [_word(id(probe) + 8 * index) for index in range(2, 5)]  # after the reference count and type
    probe["key"] = 2
    moved = [index for index in range(2, 5) if _word(id(probe) + 8 * index) != header[index - 2]]
    version_at = 8 * moved[0] if len(moved) == 1 else None
    found = (code_at, defaults_at, kwdefaults_at, cell_at, version_at)
    if any(offset is None for offset in found):
        return None
    return code_at, defaults_at, kwdefaults_at, cell_at, version_at  # type: ignore[return-value]


def _namespace_of(klass: type) -> dict[str, Any] | None:
    """The dict behind a class's ``__dict__`` mapping proxy."""
    inner = [ref for ref in gc.get_referents(klass.__dict__) if isinstance(ref, dict)]
    return inner[0] if len(inner) == 1 else None


def _function_of(value: Any) -> Any:
    if isinstance(value, staticmethod | classmethod):
        return value.__func__
    if isinstance(value, property):
        return value.fget
    return value


def library_file(filename: str) -> bool:
    if filename.startswith("<grader_harness") or filename.startswith("<frozen"):
        return True
    if not filename.startswith("/"):
        return False
    return filename.startswith(_LIBRARY_PREFIXES)


_LIBRARY_PREFIXES = tuple(
    {
        p.rstrip("/") + "/"
        for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, "/usr/lib", "/usr/local/lib")
    }
)


def _cells(func: types.FunctionType) -> tuple[Any, ...] | None:
    if not func.__closure__:
        return None
    values = []
    for cell in func.__closure__:
        try:
            values.append(cell.cell_contents)
        except ValueError:
            values.append(_MISSING)
    return tuple(values)


def _is_library_callback(callback: Any) -> bool:
    module = getattr(callback, "__module__", "") or ""
    return module.startswith(("matplotlib_inline", "IPython", "ipykernel"))


def clear_hooks() -> list[str]:
    """Remove interpreter-level hooks that could observe or alter the test; describe what was set."""
    flags: list[str] = []
    if sys.gettrace() is not None:
        flags.append("sys.settrace was active")
    if sys.getprofile() is not None:
        flags.append("sys.setprofile was active")
    sys.settrace(None)
    sys.setprofile(None)
    # typeshed's threading.settrace takes only a trace function; at run time None clears it (as for setprofile).
    threading.settrace(None)  # type: ignore[arg-type]
    threading.setprofile(None)
    if gc.callbacks:
        flags.append("gc.callbacks were registered")
        gc.callbacks.clear()
    if sys.excepthook is not sys.__excepthook__:
        sys.excepthook = sys.__excepthook__
    sys.breakpointhook = sys.__breakpointhook__
    return flags
