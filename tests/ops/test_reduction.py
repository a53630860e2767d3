"""Reductions: the cases the shared op suite does not cover (ties, zeros, dtypes, errors, repr)."""
from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

LIBS = (ember, torch)


def _both(fn, data, dtype="float64", requires_grad=False):
    """fn(lib, x) under ember and torch, on the same data."""
    out = []
    for lib in LIBS:
        x = lib.tensor(np.array(data), dtype=getattr(lib, dtype), requires_grad=requires_grad)
        out.append((x, fn(lib, x)))
    return out


def _grads(fn, data, dtype="float64"):
    """Gradient of fn(lib, x).sum() (weighted) for ember and for torch."""
    res = []
    for (x, y) in _both(fn, data, dtype, True):
        w = np.linspace(0.5, 1.5, int(np.prod(y.shape))).reshape(tuple(y.shape))
        lib = ember if isinstance(x, ember.Tensor) else torch
        (y * lib.tensor(w, dtype=y.dtype)).sum().backward()
        res.append(x.grad.numpy())
    return res


def _err(fn, lib=ember):
    with pytest.raises(Exception) as info:
        fn(lib)
    return info.type, str(info.value)


def _same_error(fn):
    """ember raises what torch raises: same type, and torch's message is ember's (first line)."""
    t_type, t_msg = _err(fn, torch)
    e_type, e_msg = _err(fn, ember)
    assert e_type is t_type, (e_type, t_type, e_msg)
    assert e_msg.splitlines()[0] == t_msg.splitlines()[0]


TIES = [[1.0, 3.0, 3.0, -2.0], [3.0, 0.5, 3.0, 3.0], [-2.0, -2.0, 1.0, -2.0]]


@pytest.mark.parametrize("name, fn", [
    ("max_full", lambda lib, x: x.max()),
    ("min_full", lambda lib, x: lib.min(x)),
    ("amax_dim", lambda lib, x: x.amax(1)),
    ("amin_dims", lambda lib, x: lib.amin(x, (0, 1), keepdim=True)),
    ("amax_dim0", lambda lib, x: lib.amax(x, 0)),
    ("max_dim", lambda lib, x: x.max(1).values),   # gradient to the returned index only
    ("min_dim_keepdim", lambda lib, x: lib.min(x, 0, keepdim=True)[0]),
    ("norm_inf", lambda lib, x: x.norm(float("inf"), dim=1)),
    ("norm_ninf", lambda lib, x: lib.norm(x, float("-inf"))),
    ("median_full", lambda lib, x: x.median()),
    ("max_other_ties", lambda lib, x: lib.max(x, x * 0 + 3.0)),
])
def test_ties_share_gradient_like_torch(name, fn):
    e, t = _grads(fn, TIES)
    np.testing.assert_allclose(e, t, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("p", [2, 3, 1.5, 0.5, 1, float("inf")])
def test_norm_gradient_at_zero_vector_matches_torch(p):
    data = [[0.0, 0.0, 0.0], [1.0, -2.0, 0.0]]
    e, t = _grads(lambda lib, x: x.norm(p, dim=1), data)
    assert not np.isnan(e).any()
    np.testing.assert_allclose(e, t, rtol=1e-12, atol=1e-12)
    e, t = _grads(lambda lib, x: lib.norm(x[:1] * 0), data)
    np.testing.assert_allclose(e, t)


@pytest.mark.parametrize("fn", [
    lambda lib, x: x.prod(),
    lambda lib, x: x.prod(1, keepdim=True),
    lambda lib, x: x.cumprod(1),
    lambda lib, x: x.cumprod(0),
])
def test_prod_cumprod_gradient_with_zeros(fn):
    data = [[2.0, 0.0, 3.0, 0.5], [0.0, 1.5, 0.0, 2.0], [1.0, 2.0, 3.0, 4.0]]
    e, t = _grads(fn, data)
    np.testing.assert_allclose(e, t, rtol=1e-12, atol=1e-12)
    single_zero = [[2.0, 0.0, 3.0, 0.5]]
    e, t = _grads(fn, single_zero)
    np.testing.assert_allclose(e, t, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("fn", [
    lambda lib, x: x.std(1),
    lambda lib, x: x.var(),
    lambda lib, x: x.norm(dim=1),
    lambda lib, x: x.norm(3),
    lambda lib, x: x.prod(1),
    lambda lib, x: x.logsumexp(0),
    lambda lib, x: x.cumprod(1),
    lambda lib, x: x.cumsum(0),
    lambda lib, x: x.mean(1) * x.sum(),
    lambda lib, x: x.amax(1) * x.max(),
])
def test_double_backward_matches_torch(fn):
    data = [[0.5, 1.2, -0.7], [1.9, -0.3, 0.8]]
    res = []
    for lib in LIBS:
        x = lib.tensor(np.array(data), dtype=lib.float64, requires_grad=True)
        y = fn(lib, x)
        (g,) = lib.autograd.grad((y * y).sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), x)
        res.append((g.detach().numpy(), gg.numpy()))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-10)
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("code, name", [
    ("x.sum()", "SumBackward0"), ("x.sum(1)", "SumBackward1"), ("x.mean()", "MeanBackward0"),
    ("x.mean((0, 1))", "MeanBackward1"), ("x.prod()", "ProdBackward0"), ("x.prod(0)", "ProdBackward1"),
    ("x.max()", "MaxBackward1"), ("x.max(1)[0]", "MaxBackward0"), ("x.min()", "MinBackward1"),
    ("x.min(0).values", "MinBackward0"), ("x.amax(1)", "AmaxBackward0"), ("x.amin()", "AminBackward0"),
    ("x.std()", "StdBackward0"), ("x.var(0)", "VarBackward0"), ("x.norm()", "LinalgVectorNormBackward0"),
    ("lib.norm(x, 1, dim=0)", "LinalgVectorNormBackward0"), ("x.logsumexp(1)", "LogsumexpBackward0"),
    ("x.cumsum(1)", "CumsumBackward0"), ("x.cumprod(0)", "CumprodBackward0"),
    ("x.median()", "MedianBackward0"), ("x.median(1).values", "MedianBackward1"),
])
def test_grad_fn_names(code, name):
    for lib in LIBS:
        x = lib.tensor([[1.0, 2.0], [3.0, 4.5]], requires_grad=True)
        assert eval(code, {"x": x, "lib": lib}).grad_fn.name() == name


def test_max_with_dim_returns_named_tuple():
    x = ember.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    r = x.max(1)
    t = torch.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]]).max(1)
    assert isinstance(r, tuple) and len(r) == 2
    values, indices = r
    assert values is r.values and indices is r.indices and r[0] is r.values
    assert indices.dtype is ember.int64 and not indices.requires_grad
    assert repr(r) == repr(t).replace("torch.", "ember.")
    assert repr(ember.tensor([3, 1]).min(0, keepdim=True)) == repr(
        torch.tensor([3, 1]).min(0, keepdim=True)).replace("torch.", "ember.")
    assert type(r).__module__ == "ember.return_types" and type(r).__name__ == "max"


@pytest.mark.parametrize("code", [
    "x.sum()", "x.sum(0)", "x.prod()", "x.prod(1)", "x.cumsum(0)", "x.cumprod(1)", "x.max()",
    "x.max(0)[0]", "x.amin(1)", "x.argmax()", "x.argmin(1, keepdim=True)", "x.all()", "x.any(0)",
    "x.all((0, 1))", "lib.count_nonzero(x)", "lib.count_nonzero(x, (0, 1))", "x.count_nonzero(0)",
    "x.sum(dtype=lib.int32)", "x.cumsum(0, dtype=lib.float64)", "x.mean(dtype=lib.float64)",
    "lib.logsumexp(x, 0)",
])
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_integer_and_bool_inputs(code, dtype):
    if dtype == "bool" and "arg" in code:
        pytest.skip("argmax/argmin refuse bool input (tested in test_errors_match_torch)")
    data = [[1, 0, 3], [2, 2, 0]]
    outs = []
    for lib in LIBS:
        x = lib.tensor(data, dtype=getattr(lib, dtype))  # noqa: F841 (used by eval)
        outs.append(eval(code))
    e, t = outs
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert tuple(e.shape) == tuple(t.shape)
    np.testing.assert_allclose(e.numpy().astype(float), t.numpy().astype(float), rtol=1e-6)


@pytest.mark.parametrize("code", [
    "x.sum(0)", "x.sum(-1)", "x.mean(0)", "x.prod(0)", "x.max(0)[0]", "x.max(-1)[1]", "x.amax(0)",
    "x.argmax(0)", "x.argmin()", "x.argmax(0, keepdim=True)", "x.logsumexp(0)", "x.cumsum(-1)",
    "x.cumprod(0)", "x.norm(dim=0)", "x.var(0, correction=0)", "x.all(0)", "x.count_nonzero(0)",
    "x.sum(0, keepdim=True)",
])
def test_zero_dim_input_accepts_dim_0_and_minus_1(code):
    outs = [eval(code, {"x": lib.tensor(2.5), "lib": lib}) for lib in LIBS]
    assert tuple(outs[0].shape) == tuple(outs[1].shape) == ()
    np.testing.assert_allclose(outs[0].numpy(), outs[1].numpy())


@pytest.mark.parametrize("code", [
    "x.sum()", "x.sum(0)", "x.prod()", "x.prod(1)", "x.mean(0)", "x.norm()", "x.logsumexp(0)",
    "x.max(1)[0]", "x.max(1)[1]", "x.amax(1)", "x.argmax(1)", "x.cumsum(0)", "x.cumprod(0)",
    "x.all()", "x.any()", "x.count_nonzero()", "x.median()", "x.median(1)[0]",
])
def test_empty_inputs(code):
    outs = [eval(code, {"x": lib.zeros(0, 3), "lib": lib}) for lib in LIBS]
    assert tuple(outs[0].shape) == tuple(outs[1].shape)
    assert str(outs[0].dtype).split(".")[-1] == str(outs[1].dtype).split(".")[-1]
    np.testing.assert_allclose(outs[0].numpy(), outs[1].numpy())


@pytest.mark.parametrize("code", [
    "x.max()", "x.argmax()", "x.argmin()", "x.max(1)", "x.amax(0)", "x.amin()",
    "x.min(-1)", "x.argmax(0)", "x.median()", "x.median(1)", "x.median(0)",
])
def test_nan_propagates_like_torch(code):
    data = [[1.0, float("nan"), 3.0], [4.0, 5.0, -1.0]]
    outs = [eval(code, {"x": lib.tensor(data), "lib": lib}) for lib in LIBS]
    for e, t in zip(*(o if isinstance(o, tuple) else (o,) for o in outs)):
        np.testing.assert_array_equal(e.numpy(), t.numpy())


@pytest.mark.parametrize("code", [
    "x.sum(axis=1, keepdims=True)", "x.mean(axis=(0, 1))", "x.max(axis=1)[0]", "x.amax(axis=0)",
    "x.argmax(axis=1)", "x.std(axis=1, keepdims=True)", "x.any(axis=0)", "x.sum(())", "x.amax(())",
    "x.mean(())", "x.std(True)", "x.std(0, True)", "x.std(1, False, True)", "x.var(unbiased=False)",
    "x.var(dim=1, correction=2, keepdim=True)", "lib.std(x, dim=None, correction=0)",
    "lib.max(x, x * 0.5)", "lib.min(x, other=x * 0.5)", "x.norm(p='fro', dim=(0, 1))",
    "lib.norm(x, dim=1, keepdim=True)", "x.norm(2.5, 0, True)", "lib.norm(x, dtype=lib.float64)",
    "x.logsumexp((0, 1))", "x.prod(dim=1, keepdim=True)", "lib.cumsum(x, dim=-1)",
    "x.cumsum(axis=0)", "lib.cumprod(x, axis=1)", "x.logsumexp(axis=0)", "x.logsumexp(0, keepdims=True)",
    "x.count_nonzero(axis=0)", "x.argmax(axis=0, keepdims=True)", "x.prod(axis=0, keepdims=True)",
])
def test_signatures_and_aliases(code):
    data = [[1.0, -5.0, 2.0], [7.0, 0.5, 3.0]]
    outs = [eval(code, {"x": lib.tensor(data), "lib": lib}) for lib in LIBS]
    assert tuple(outs[0].shape) == tuple(outs[1].shape)
    assert str(outs[0].dtype).split(".")[-1] == str(outs[1].dtype).split(".")[-1]
    np.testing.assert_allclose(outs[0].numpy(), outs[1].numpy(), rtol=1e-6)


def test_float32_sum_and_mean_stay_close_to_torch():
    data = np.random.default_rng(0).uniform(0, 1, size=(1000, 300)).astype(np.float32)
    for code in ["x.sum()", "x.mean()", "x.sum(0)", "x.std()", "x.norm()", "x.logsumexp(1)"]:
        e, t = (eval(code, {"x": lib.tensor(data)}) for lib in LIBS)
        assert e.dtype is ember.float32
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-5)


def test_logsumexp_is_stable_for_large_inputs():
    data = [[1000.0, 1000.0, -1000.0], [-1e4, float("-inf"), -1e4]]
    e, t = (lib.tensor(data).logsumexp(1) for lib in LIBS)
    np.testing.assert_allclose(e.numpy(), t.numpy())
    e, t = (lib.tensor([float("-inf"), float("-inf")]).logsumexp(0) for lib in LIBS)
    np.testing.assert_array_equal(e.numpy(), t.numpy())


@pytest.mark.parametrize("code", [
    "lib.tensor([[1, 2]]).mean()",
    "lib.tensor([True]).mean(0)",
    "lib.tensor([[1, 2]]).std()",
    "lib.tensor([[1, 2]]).var(0)",
    "lib.tensor([[1, 2]]).norm()",
    "lib.tensor([]).max()",
    "lib.zeros(2, 0).min()",
    "lib.zeros(0, 3).amax()",
    "lib.zeros(0, 3).max(0)",
    "lib.zeros(0, 3).amin(0)",
    "lib.zeros(0, 3).argmax()",
    "lib.zeros(0, 3).argmin(0)",
    "lib.zeros(0, 3).median(0)",
    "lib.zeros(2, 3).sum(2)",
    "lib.zeros(2, 3).mean(-3)",
    "lib.zeros(2, 3).max(5)",
    "lib.zeros(2, 3).cumsum(2)",
    "lib.zeros(2, 3).logsumexp(-3)",
    "lib.zeros(2, 3).argmax(2)",
    "lib.tensor(1.0).sum(1)",
    "lib.zeros(2, 3).sum((0, 0))",
    "lib.zeros(2, 3).amax((1, -1))",
    "lib.zeros(2, 3).std((1, 1))",
    "lib.tensor([1.0, 2.0]).norm('abc')",
    "lib.tensor([True, False]).argmax()",
    "lib.tensor([True, False]).argmin(0)",
])
def test_errors_match_torch(code):
    _same_error(lambda lib: eval(code))


@pytest.mark.parametrize("code, phrase", [
    ("lib.zeros(2, 3).prod((0, 1))", "prod() received an invalid combination of arguments"),
    ("lib.logsumexp(lib.zeros(2))", 'missing 1 required positional arguments: "dim"'),
    ("lib.cumsum(lib.zeros(2))", 'missing 1 required positional arguments: "dim"'),
    ("lib.zeros(2).cumprod()", "missing 1 required positional arguments"),
])
def test_type_errors(code, phrase):
    for lib in LIBS:
        with pytest.raises(TypeError, match=phrase.replace("(", r"\(").replace(")", r"\)")):
            eval(code)


def test_reductions_are_bound_as_methods_and_functions():
    for name in ["sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "std", "var",
                 "norm", "logsumexp", "cumsum", "cumprod", "all", "any", "count_nonzero"]:
        assert callable(getattr(ember, name)) and callable(getattr(ember.Tensor, name)), name


@pytest.mark.parametrize("code", ["x.sum()", "x.sum(0)", "x.mean()", "x.mean(1)", "x.max(1)[0]",
                                  "x.min(0, keepdim=True).values", "x.cumsum(0)"])
def test_input_changed_in_place_after_the_op_still_backpropagates(code):
    """These ops keep only x's shape (as torch does), so a later in-place change of x is harmless."""
    grads = []
    for lib in LIBS:
        leaf = lib.tensor([[1.0, 4.0, 2.0], [3.0, 0.5, 6.0]], requires_grad=True)
        x = leaf * 1.0
        y = eval(code, {"x": x})
        x.mul_(2.0)
        y.sum().backward()
        grads.append(leaf.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])
