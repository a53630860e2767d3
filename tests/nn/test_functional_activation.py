"""ember.nn.functional activations beyond the op_db: stability, graphs, in-place forms, warnings, errors."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
import ember.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

EXTREME = [[-1e4, 0.0, 1e4], [1e4, 1e4, -1e4], [-1e4, -1e4, -1e4]]


def _pair(values, dtype="float32"):
    e = ember.tensor(values, dtype=getattr(ember, dtype), requires_grad=True)
    t = torch.tensor(values, dtype=getattr(torch, dtype), requires_grad=True)
    return e, t


def _close(e, t, rtol=1e-6, atol=1e-6):
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsigmoid", "softplus", "gelu", "silu",
                                  "mish", "elu", "selu", "celu", "sigmoid"])
def test_extreme_inputs_are_finite_and_match_torch(name, dtype):
    e, t = _pair(EXTREME, dtype)
    kw = {"dim": 1} if "softmax" in name else {}
    out_e = getattr(F, name)(e, **kw)
    out_t = getattr(TF, name)(t, **kw)
    assert np.isfinite(out_e.detach().numpy()).all()
    _close(out_e, out_t)
    w = np.linspace(-1, 1, 9).reshape(3, 3)
    (g_e,) = ember.autograd.grad((out_e * ember.tensor(w, dtype=out_e.dtype)).sum(), e)
    (g_t,) = torch.autograd.grad((out_t * torch.tensor(w, dtype=out_t.dtype)).sum(), t)
    assert np.isfinite(g_e.numpy()).all()
    _close(g_e, g_t)


def test_softmax_of_extreme_logits_is_exact():
    x = ember.tensor([[1e4, -1e4], [-1e4, 1e4]])
    assert F.softmax(x, dim=1).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert F.log_softmax(x, dim=1).tolist() == [[0.0, -2e4], [-2e4, 0.0]]


@pytest.mark.parametrize("fn, name", [
    (lambda m, x: m.softmax(x, dim=0), "SoftmaxBackward0"),
    (lambda m, x: m.log_softmax(x, dim=0), "LogSoftmaxBackward0"),
    (lambda m, x: m.softmin(x, dim=0), "SoftmaxBackward0"),
    (lambda m, x: m.relu(x), "ReluBackward0"),
    (lambda m, x: m.relu6(x), "HardtanhBackward0"),
    (lambda m, x: m.leaky_relu(x), "LeakyReluBackward0"),
    (lambda m, x: m.elu(x), "EluBackward0"),
    (lambda m, x: m.selu(x), "EluBackward0"),
    (lambda m, x: m.celu(x), "CeluBackward0"),
    (lambda m, x: m.gelu(x), "GeluBackward0"),
    (lambda m, x: m.silu(x), "SiluBackward0"),
    (lambda m, x: m.mish(x), "MishBackward0"),
    (lambda m, x: m.softplus(x), "SoftplusBackward0"),
    (lambda m, x: m.logsigmoid(x), "LogSigmoidBackward0"),
    (lambda m, x: m.hardsigmoid(x), "HardsigmoidBackward0"),
    (lambda m, x: m.hardswish(x), "HardswishBackward0"),
    (lambda m, x: m.threshold(x, 0.1, 2.0), "ThresholdBackward0"),
    (lambda m, x: m.glu(x), "GluBackward0"),
    (lambda m, x: m.softsign(x), "DivBackward0"),
])
def test_grad_fn_names_follow_torch(fn, name):
    e, t = _pair([0.5, -1.0, 2.0, 0.1])
    assert type(fn(TF, t).grad_fn).__name__ == name  # the expectation itself is torch's
    assert fn(F, e).grad_fn.name() == name


def test_tensor_methods_and_top_level():
    x = ember.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 5.0]])
    tx = torch.tensor(x.tolist())
    _close(x.softmax(1), tx.softmax(1))
    _close(x.log_softmax(dim=0), tx.log_softmax(dim=0))
    _close(ember.softmax(x, -1), torch.softmax(tx, -1))
    _close(ember.log_softmax(x, 1, dtype=ember.float64), torch.log_softmax(tx, 1, dtype=torch.float64))
    assert ember.softmax(x, 1, dtype=ember.float64).dtype is ember.float64


def test_seed_activation_printing():
    z = ember.linspace(-1, 1, 6)
    tz = torch.linspace(-1, 1, 6)
    assert str(F.relu(z)) == str(TF.relu(tz))
    assert str(F.sigmoid(z)) == str(TF.sigmoid(tz))
    assert str(F.tanh(z)) == str(TF.tanh(tz))


@pytest.mark.parametrize("shape, expected_dim", [((4,), 0), ((2, 3), 1), ((2, 3, 4), 0), ((2, 2, 2, 2), 1)])
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
def test_implicit_dim_warns_and_picks_torchs_dim(name, shape, expected_dim):
    x = np.random.default_rng(0).normal(size=shape)
    with pytest.warns(UserWarning, match=f"Implicit dimension choice for {name} has been deprecated"):
        got = getattr(F, name)(ember.tensor(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = getattr(TF, name)(torch.tensor(x))
    _close(got, want)
    _close(got, getattr(TF, name)(torch.tensor(x), dim=expected_dim))


def test_top_level_softmax_needs_dim():
    with pytest.raises(TypeError):
        ember.softmax(ember.ones(3))


def test_softmax_errors():
    with pytest.raises(IndexError, match="Dimension out of range"):
        ember.softmax(ember.ones(2, 3), 2)
    with pytest.raises(NotImplementedError, match="softmax_lastdim_kernel_impl"):
        ember.softmax(ember.tensor([1, 2]), 0)
    _close(ember.softmax(ember.tensor([1, 2, 3]), 0, dtype=ember.float64),
           torch.softmax(torch.tensor([1, 2, 3]), 0, dtype=torch.float64))


@pytest.mark.parametrize("name, kw", [("relu", {}), ("elu", {"alpha": 0.5}), ("leaky_relu", {"negative_slope": 0.1}),
                                      ("hardtanh", {"min_val": -0.5, "max_val": 0.5}), ("relu6", {}),
                                      ("selu", {}), ("celu", {}), ("silu", {}), ("mish", {}),
                                      ("hardsigmoid", {}), ("hardswish", {}),
                                      ("threshold", {"threshold": 0.2, "value": -3.0})])
def test_inplace_forms(name, kw):
    vals = [[-2.0, -0.3, 0.4], [1.5, 7.0, -9.0]]
    e = ember.tensor(vals)
    t = torch.tensor(vals)
    out = getattr(F, name)(e, inplace=True, **kw)
    getattr(TF, name)(t, inplace=True, **kw)
    assert out is e
    _close(e, t)
    # through the graph: in-place on a non-leaf, gradients still match
    a_e, a_t = _pair(vals)
    y_e = a_e * 2
    y_t = a_t * 2
    getattr(F, name)(y_e, inplace=True, **kw).sum().backward()
    getattr(TF, name)(y_t, inplace=True, **kw).sum().backward()
    _close(a_e.grad, a_t.grad)


def test_underscore_forms_and_leaf_error():
    x = ember.tensor([-1.0, 2.0])
    assert F.relu_(x) is x and x.tolist() == [0.0, 2.0]
    x = ember.tensor([-1.0, 2.0])
    F.elu_(x)
    F.leaky_relu_(x, 0.5)
    F.hardtanh_(x, -0.1, 0.1)
    F.threshold_(x, 0.0, 9.0)
    F.selu_(x)
    F.celu_(x)
    t = torch.tensor([-1.0, 2.0])
    TF.elu_(t)
    TF.leaky_relu_(t, 0.5)
    TF.hardtanh_(t, -0.1, 0.1)
    TF.threshold_(t, 0.0, 9.0)
    TF.selu_(t)
    TF.celu_(t)
    _close(x, t)
    leaf = ember.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        F.elu(leaf, inplace=True)


def test_argument_errors():
    x = ember.ones(3, 5)
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 1 is size 5"):
        F.glu(x)
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        F.gelu(x, approximate="foo")
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        F.hardtanh(x, 2.0, 1.0)
    for name in ["elu", "softplus", "gelu", "silu", "logsigmoid"]:
        with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
            getattr(F, name)(ember.tensor([1, -2]))
    assert F.relu(ember.tensor([1, -2])).tolist() == [1, 0]


def test_double_backward_through_softmax_and_gelu():
    for fn, tfn in [(lambda x: F.softmax(x, dim=0), lambda x: TF.softmax(x, dim=0)),
                    (lambda x: F.log_softmax(x, dim=0), lambda x: TF.log_softmax(x, dim=0)),
                    (F.gelu, TF.gelu), (F.softplus, TF.softplus), (F.mish, TF.mish), (F.elu, TF.elu)]:
        e, t = _pair([0.3, -1.2, 2.0], "float64")
        w = [0.1, 0.7, -0.4]
        (ge,) = ember.autograd.grad((fn(e) * ember.tensor(w, dtype=ember.float64)).sum(), e, create_graph=True)
        (gt,) = torch.autograd.grad((tfn(t) * torch.tensor(w, dtype=torch.float64)).sum(), t, create_graph=True)
        (gge,) = ember.autograd.grad((ge * ge).sum(), e)
        (ggt,) = torch.autograd.grad((gt * gt).sum(), t)
        _close(gge, ggt, rtol=1e-10, atol=1e-12)


def test_erf_matches_math_erf():
    import math

    from ember.ops.nn_ops import Erf
    x = np.concatenate([np.linspace(-7, 7, 2001), [1.999999, 2.0, 2.000001, 1e4, -1e4]])
    got = Erf.apply(ember.tensor(x, dtype=ember.float64)).numpy()
    want = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("name", ["hardswish", "hardsigmoid", "hardtanh", "relu6", "leaky_relu", "elu",
                                  "selu", "celu", "relu", "softplus"])
def test_gradients_at_the_kinks(name):
    """Piecewise ops pick one side at their edges; which one is torch's choice."""
    vals = [-6.0, -3.0, -1.0, 0.0, 1.0, 3.0, 6.0, 2.5, -2.5]
    e, t = _pair(vals, "float64")
    getattr(F, name)(e).sum().backward()
    getattr(TF, name)(t).sum().backward()
    _close(e.grad, t.grad, rtol=1e-12, atol=1e-12)


def test_hardsigmoid_gradients():
    x = np.random.default_rng(1).uniform(-5, 5, size=(4, 5))
    for dtype in ("float32", "float64"):
        e, t = _pair(x, dtype)
        F.hardsigmoid(e).backward(ember.ones(4, 5, dtype=e.dtype))
        TF.hardsigmoid(t).backward(torch.ones(4, 5, dtype=t.dtype))
        _close(e.grad, t.grad)


def test_celu_alpha_zero():
    with pytest.raises(RuntimeError, match="alpha cannot be 0 for CELU"):
        F.celu(ember.ones(2), 0.0)
