"""The "tamper" assignment (numpy only) and the submissions that try to forge its hidden tests.

Every attack answers every question wrongly and then tries to make the hidden tests pass anyway: by
monkeypatching numpy or builtins, changing functions in place, patching the defining module, replacing the module
in sys.modules, objects that compare equal to anything, IPython hooks and transformers, trace and profile
functions, a background thread that re-patches after the engine restored things, and early exits. The honest
submission (the instructor's solution) must get every point, and the plain wrong one none.
"""

from __future__ import annotations

from .cases import AttackCase
from .hooks import (
    AUDIT_HOOK,
    EXIT_AT_TOP,
    EXIT_IN_TESTS,
    FORGE_CHANNEL,
    POST_RUN_CELL,
    PRE_RUN_CELL,
    SETPROFILE,
    SETTRACE,
    SHOWTRACEBACK,
    SIGNAL_REPATCH,
    THREAD,
    TRANSFORMERS,
)
from .notebooks import Assignment, locked, md, solution, test
from .patches import (
    ALWAYS_EQUAL,
    BUILTINS,
    DEFINING_MODULE,
    FAKE_MODULE,
    INDIRECT,
    INDIRECT_INPLACE,
    INPLACE_CODE,
    INPLACE_DEFAULTS,
    MONKEYPATCH,
)

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
        "indirect_inplace",
        "held-out: in-place edits through computed names, a copied code object and exec of hex-encoded source",
        INDIRECT_INPLACE,
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
    _attack(
        "audit_hook",
        "held-out: sys.addaudithook callback re-patching numpy and builtins on every exec/compile/import",
        AUDIT_HOOK,
        flag=True,
    ),
    _attack(
        "signal_repatch",
        "held-out: SIGALRM/SIGVTALRM interval timers and a gc callback re-patching numpy every millisecond",
        SIGNAL_REPATCH,
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
        answers={"answers": WRONG + EXIT_AT_TOP},
    ),
    AttackCase(
        name="forge_channel",
        assignment=ASSIGNMENT,
        vector="held-out: fake full-marks JSON written to stdout and every file descriptor, then os._exit",
        answers={"answers": WRONG + FORGE_CHANNEL},
    ),
]
