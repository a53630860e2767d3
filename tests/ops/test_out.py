"""The out= argument of top-level functions, against torch."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("call", [
    "lib.add(x, y, out=o)", "lib.mul(x, 2, out=o)", "lib.matmul(m, m.T, out=o)", "lib.exp(x, out=o)",
    "lib.sum(m, 1, out=o)", "lib.cat([x, y], out=o)", "lib.clamp(x, 0.2, 0.5, out=o)",
    "lib.zeros(2, 3, out=o)", "lib.arange(5, out=o)", "lib.where(x > 0.5, x, y, out=o)",
])
@pytest.mark.parametrize("odtype", ["float32", "float64"])
def test_out_written_like_torch(call, odtype):
    res = []
    for lib in (torch, ember):
        x = lib.tensor([0.25, 0.5, 0.75])
        y = lib.tensor([1.0, 2.0, 3.0])
        m = lib.arange(6.0).reshape(2, 3)
        o = lib.empty(0, dtype=getattr(lib, odtype))
        try:
            r = eval(call, {"lib": lib, "x": x, "y": y, "m": m, "o": o})
        except RuntimeError as e:  # some torch kernels want out's dtype exactly; ember casts
            assert lib is torch and "double" in str(e).lower()
            pytest.skip("torch refuses this dtype for out=")
        assert r is o
        res.append((o.numpy().copy(), str(o.dtype).split(".")[-1]))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-6)
    assert res[0][1] == res[1][1]


def test_out_in_place_shares_memory_and_bumps_version():
    x = ember.ones(3)
    o = ember.empty(3)
    view = o[:]
    v0 = o._version
    ember.add(x, x, out=o)
    assert view.tolist() == [2.0, 2.0, 2.0]
    assert o._version == v0 + 1


def test_out_resize_warns_like_torch():
    for lib in (ember, torch):
        with pytest.warns(UserWarning, match="An output with one or more elements was resized"):
            lib.add(lib.ones(3), 1, out=lib.empty(2))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            lib.add(lib.ones(3), 1, out=lib.empty(0))


@pytest.mark.parametrize("call,error,phrase", [
    ("lib.add(lib.ones(3), 1.5, out=lib.empty(3, dtype=lib.long))", RuntimeError,
     "can't be cast to the desired output type Long"),
    ("lib.add(lib.ones(3, requires_grad=True), 1, out=lib.empty(3))", RuntimeError,
     "functions with out=... arguments don't support automatic differentiation"),
])
def test_out_errors_like_torch(call, error, phrase):
    for lib in (ember, torch):
        with pytest.raises(error, match=phrase.replace("(", r"\(").replace(".", r"\.")):
            eval(call)


def test_out_tuple_for_max():
    res = []
    for lib in (ember, torch):
        v, i = lib.empty(0), lib.empty(0, dtype=lib.long)
        r = lib.max(lib.tensor([[1.0, 3.0], [4.0, 2.0]]), 1, out=(v, i))
        assert r[0] is v and r[1] is i
        res.append((v.tolist(), i.tolist()))
    assert res[0] == res[1]
