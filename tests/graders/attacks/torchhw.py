"""The "torchhw" assignment: hidden tests written with torch, and the attacks on torch's comparisons.

Kept apart from the numpy corpus because importing torch is the slow part of a grading run: one honest
submission, one that monkeypatches torch's comparison functions (module attribute, the Tensor method and the
function inside torch.testing's defining module) and one whose answer is a Tensor subclass overriding
`__torch_function__` and `__eq__` so that every comparison says yes.
"""

from __future__ import annotations

from .cases import AttackCase
from .notebooks import Assignment, locked, md, solution, test

SOLUTION = '''def weights():
    """Return the weights [0.25, 0.5, 0.25] as a float tensor."""
    ### BEGIN SOLUTION
    return torch.tensor([1.0, 2.0, 1.0]) / 4
    ### END SOLUTION
'''

EXPECTED = "torch.tensor([0.25, 0.5, 0.25])"

ASSIGNMENT = Assignment(
    name="torchhw",
    notebooks={
        "torchhw": [
            md("# Torch"),
            locked("setup", "import torch\nimport torch.testing\n"),
            solution("answers", SOLUTION),
            test(
                "test_torch_allclose",
                1,
                f"### BEGIN HIDDEN TESTS\nassert torch.allclose(weights(), {EXPECTED})\n### END HIDDEN TESTS\n",
            ),
            test(
                "test_torch_assert_close",
                1,
                "### BEGIN HIDDEN TESTS\n"
                f"torch.testing.assert_close(weights(), {EXPECTED})\n### END HIDDEN TESTS\n",
            ),
            test(
                "test_torch_equal",
                1,
                f"### BEGIN HIDDEN TESTS\nassert torch.equal(weights(), {EXPECTED})\n"
                f"assert bool((weights() == {EXPECTED}).all())\n### END HIDDEN TESTS\n",
            ),
        ]
    },
)

WRONG = """def weights():
    return torch.zeros(3)
"""

MONKEYPATCH = (
    WRONG
    + """
import sys

torch.allclose = lambda *args, **kwargs: True
torch.equal = lambda *args, **kwargs: True
torch.Tensor.allclose = lambda self, *args, **kwargs: True
torch.Tensor.__eq__ = lambda self, other: torch.ones_like(self, dtype=torch.bool)
torch.testing.assert_close = lambda *args, **kwargs: None
sys.modules["torch.testing._comparison"].assert_close = lambda *args, **kwargs: None
"""
)

TORCH_FUNCTION = """class _Agreeable(torch.Tensor):
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


def weights():
    return torch.zeros(3).as_subclass(_Agreeable)
"""

CASES: list[AttackCase] = [
    AttackCase(
        name="torch_honest",
        assignment=ASSIGNMENT,
        vector="control: the instructor's answer gets every point",
        answers={"answers": SOLUTION},
        zero=(),
        passed=("*",),
        honest=True,
    ),
    AttackCase(
        name="torch_monkeypatch",
        assignment=ASSIGNMENT,
        vector="torch.allclose / torch.equal / Tensor.allclose / Tensor.__eq__ / torch.testing.assert_close "
        "(and its defining module) replaced",
        answers={"answers": MONKEYPATCH},
        flag=True,
    ),
    AttackCase(
        name="torch_function",
        assignment=ASSIGNMENT,
        vector="held-out: a Tensor subclass whose __torch_function__ makes every comparison true",
        answers={"answers": TORCH_FUNCTION},
    ),
]
