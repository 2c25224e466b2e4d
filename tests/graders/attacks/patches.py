"""Attacks on the functions the tests call: monkeypatching, in-place edits, defining modules, fake objects.

Each constant is student code that runs after wrong answers (see tamper.py) and tries to make the hidden tests
pass anyway; the held-out variants reach the same functions by other paths so that the engine must defend the
class of attack, not the spelling of one line.
"""

from __future__ import annotations

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

# Held-out: the in-place edits reached by computed names, a copied code object and exec of encoded source.
INDIRECT_INPLACE = """
import sys
import types

_impl = getattr(getattr(__import__("numpy"), "all" + "close"), "_imple" + "mentation")
setattr(_impl, "__co" + "de__", (lambda a, b, rtol=1e-05, atol=1e-08, equal_nan=False: True).__code__)
_testing = sys.modules["numpy." + "testing"]
_target = vars(_testing)["assert_" + "allclose"]
_nothing = types.FunctionType((lambda *args, **kwargs: None).__code__, {})
setattr(_target, "__code__", _nothing.__code__)
_encoded = "6e702e6973636c6f73652e5f696d706c656d656e746174696f6e2e5f5f64656661756c74735f5f203d202831653132"
exec(bytes.fromhex(_encoded).decode() + ", 1e12, False)")
_bt = sys.modules["built" + "ins"]
vars(_bt)["a" + "bs"] = lambda value: value * 0
"""
