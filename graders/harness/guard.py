"""Tamper resistance inside the sandbox: snapshot the trusted world, restore it before every test.

The zygote takes a :class:`Snapshot` after importing the course libraries and before any student code:
every module's attributes, every Python function's ``__code__``/``__defaults__``/``__kwdefaults__`` and
closure cells, every mutable class's ``__dict__``, and the IPython shell's hook lists. The test process
(forked after the student's cells ran) calls :meth:`Snapshot.restore`, which puts back whatever was
changed and reports it as flags; :func:`clear_hooks` removes trace/profile functions and the like.

How tests see the submission's values (guarded comparisons, normalisation) is in :mod:`.values`.
"""

from __future__ import annotations

import builtins
import functools
import gc
import operator
import sys
import threading
import types
from typing import Any

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
        self.functions: list[tuple[types.FunctionType, Any, Any, Any, tuple[Any, ...] | None]] = []
        self.classes: list[tuple[type, dict[str, Any]]] = []
        self.trusted: set[int] = set()
        self.shell_lists: list[tuple[list[Any], list[Any], str]] = []
        self.shell_attrs: list[tuple[Any, dict[str, Any], str]] = []
        self._take(shell)

    def _take(self, shell: Any) -> None:
        for name, mod in list(sys.modules.items()):
            if isinstance(mod, types.ModuleType):
                try:
                    self.modules.append((name, mod, dict(vars(mod))))
                except TypeError:
                    continue
        for obj in gc.get_objects():
            kind = type(obj)
            if kind is types.FunctionType:
                self.functions.append((obj, obj.__code__, obj.__defaults__, obj.__kwdefaults__, _cells(obj)))
            elif isinstance(obj, type):
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
        pairs = [
            (cell, value)
            for func, *_, cells in self.functions
            if cells is not None
            for cell, value in zip(func.__closure__ or (), cells, strict=False)
            if value is not _MISSING
        ]
        self._cells = tuple(p[0] for p in pairs)
        self._cell_values = tuple(p[1] for p in pairs)
        self._class_items = [
            (cls, cls.__dict__, tuple(saved), tuple(saved.values()), len(saved))
            for cls, saved in self.classes
        ]

    def restore(self) -> list[str]:
        """Put back everything that changed since the snapshot; describe code-bearing changes."""
        if not hasattr(self, "_funcs"):
            self._index()
        flags: list[str] = []
        if not all(map(operator.is_, map(sys.modules.get, self._mod_names), self._mod_objs)):
            for name, mod in zip(self._mod_names, self._mod_objs, strict=True):
                if sys.modules.get(name) is not mod:
                    sys.modules[name] = mod
                    flags.append(f"sys.modules[{name!r}] replaced")
        for (name, _, saved), (current, keys, values) in zip(self.modules, self._mod_items, strict=True):
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
            if all(map(operator.is_, map(operator.attrgetter(attr), self._funcs), saved_values)):
                continue
            for func, value in zip(self._funcs, saved_values, strict=True):
                now = getattr(func, attr)
                if now is not value:
                    setattr(func, attr, value)
                    if attr != "__code__" or self.suspicious(now):
                        flags.append(
                            f"{getattr(func, '__module__', '?')}.{func.__qualname__}.{attr} was replaced"
                        )
        try:
            cells_same = all(
                map(operator.is_, map(operator.attrgetter("cell_contents"), self._cells), self._cell_values)
            )
        except ValueError:
            cells_same = False
        if not cells_same:
            for cell, value in zip(self._cells, self._cell_values, strict=True):
                try:
                    now = cell.cell_contents
                except ValueError:
                    now = _MISSING
                if now is not value:
                    cell.cell_contents = value
                    if self.suspicious(now):
                        flags.append("a library function's closure was changed")
        for cls, current, keys, values, size in self._class_items:
            if len(current) == size and all(map(operator.is_, map(current.get, keys), values)):
                continue
            for key, value in zip(keys, values, strict=True):
                now = current.get(key, _MISSING)
                if now is not value:
                    try:
                        type.__setattr__(cls, key, value)
                    except (TypeError, AttributeError):
                        continue
                    if self.suspicious(now):
                        flags.append(f"{cls.__module__}.{cls.__qualname__}.{key} was replaced")
            for key in [k for k in current if k not in keys and k.startswith("__") and k.endswith("__")]:
                now = current[key]
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
    threading.settrace(None)  # type: ignore[arg-type]
    threading.setprofile(None)  # type: ignore[arg-type]
    if gc.callbacks:
        flags.append("gc.callbacks were registered")
        gc.callbacks.clear()
    if sys.excepthook is not sys.__excepthook__:
        sys.excepthook = sys.__excepthook__
    sys.breakpointhook = sys.__breakpointhook__
    return flags
