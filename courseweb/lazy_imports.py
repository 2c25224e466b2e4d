"""Defer one third-party import that costs seconds of CPU in every process and is almost never used.

nbformat imports jsonschema, and jsonschema imports `rfc3987_syntax` when it is installed (jupyter-events asks for
jsonschema's `format-nongpl` extras). That module compiles an Earley parser for RFC 3987 when it is imported: about
2 s of CPU in every web server, Celery worker, management command and test process, for an IRI format check that
nothing here makes. `defer_rfc3987_syntax()` puts a stand-in in its place whose `is_valid_syntax` (the one name
jsonschema takes from it) imports the real module on first use, so jsonschema's "iri" checks work as before.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types

NAME = "rfc3987_syntax"


def defer_rfc3987_syntax() -> None:
    """Install the stand-in unless the module is already imported or not installed; safe to call twice."""
    if NAME in sys.modules or importlib.util.find_spec(NAME) is None:
        return
    stub = types.ModuleType(NAME, "Stand-in for rfc3987_syntax: the real module is imported on first use.")
    lock = threading.Lock()
    real: list[types.ModuleType] = []

    def load() -> types.ModuleType:
        with lock:
            if not real:
                if sys.modules.get(NAME) is stub:
                    del sys.modules[NAME]
                real.append(importlib.import_module(NAME))
            return real[0]

    def is_valid_syntax(term: str, value: str) -> bool:
        return load().is_valid_syntax(term, value)

    def __getattr__(attr: str) -> object:  # any other public name: from the real module
        if attr.startswith("__"):  # the import system probes `__path__` and the like: not a reason to load
            raise AttributeError(attr)
        return getattr(load(), attr)

    stub.is_valid_syntax = is_valid_syntax  # type: ignore[attr-defined]
    stub.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules[NAME] = stub
