"""How tests see the submission's values: guarded comparisons, normalised results, numeric partial credit.

Tests are compiled with :class:`CompareGuard`, which routes ``==``/``!=``/ordering and ``assert`` truth through
:func:`make_guards`: when one side is an object of a class the submission defined, the trusted side's own
method decides (so an ``__eq__`` that always says True cannot make a test pass). :func:`make_normalizer` turns
values of submission-made subclasses of trusted types (``float``, ``ndarray``, ``Tensor``...) into the plain
base type before a test sees them; :func:`numeric_result` is nbgrader's partial credit from such a value.
"""

from __future__ import annotations

import ast
import functools
import operator
import sys
import types
from typing import TYPE_CHECKING, Any, TypeAlias

from .guard import Snapshot, library_file

if TYPE_CHECKING:
    from collections.abc import Callable

# The values tests and submissions hand around are arbitrary Python objects (the student's own classes
# included): `Any` below is such a value, checked at run time by type identity, never by annotation.
Normalizer: TypeAlias = "Callable[[Any], Any]"


class CompareGuard(ast.NodeTransformer):
    """Rewrite comparisons and assert tests of a test cell to go through the guard functions."""

    OPS = {
        ast.Eq: "eq",
        ast.NotEq: "ne",
        ast.Lt: "lt",
        ast.LtE: "le",
        ast.Gt: "gt",
        ast.GtE: "ge",
    }

    def __init__(self, name: str) -> None:
        self.name = name

    def _call(self, func: str, args: list[ast.expr], node: ast.AST) -> ast.Call:
        target = ast.Attribute(value=ast.Name(id=self.name, ctx=ast.Load()), attr=func, ctx=ast.Load())
        return ast.copy_location(ast.Call(func=target, args=args, keywords=[]), node)

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        if not all(type(op) in self.OPS for op in node.ops):
            return node
        # a < b < c  ->  chain(("lt", "lt"), lambda: a, lambda: b, lambda: c) would change evaluation
        # order; instead evaluate pairwise with a helper that keeps short-circuiting semantics.
        operands = [node.left, *node.comparators]
        ops: list[ast.expr] = [ast.Constant(self.OPS[type(op)]) for op in node.ops]
        lambdas: list[ast.expr] = [ast.Lambda(args=_no_args(), body=operand) for operand in operands]
        return self._call(
            "chain", [ast.Tuple(elts=ops, ctx=ast.Load()), ast.Tuple(elts=lambdas, ctx=ast.Load())], node
        )

    def visit_Assert(self, node: ast.Assert) -> ast.AST:
        self.generic_visit(node)
        node.test = self._call("truth", [node.test], node.test)
        return node


def _no_args() -> ast.arguments:
    return ast.arguments(
        posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[]
    )


class UntrustedObject(AssertionError):
    """A test compared or asserted on an object whose class the submission defined."""


def make_guards(snapshot: Snapshot) -> types.SimpleNamespace:
    """Comparison helpers bound to the trusted-type set of ``snapshot``."""
    trusted = snapshot.trusted
    reflected = {"eq": "eq", "ne": "ne", "lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}
    plain = {
        "eq": operator.eq,
        "ne": operator.ne,
        "lt": operator.lt,
        "le": operator.le,
        "gt": operator.gt,
        "ge": operator.ge,
    }

    def one(op: str, left: Any, right: Any) -> Any:
        left_ok = id(type(left)) in trusted
        right_ok = id(type(right)) in trusted
        if left_ok == right_ok:
            return plain[op](left, right)
        if left_ok:
            owner, me, other, name = type(left), left, right, op
        else:
            owner, me, other, name = type(right), right, left, reflected[op]
        method = getattr(owner, f"__{name}__", None)
        result = method(me, other) if method is not None else NotImplemented
        if result is NotImplemented:
            if op == "eq":
                return left is right
            if op == "ne":
                return left is not right
            raise UntrustedObject("ordering comparison with an object of a class defined in the submission")
        return result

    def chain(ops: tuple[str, ...], thunks: tuple[Callable[[], Any], ...]) -> Any:
        left = thunks[0]()
        result: Any = True
        last = len(ops) - 1
        for index, (op, thunk) in enumerate(zip(ops, thunks[1:], strict=True)):
            right = thunk()
            result = one(op, left, right)
            if index < last and not truth_value(result):
                return result
            left = right
        return result

    def truth_value(value: Any) -> bool:
        if id(type(value)) in trusted:
            return bool(value)
        raise UntrustedObject("truth value of an object of a class defined in the submission")

    def truth(value: Any) -> Any:
        if id(type(value)) in trusted:
            return value
        raise UntrustedObject("assert on an object of a class defined in the submission")

    return types.SimpleNamespace(chain=chain, truth=truth)


def numeric_result(value: Any, snapshot: Snapshot) -> float | None:
    """nbgrader's partial credit, from a value the harness evaluated itself.

    Only exact ``int``/``float`` and NumPy's own scalar types count; ``bool``, strings and objects with a
    custom ``__float__`` do not (nbgrader would read them as full credit, never as a number).
    """
    kind = type(value)
    if kind is int or kind is float:
        return float(value)
    numpy = sys.modules.get("numpy")
    if numpy is not None and id(kind) in snapshot.trusted and kind.__module__ == "numpy":
        try:
            if issubclass(kind, (numpy.integer, numpy.floating)):
                return float(value)
        except TypeError:
            return None
    return None


def make_normalizer(snapshot: Snapshot) -> Normalizer:
    """Turn values of submission-defined subclasses of trusted types into the trusted base type.

    ``float`` subclasses become ``float`` (through ``float.__float__``, not the subclass's override),
    ndarray/Tensor subclasses become plain views of the same data, containers are rebuilt. Objects of
    other submission-defined classes are left alone (comparisons on them are guarded separately).
    """
    trusted = snapshot.trusted
    numpy = sys.modules.get("numpy")
    torch = sys.modules.get("torch")
    simple: list[tuple[type, Normalizer]] = [
        (bool, bool), (int, int.__int__), (float, float.__float__), (complex, complex.__complex__),
        (str, str.__str__), (bytes, bytes.__bytes__),
    ]  # fmt: skip
    if numpy is not None:
        simple.append((numpy.ndarray, lambda v: numpy.ndarray.view(v, numpy.ndarray)))
    if torch is not None:

        def plain_tensor(value: Any) -> Any:
            with torch._C.DisableTorchFunctionSubclass():
                return torch.Tensor.as_subclass(value, torch.Tensor)

        simple.append((torch.Tensor, plain_tensor))

    def normalize(value: Any, depth: int = 0) -> Any:
        kind = type(value)
        if id(kind) in trusted:
            if depth < 4 and kind in (list, tuple) and not all(id(type(x)) in trusted for x in value):
                return kind(normalize(x, depth + 1) for x in value)
            if depth < 4 and kind is dict and not all(id(type(x)) in trusted for x in value.values()):
                return {k: normalize(v, depth + 1) for k, v in value.items()}
            return value
        if depth >= 4:
            return value
        try:
            for base, convert in simple:
                if issubclass(kind, base):
                    return convert(value)
            if issubclass(kind, list | tuple):
                base_type = list if issubclass(kind, list) else tuple
                return base_type(normalize(x, depth + 1) for x in base_type.__iter__(value))
            if issubclass(kind, dict):
                return {k: normalize(v, depth + 1) for k, v in dict.items(value)}
        except Exception:  # a value we cannot convert stays as it is (comparisons are guarded)
            return value
        return value

    return normalize


def wrap_submission_functions(namespace: dict[str, Any], normalize: Normalizer) -> int:
    """Make functions the submission defined return normalized values when a test calls them."""
    wrapped = 0
    for name, value in list(namespace.items()):
        if type(value) is not types.FunctionType or library_file(value.__code__.co_filename):
            continue
        namespace[name] = _wrap(value, normalize)
        wrapped += 1
    return wrapped


def _wrap(func: Callable[..., Any], normalize: Normalizer) -> Callable[..., Any]:
    getframe = sys._getframe

    @functools.wraps(func)
    def from_test(*args: Any, **kwargs: Any) -> Any:
        result = func(*args, **kwargs)
        if getframe(1).f_code.co_filename.startswith("<test-"):
            return normalize(result)
        return result

    return from_test
