"""ember.autograd.forward_ad against torch.autograd.forward_ad: the API, its errors, and how forward
mode composes with reverse mode and in-place ops. Every op's jvp rule is checked in tests/ops/test_op_db.py.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
import ember.autograd.forward_ad as fwAD

torch = pytest.importorskip("torch")
tfwAD = torch.autograd.forward_ad


def _pair(values, dtype="float64"):
    a = np.asarray(values, dtype=np.float64)
    return ember.tensor(a, dtype=getattr(ember, dtype)), torch.tensor(a, dtype=getattr(torch, dtype))


def _close(e, t, rtol=1e-6, atol=1e-8):
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)


X = [[0.3, -1.2, 0.8], [1.5, 0.1, -0.4]]
V = [[1.0, 0.5, -2.0], [0.25, -1.0, 3.0]]


# --------------------------------------------------------------------------- API and errors
def test_make_dual_outside_a_level_raises():
    with pytest.raises(RuntimeError, match="for forward AD but no level exists"):
        fwAD.make_dual(ember.ones(3), ember.ones(3))
    with pytest.raises(RuntimeError, match="no level exists"):
        tfwAD.make_dual(torch.ones(3), torch.ones(3))


def test_tangent_shape_mismatch_message_matches_torch():
    msgs = []
    for lib, ad in ((ember, fwAD), (torch, tfwAD)):
        with ad.dual_level(), pytest.raises(RuntimeError) as info:
            ad.make_dual(lib.ones(3), lib.ones(2))
        msgs.append(str(info.value))
    assert msgs[0] == msgs[1]
    assert msgs[0] == (
        "Trying to set a forward gradient that has a different size than that of the original Tensor, "
        "this is not supported. Tensor is of size [3] while the given forward gradient is of size [2].")


@pytest.mark.parametrize("which", ["primal", "tangent"])
def test_integer_primal_or_tangent_is_a_value_error(which):
    for lib, ad in ((ember, fwAD), (torch, tfwAD)):
        p, t = lib.ones(3), lib.ones(3)
        if which == "primal":
            p = lib.arange(3)
        else:
            t = lib.arange(3)
        with ad.dual_level(), pytest.raises(ValueError, match=f"Expected {which} to be floating point"):
            ad.make_dual(p, t)


def test_nested_levels_are_refused_and_levels_number_from_zero():
    with fwAD.dual_level() as level:
        assert level == 0
        with pytest.raises(RuntimeError, match="Nested forward mode AD is not supported"):
            fwAD.enter_dual_level()
    assert fwAD.enter_dual_level() == 0
    fwAD.exit_dual_level()
    with pytest.raises(RuntimeError):
        fwAD.exit_dual_level()


def test_unpack_dual_is_a_namedtuple_and_tangent_is_the_given_tensor():
    p, t = ember.tensor([1.0, 2.0]), ember.tensor([3.0, 4.0])
    with fwAD.dual_level():
        d = fwAD.make_dual(p, t)
        u = fwAD.unpack_dual(d)
        assert isinstance(u, fwAD.UnpackedDualTensor) and isinstance(u, tuple)
        assert u.tangent is t
        assert u.primal.data_ptr() == p.data_ptr() and d.data_ptr() == p.data_ptr()
        assert fwAD.get_tangent(u.primal) is None  # the primal view carries no tangent
        plain = fwAD.unpack_dual(p)
        assert plain.primal is p and plain.tangent is None
        assert fwAD.unpack_dual(ember.ones(2) * 3).tangent is None  # no tangent flowed in
    assert fwAD.unpack_dual(d).tangent is None  # tangents end with their level


def test_tangents_from_an_ended_level_are_not_seen_in_a_new_one():
    with fwAD.dual_level():
        d = fwAD.make_dual(ember.ones(2), ember.ones(2))
        y = d * 2
    with fwAD.dual_level():
        assert fwAD.unpack_dual(d).tangent is None
        assert fwAD.unpack_dual(y * 3).tangent is None


def test_dual_is_differentiable_in_reverse_mode_through_the_primal():
    p = ember.tensor([1.0, 2.0], requires_grad=True)
    with fwAD.dual_level():
        d = fwAD.make_dual(p, ember.ones(2))
        assert d.grad_fn.name() == "ViewBackward0"
        (d * d).sum().backward()
    _close(p.grad, torch.tensor([2.0, 4.0]))


def test_op_without_a_jvp_rule_says_so():
    from ember.ops._registry import primitive

    @primitive
    class NoJvp:  # not elementwise, no jvp: forward AD cannot derive a rule
        def forward(xp, x):
            return xp.cumsum(x[::-1])[::-1].copy()

        def backward(grad, x):
            return grad

    with fwAD.dual_level():
        d = fwAD.make_dual(ember.ones(3), ember.ones(3))
        with pytest.raises(NotImplementedError, match="Trying to use forward AD with NoJvp"):
            NoJvp.apply(d)


def test_non_differentiable_ops_give_no_tangent():
    with fwAD.dual_level():
        d = fwAD.make_dual(ember.tensor([1.0, -2.0]), ember.ones(2))
        assert fwAD.unpack_dual(d > 0).tangent is None
        assert fwAD.unpack_dual(d.argmax()).tangent is None


# --------------------------------------------------------------------------- values against torch
def _jvp_both(fn, x_vals=X, v_vals=V, no_grad=False):
    out = []
    for lib, ad in ((ember, fwAD), (torch, tfwAD)):
        x, _ = _pair(x_vals)
        v, _ = _pair(v_vals)
        if lib is torch:
            x, v = torch.tensor(np.asarray(x_vals)), torch.tensor(np.asarray(v_vals))
        with ad.dual_level():
            d = ad.make_dual(x, v)
            if no_grad:
                with lib.no_grad():
                    y = fn(lib, d)
            else:
                y = fn(lib, d)
            p, t = ad.unpack_dual(y)
            out.append((p.detach().clone(), t.detach().clone()))
    return out


@pytest.mark.parametrize("no_grad", [False, True])
def test_jvp_of_a_composite_function_matches_torch(no_grad):
    def f(lib, x):
        h = lib.tanh(x @ x.T) * x.sum(1, keepdim=True)
        return lib.cat([h.exp(), lib.sigmoid(h).cumprod(1)], 0)[:, [1, 0]] / lib.tensor(3.0)
    (ep, et), (tp, tt) = _jvp_both(f, no_grad=no_grad)
    _close(ep, tp)
    _close(et, tt)


def test_tangent_flows_under_no_grad_without_recording():
    x = ember.tensor(X, dtype=ember.float64, requires_grad=True)
    with fwAD.dual_level():
        d = fwAD.make_dual(x, ember.tensor(V, dtype=ember.float64))
        with ember.no_grad():
            y = d.exp()
        t = fwAD.unpack_dual(y).tangent
    assert not y.requires_grad and not t.requires_grad
    _close(t, torch.tensor(V) * torch.tensor(X).exp())


# --------------------------------------------------------------------------- with reverse mode
@pytest.mark.parametrize("create_graph", [True, False])
def test_forward_over_reverse_gives_hessian_vector_products(create_graph):
    def loss(lib, x):  # exp and tanh save their results: their tangents must survive in backward
        return (lib.tanh(x) * lib.exp(x)).sum() + (x.prod(1) ** 2).sum()

    res = []
    for lib, ad in ((ember, fwAD), (torch, tfwAD)):
        x = lib.tensor(np.asarray(X), requires_grad=True)
        with ad.dual_level():
            d = ad.make_dual(x, lib.tensor(np.asarray(V)))
            (g,) = lib.autograd.grad(loss(lib, d), d, create_graph=create_graph)
            res.append(ad.unpack_dual(g).tangent.detach().clone())
    _close(res[0], res[1])


def test_reverse_over_forward_differentiates_the_jvp():
    """grad of <jvp(f)(x; v), w> with respect to v (J^T w) and to x, against torch."""
    res = []
    for lib, ad in ((ember, fwAD), (torch, tfwAD)):
        x = lib.tensor(np.asarray(X), requires_grad=True)
        v = lib.tensor(np.asarray(V), requires_grad=True)
        w = lib.tensor(np.asarray(X)[::-1].copy())
        with ad.dual_level():
            d = ad.make_dual(x, v)
            y = lib.sin(d) * d.sum(0) + d.norm()
            t = ad.unpack_dual(y).tangent
            gx, gv = lib.autograd.grad((t * w).sum(), (x, v))
        res.append((gx, gv))
    _close(res[0][0], res[1][0])
    _close(res[0][1], res[1][1])


# --------------------------------------------------------------------------- in-place ops
@pytest.mark.parametrize("case", ["mul_", "copy_", "setitem", "add_other", "zero_"])
def test_in_place_ops_carry_tangents_like_torch(case):
    res = []
    for lib, ad in ((ember, fwAD), (torch, tfwAD)):
        with ad.dual_level():
            d = ad.make_dual(lib.tensor(np.asarray(X)), lib.tensor(np.asarray(V)))
            y = d.clone()
            if case == "mul_":
                y.mul_(d)
            elif case == "copy_":
                y = lib.zeros(2, 3, dtype=lib.float64)
                y.copy_(d * 2)
            elif case == "setitem":
                y = lib.zeros(2, 3, dtype=lib.float64)
                y[1] = d[0] * 3
            elif case == "add_other":
                y = lib.ones(2, 3, dtype=lib.float64)
                y += d.exp()
            else:
                y.zero_()
            t = ad.unpack_dual(y).tangent
            res.append(t.detach().clone())
    _close(res[0], res[1])


# --------------------------------------------------------------------------- shapes vary
@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), seed=st.integers(0, 1000),
       dim=st.integers(0, 2))
def test_jvp_of_broadcasting_reductions_matches_torch(shape, seed, dim):
    g = np.random.default_rng(seed)
    x, v = g.uniform(-1, 1, shape), g.uniform(-1, 1, shape)
    b = g.uniform(-1, 1, shape[-1:])
    dim = dim % len(shape)
    res = []
    for lib, ad in ((ember, fwAD), (torch, tfwAD)):
        with ad.dual_level():
            d = ad.make_dual(lib.tensor(x), lib.tensor(v))
            y = (d * lib.tensor(b)).logsumexp(dim) + d.var(dim, keepdim=True, correction=0).sum() + d.amax(dim).mean()
            res.append(ad.unpack_dual(y).tangent.detach().clone())
    _close(res[0], res[1], rtol=1e-6, atol=1e-8)
