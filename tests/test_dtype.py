"""dtype objects and torch's type promotion, checked pair by pair against torch 2.13."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
SCALARS = [True, 2, 2.5]
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "truediv": lambda a, b: a / b,
    "floordiv": lambda a, b: a // b,
    "mod": lambda a, b: a % b,
    "pow": lambda a, b: a ** b,
    "maximum": lambda a, b: a.maximum(b) if hasattr(a, "maximum") and hasattr(b, "shape") else a + b,
    "eq": lambda a, b: a == b,
    "lt": lambda a, b: a < b,
    "and": lambda a, b: a & b,
    "logical_or": lambda a, b: a.logical_or(b) if hasattr(b, "shape") else a.logical_or(a),
}


def _make(lib, name, ndim):
    data = np.ones((2,) * ndim) * 2
    return lib.tensor(data.astype(NAMES_NP[name]))


NAMES_NP = {n: np.dtype(n) if n != "bool" else np.dtype(bool) for n in NAMES}


def _outcome(fn, a, b):
    try:
        r = fn(a, b)
    except Exception as exc:  # noqa: BLE001 - the error type is the outcome being compared
        return type(exc).__name__
    return str(r.dtype).split(".")[-1]


@pytest.mark.parametrize("op", sorted(BINARY))
@pytest.mark.parametrize("ndims", [(1, 1), (1, 0), (0, 1), (0, 0)])
def test_binary_tensor_tensor_dtypes(op, ndims):
    fn = BINARY[op]
    mismatches = []
    for x, y in itertools.product(NAMES, NAMES):
        e = _outcome(fn, _make(ember, x, ndims[0]), _make(ember, y, ndims[1]))
        t = _outcome(fn, _make(torch, x, ndims[0]), _make(torch, y, ndims[1]))
        if e != t:
            mismatches.append((x, y, e, t))
    assert not mismatches, mismatches


@pytest.mark.parametrize("op", sorted(BINARY))
@pytest.mark.parametrize("ndim", [0, 1])
def test_binary_tensor_scalar_dtypes(op, ndim):
    fn = BINARY[op]
    mismatches = []
    for x, s in itertools.product(NAMES, SCALARS):
        for order in ("ts", "st"):
            def f(a, b, order=order):
                return fn(a, b) if order == "ts" else fn(b, a)
            e = _outcome(f, _make(ember, x, ndim), s)
            t = _outcome(f, _make(torch, x, ndim), s)
            if e != t:
                mismatches.append((x, s, order, e, t))
    assert not mismatches, mismatches


@pytest.mark.parametrize("fn", ["exp", "sin", "sqrt", "sigmoid", "tanh", "log", "abs", "neg", "relu",
                                "floor", "sign"])
def test_unary_dtypes(fn):
    for x in NAMES:
        e = _outcome(lambda a, _: getattr(a, fn)(), _make(ember, x, 1), None)
        t = _outcome(lambda a, _: getattr(a, fn)(), _make(torch, x, 1), None)
        assert e == t, (fn, x, e, t)


def test_promote_types_table():
    for x, y in itertools.product(NAMES, NAMES):
        e = ember.promote_types(getattr(ember, x), getattr(ember, y))
        t = torch.promote_types(getattr(torch, x), getattr(torch, y))
        assert e.name == str(t).split(".")[-1], (x, y)


def test_dtype_names_and_aliases():
    assert repr(ember.float32) == "ember.float32"
    assert ember.float is ember.float32 and ember.double is ember.float64 and ember.half is ember.float16
    assert ember.long is ember.int64 and ember.int is ember.int32 and ember.short is ember.int16
    assert ember.float32.is_floating_point and not ember.int64.is_floating_point
    assert ember.float32.itemsize == 4


def test_default_dtype_round_trip():
    assert ember.get_default_dtype() is ember.float32
    ember.set_default_dtype(ember.float64)
    try:
        assert ember.tensor([1.5]).dtype is ember.float64
        assert (ember.tensor([1]) * 1.5).dtype is ember.float64
    finally:
        ember.set_default_dtype(ember.float32)
    with pytest.raises(TypeError):
        ember.set_default_dtype(ember.int64)


@pytest.mark.parametrize("data", [[1, 2], [1.0, 2], [True, False], 3, 3.5, True, [[1, 2], [3, 4]],
                                  [], [[1.5]], np.float64(2.0), np.array([1, 2], dtype=np.int32)])
def test_tensor_inference_matches_torch(data):
    assert str(ember.tensor(data).dtype).split(".")[-1] == str(torch.tensor(data).dtype).split(".")[-1]
