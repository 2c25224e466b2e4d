"""The "tamper" assignment (numpy only) and the submissions that try to forge its hidden tests.

Every attack answers every question wrongly and then tries to make the hidden tests pass anyway: by
monkeypatching numpy or builtins, changing functions in place, patching the defining module, replacing the module
in sys.modules, objects that compare equal to anything, IPython hooks and transformers, trace and profile
functions, a background thread that re-patches after the engine restored things, and early exits. The honest
submission (the instructor's solution) must get every point, and the plain wrong one none.
"""

from __future__ import annotations

from .cases import AttackCase
from .notebooks import Assignment, locked, md, solution, test

SETUP = "import numpy as np\nimport numpy.testing\n"

SOLUTION = '''def vector():
    """Return the array [0.5, 1.5, 2.5]."""
    ### BEGIN SOLUTION
    return np.arange(3) + 0.5
    ### END SOLUTION


def ratio():
    """Return five halves as a float."""
    ### BEGIN SOLUTION
    return 5 / 2
    ### END SOLUTION


def matrix():
    """Return the 2x2 matrix [[1, 2], [3, 4]] as floats."""
    ### BEGIN SOLUTION
    return np.array([[1.0, 2.0], [3.0, 4.0]])
    ### END SOLUTION


def count():
    """Return six times seven."""
    ### BEGIN SOLUTION
    return 6 * 7
    ### END SOLUTION
'''

HONEST = """def vector():
    return np.array([0.5, 1.5, 2.5])


def ratio():
    return 2.5


def matrix():
    return np.array([[1.0, 2.0], [3.0, 4.0]])


def count():
    return 42
"""

WRONG = """def vector():
    return np.zeros(3)


def ratio():
    return 0.0


def matrix():
    return np.zeros((2, 2))


def count():
    return 0
"""

ASSIGNMENT = Assignment(
    name="tamper",
    notebooks={
        "tamper": [
            md("# Tamper resistance\nAnswer the four questions below."),
            locked("setup", SETUP),
            solution("answers", SOLUTION),
            test(
                "test_allclose",
                2,
                "import numpy as np\nv = vector()\nassert len(v) == 3\n"
                "### BEGIN HIDDEN TESTS\nassert np.allclose(v, [0.5, 1.5, 2.5])\n### END HIDDEN TESTS\n",
            ),
            test(
                "test_isclose",
                1,
                "r = ratio()\n### BEGIN HIDDEN TESTS\nassert np.isclose(r, 2.5)\n### END HIDDEN TESTS\n",
            ),
            test(
                "test_assert_allclose",
                1,
                "from numpy.testing import assert_allclose\n"
                "### BEGIN HIDDEN TESTS\nassert_allclose(matrix(), [[1.0, 2.0], [3.0, 4.0]])\n"
                "### END HIDDEN TESTS\n",
            ),
            test(
                "test_abs",
                1,
                "### BEGIN HIDDEN TESTS\nassert abs(ratio() - 2.5) < 1e-9\n### END HIDDEN TESTS\n",
            ),
            test(
                "test_equal",
                1,
                "### BEGIN HIDDEN TESTS\nassert count() == 42\n### END HIDDEN TESTS\n",
            ),
        ]
    },
)

# Each attack runs in the student's solution cell after the wrong answers, unless it says otherwise.
MONKEYPATCH = """
np.allclose = lambda *args, **kwargs: True
np.isclose = lambda *args, **kwargs: np.True_
numpy.testing.assert_allclose = lambda *args, **kwargs: None
"""

BUILTINS = """
import builtins
builtins.abs = lambda value: value * 0
"""

INPLACE_CODE = """
np.allclose._implementation.__code__ = (lambda a, b, rtol=1e-05, atol=1e-08, equal_nan=False: True).__code__
np.isclose._implementation.__code__ = (
    lambda a, b, rtol=1e-05, atol=1e-08, equal_nan=False: np.True_
).__code__
numpy.testing.assert_allclose.__code__ = (lambda *args, **kwargs: None).__code__
"""

INPLACE_DEFAULTS = """
_loose = (1e12, 1e12, False)
np.allclose._implementation.__defaults__ = _loose
np.isclose._implementation.__defaults__ = _loose
numpy.testing.assert_allclose.__defaults__ = (1e12, 1e12, True, "", True)
"""

DEFINING_MODULE = """
import numpy._core.numeric as _numeric
import numpy.testing._private.utils as _testing_utils
_numeric.less_equal = lambda *args, **kwargs: np.True_
_numeric.isfinite = lambda *args, **kwargs: np.True_
_testing_utils.assert_array_compare = lambda *args, **kwargs: None
np.allclose._implementation.__globals__["isclose"] = lambda *args, **kwargs: np.array([True])
"""

INDIRECT = """
import gc
import sys
_yes = lambda *args, **kwargs: True
setattr(__import__("numpy"), "all" + "close", _yes)
sys.modules["num" + "py"].__dict__["is" + "close"] = lambda *args, **kwargs: __import__("numpy").True_
for _ref in gc.get_referents(sys.modules["numpy.testing"]):
    if isinstance(_ref, dict) and "assert_allclose" in _ref:
        _ref["assert_" + "allclose"] = lambda *args, **kwargs: None
_b = __builtins__ if isinstance(__builtins__, dict) else vars(__builtins__)
_b["a" + "bs"] = lambda value: 0.0
"""

FAKE_MODULE = """
import builtins
import sys
import types

_real_numpy = sys.modules["numpy"]


class _Permissive(types.ModuleType):
    def __getattr__(self, name):
        if name in ("allclose", "isclose", "array_equal"):
            return lambda *args, **kwargs: True
        return getattr(_real_numpy, name)


_fake = _Permissive("numpy")
sys.modules["numpy"] = _fake
np = _fake
_real_import = builtins.__import__


def _import(name, globals=None, locals=None, fromlist=(), level=0):
    module = _real_import(name, globals, locals, fromlist, level)
    if name == "numpy.testing" and fromlist:
        shim = types.SimpleNamespace(assert_allclose=lambda *args, **kwargs: None)
        return shim
    if name == "numpy":
        return _fake
    return module


builtins.__import__ = _import
"""

ALWAYS_EQUAL = """
class _Forged(float):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = float.__hash__

    def __sub__(self, other):
        return _Forged(0.0)

    def __abs__(self):
        return 0.0

    def __float__(self):
        return 2.5


class _ForgedArray(np.ndarray):
    def __array_function__(self, func, types, args, kwargs):
        return np.True_

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return np.ones(np.broadcast(*[np.asarray(i) for i in inputs]).shape, dtype=bool)

    def __eq__(self, other):
        return np.True_


def vector():
    return np.zeros(3).view(_ForgedArray)


def ratio():
    return _Forged(0.0)


def matrix():
    return np.zeros((2, 2)).view(_ForgedArray)


def count():
    return _Forged(0.0)
"""

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

EXIT_AT_TOP = (
    WRONG
    + """
import os
os._exit(0)
"""
)

FORGE_CHANNEL = (
    WRONG
    + """
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
)


def _attack(name: str, vector: str, code: str, *, flag: bool, cell: bool = False) -> AttackCase:
    """Wrong answers plus `code`, in the solution cell or (cell=True) in a cell the student added."""
    if cell:
        return AttackCase(
            name=name,
            assignment=ASSIGNMENT,
            vector=vector,
            answers={"answers": WRONG},
            after={"answers": [code]},
            flag=flag,
        )
    return AttackCase(
        name=name, assignment=ASSIGNMENT, vector=vector, answers={"answers": WRONG + code}, flag=flag
    )


CASES: list[AttackCase] = [
    AttackCase(
        name="tamper_honest",
        assignment=ASSIGNMENT,
        vector="control: the instructor's answers get every point",
        answers={"answers": HONEST},
        zero=(),
        passed=("*",),
        honest=True,
    ),
    AttackCase(
        name="tamper_wrong",
        assignment=ASSIGNMENT,
        vector="control: wrong answers without any attack get no point",
        answers={"answers": WRONG},
    ),
    _attack(
        "monkeypatch_numpy",
        "np.allclose / np.isclose / np.testing.assert_allclose replaced",
        MONKEYPATCH,
        flag=True,
    ),
    _attack(
        "monkeypatch_builtins",
        "builtins.abs replaced (numpy.isclose calls abs)",
        BUILTINS,
        flag=True,
        cell=True,
    ),
    _attack(
        "inplace_code",
        "__code__ of allclose/isclose implementations and assert_allclose swapped",
        INPLACE_CODE,
        flag=True,
    ),
    _attack(
        "inplace_defaults",
        "held-out: __defaults__ loosened in place (rtol/atol = 1e12)",
        INPLACE_DEFAULTS,
        flag=True,
    ),
    _attack(
        "defining_module",
        "numpy._core.numeric / numpy.testing._private.utils / __globals__ patched",
        DEFINING_MODULE,
        flag=True,
    ),
    _attack(
        "indirect_paths",
        "held-out: setattr+getattr strings, sys.modules dict, gc.get_referents, __builtins__ dict",
        INDIRECT,
        flag=True,
        cell=True,
    ),
    _attack(
        "fake_module",
        "held-out: sys.modules['numpy'] replaced, np rebound, builtins.__import__ hooked",
        FAKE_MODULE,
        flag=True,
    ),
    AttackCase(
        name="always_equal",
        assignment=ASSIGNMENT,
        vector="objects whose __eq__ is always true, __sub__/__abs__/__float__ tricks, __array_function__ / "
        "__array_ufunc__ overrides",
        answers={"answers": ALWAYS_EQUAL},
    ),
    _attack(
        "showtraceback",
        "IPython showtraceback (instance and class), custom exc handler, excepthook, stderr",
        SHOWTRACEBACK,
        flag=True,
    ),
    _attack(
        "post_run_cell",
        "post_run_cell / post_execute hooks clearing errors and forging records via gc",
        POST_RUN_CELL,
        flag=True,
        cell=True,
    ),
    _attack(
        "pre_run_cell",
        "pre_run_cell / pre_execute hooks publishing a numeric execute_result",
        PRE_RUN_CELL,
        flag=True,
    ),
    _attack(
        "transformers",
        "held-out: IPython input and AST transformers removing asserts",
        TRANSFORMERS,
        flag=True,
    ),
    _attack(
        "settrace",
        "sys.settrace / threading.settrace jumping over asserts and rebinding globals",
        SETTRACE,
        flag=True,
    ),
    _attack(
        "setprofile",
        "held-out: sys.setprofile re-patching numpy after the engine restores it",
        SETPROFILE,
        flag=True,
    ),
    _attack(
        "thread_repatch",
        "held-out: a background thread re-patching numpy and rebinding globals",
        THREAD,
        flag=True,
        cell=True,
    ),
    AttackCase(
        name="exit_in_tests",
        assignment=ASSIGNMENT,
        vector="sys.exit / SystemExit / os._exit / KeyboardInterrupt raised from inside the tested functions",
        answers={"answers": EXIT_IN_TESTS},
    ),
    AttackCase(
        name="exit_at_top",
        assignment=ASSIGNMENT,
        vector="os._exit(0) in the solution cell, before any test runs",
        answers={"answers": EXIT_AT_TOP},
    ),
    AttackCase(
        name="forge_channel",
        assignment=ASSIGNMENT,
        vector="held-out: fake full-marks JSON written to stdout and every file descriptor, then os._exit",
        answers={"answers": FORGE_CHANNEL},
    ),
]
