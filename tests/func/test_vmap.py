"""ember.func.vmap against a Python loop over the batch and against torch.vmap."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
import ember.func as ef

from ._helpers import assert_same, to_lib

torch = pytest.importorskip("torch")

_rng = np.random.default_rng(0)


def _r(*shape):
    return _rng.normal(size=shape).astype(np.float32)


# (name, make(T) -> f, inputs, in_dims, out_dims)
OPS = [
    ("add_broadcast", lambda T: lambda x, y: x + y, (_r(4, 3), _r(3)), (0, None), 0),
    ("mul_neg_in_dim", lambda T: lambda x, y: x * y, (_r(3, 4), _r(4, 3)), (-1, 0), 0),
    ("exp_tanh", lambda T: lambda x: T.tanh(x).exp(), (_r(5, 2, 3),), 1, 0),
    ("where", lambda T: lambda x: T.where(x > 0, x, -x * 2), (_r(4, 3),), 0, 0),
    ("sum_dim", lambda T: lambda x: x.sum(dim=0), (_r(2, 4, 3),), 1, 0),
    ("mean_keepdim", lambda T: lambda x: x.mean(dim=-1, keepdim=True), (_r(3, 5),), 0, 0),
    ("amax_neg", lambda T: lambda x: x.amax(dim=-1), (_r(3, 4, 2),), -1, 0),
    ("full_reduction", lambda T: lambda x: x.sum(), (_r(4, 3),), 0, 0),
    ("softmax", lambda T: lambda x: T.softmax(x, dim=0), (_r(3, 4),), 0, 0),
    ("matmul", lambda T: lambda a, b: a @ b, (_r(4, 2, 3), _r(3, 5)), (0, None), 0),
    ("matmul_both", lambda T: lambda a, b: T.matmul(a, b), (_r(4, 2, 3), _r(3, 4, 5)), (0, 1), 0),
    ("dot", lambda T: lambda a, b: T.dot(a, b), (_r(6, 3), _r(6, 3)), 0, 0),
    ("indexing", lambda T: lambda x: x[1:, 0] * x[0, ::2].sum(), (_r(5, 3, 4),), 0, 0),
    ("cat", lambda T: lambda x, y: T.cat([x, y, x], dim=0), (_r(4, 2), _r(3, 4)), (0, 1), 0),
    ("stack", lambda T: lambda x, y: T.stack([x, y], dim=-1), (_r(2, 3), _r(2, 3)), 0, 0),
    ("reshape_transpose", lambda T: lambda x: x.reshape(3, 2).t(), (_r(4, 6),), 0, 1),
    ("out_dims_neg", lambda T: lambda x: x * 2, (_r(3, 4, 5),), 0, -1),
    ("tuple_out", lambda T: lambda x: (x.sin(), x.cos().sum()), (_r(3, 2),), 0, (1, 0)),
    ("nested_in_dims", lambda T: lambda p, s: p[0] * s + p[1], ((_r(3, 2), _r(2, 3)), 2.0), ((0, 1), None), 0),
    ("dict_input", lambda T: lambda d: d["a"] - d["b"], ({"a": _r(4, 2), "b": _r(4, 2)},), 0, 0),
]


@pytest.mark.parametrize("case", OPS, ids=[c[0] for c in OPS])
def test_vmap_matches_loop_and_torch(case):
    _, make, inputs, in_dims, out_dims = case
    e_in, t_in = to_lib(inputs, ember), to_lib(inputs, torch)
    ours = ef.vmap(make(ember), in_dims=in_dims, out_dims=out_dims)(*e_in)
    theirs = torch.vmap(make(torch), in_dims=in_dims, out_dims=out_dims)(*t_in)
    assert_same(ours, theirs, torch, rtol=1e-5, atol=1e-5)


def test_vmap_is_the_loop():
    x, w = ember.tensor(_r(5, 3)), ember.tensor(_r(3, 3))
    batched = ef.vmap(lambda v: (w @ v).relu().sum())(x)
    looped = ember.stack([(w @ v).relu().sum() for v in x])
    assert batched.tolist() == looped.tolist()


def test_data_dependent_control_flow():
    # torch.vmap refuses this; a per-sample loop handles it, each sample taking its own branch
    x = _r(6, 3)
    ours = ef.vmap(lambda v: v * 2 if v.sum() > 0 else v.abs())(ember.tensor(x))
    expected = np.stack([v * 2 if v.sum() > 0 else np.abs(v) for v in x])
    np.testing.assert_allclose(ours.numpy(), expected, rtol=1e-6)


def test_nested_vmap_outer_product_and_in_dims():
    x, y = _r(3), _r(4)
    ours = ef.vmap(ef.vmap(ember.mul, in_dims=(None, 0)), in_dims=(0, None))(ember.tensor(x), ember.tensor(y))
    np.testing.assert_allclose(ours.numpy(), np.outer(x, y), rtol=1e-6)
    m = _r(2, 3, 4)
    ours = ef.vmap(ef.vmap(lambda v: v.sum(), in_dims=1), in_dims=0)(ember.tensor(m))
    np.testing.assert_allclose(ours.numpy(), m.sum(axis=1), rtol=1e-5)


def test_vmap_of_grad_per_sample_and_grad_of_vmap():
    w0, xs = _r(3), _r(6, 3)
    res = []
    for lib, fn in ((ember, ef), (torch, torch.func)):
        def loss(w, x, lib=lib):
            return lib.tanh((w * x).sum()) ** 2
        per_sample = fn.vmap(fn.grad(loss), in_dims=(None, 0))(lib.tensor(w0), lib.tensor(xs))
        total = fn.grad(lambda w, loss=loss, fn=fn, lib=lib: fn.vmap(loss, in_dims=(None, 0))(w, lib.tensor(xs)).sum())(
            lib.tensor(w0))
        res.append((per_sample, total))
    assert_same(res[0], res[1], torch, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(res[0][0].sum(0).numpy(), res[0][1].numpy(), rtol=1e-5, atol=1e-6)


def test_vmap_differentiable_by_backward():
    xe = ember.tensor(_r(4, 3), requires_grad=True)
    xt = torch.tensor(xe.detach().numpy(), requires_grad=True)
    ef.vmap(lambda v: (v.sin() * v).sum())(xe).sum().backward()
    torch.vmap(lambda v: (v.sin() * v).sum())(xt).sum().backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-6)


def test_vmap_jacrev_batched_jacobians():
    xs = _r(4, 3)
    ours = ef.vmap(ef.jacrev(lambda v: v.exp() * v.sum()))(ember.tensor(xs))
    theirs = torch.vmap(torch.func.jacrev(lambda v: v.exp() * v.sum()))(torch.tensor(xs))
    assert_same(ours, theirs, torch)


def test_out_dims_none_for_unbatched_output_and_kwargs():
    x = ember.tensor(_r(3, 2))
    c = ember.tensor([1.0, 2.0])
    out, const = ef.vmap(lambda v, scale=1.0: (v * scale, c * 2), out_dims=(0, None))(x, scale=3.0)
    assert out.shape == (3, 2) and const.tolist() == [2.0, 4.0]
    # an output that does not depend on the batch is expanded along it, as in torch
    assert ef.vmap(lambda v: c.sum())(x).tolist() == [3.0, 3.0, 3.0]


def test_randomness_modes():
    x = ember.ones(3, 2)
    ember.manual_seed(0)
    same = ef.vmap(lambda v: v + ember.rand(2), randomness="same")(x)
    assert same[0].tolist() == same[1].tolist() == same[2].tolist()
    diff = ef.vmap(lambda v: v + ember.rand(2), randomness="different")(x)
    assert diff[0].tolist() != diff[1].tolist()
    with pytest.raises(RuntimeError, match="called random operation while in randomness error mode"):
        ef.vmap(lambda v: v + ember.rand(2))(x)


@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), data=st.data())
def test_vmap_any_in_dim_out_dim(shape, data):
    x = _r(*shape)
    in_dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    out_dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    ours = ef.vmap(lambda v: v * v + 1, in_dims=in_dim, out_dims=out_dim)(ember.tensor(x))
    theirs = torch.vmap(lambda v: v * v + 1, in_dims=in_dim, out_dims=out_dim)(torch.tensor(x))
    assert_same(ours, theirs, torch)


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the type and message are what is compared
        return type(e), str(e)
    raise AssertionError("no error")


def add(a, b):
    return a + b


@pytest.mark.parametrize("call", [
    lambda V, T: V(add)(T.ones(2, 3), T.ones(3, 3)),
    lambda V, T: V(add, in_dims=(None, None))(T.ones(2), T.ones(2)),
    lambda V, T: V(add, in_dims=(3, 0))(T.ones(2, 3), T.ones(2, 3)),
    lambda V, T: V(add, in_dims="a")(T.ones(2), T.ones(2)),
    lambda V, T: V(add, in_dims=(0, 1.0))(T.ones(2), T.ones(2)),
    lambda V, T: V(lambda a: 1.0)(T.ones(2)),
    lambda V, T: V(lambda a: a, out_dims=None)(T.arange(6.0).reshape(2, 3)),
    lambda V, T: V(lambda a: a)(1.0),
    lambda V, T: V(lambda a: a)(T.tensor(1.0)),
    lambda V, T: V(lambda a: a, randomness="foo")(T.ones(2)),
    lambda V, T: V(lambda a: a, chunk_size=0)(T.ones(2)),
    lambda V, T: V(lambda: 1)(),
], ids=lambda c: None)
def test_errors_like_torch(call):
    ours, theirs = _error(lambda: call(ef.vmap, ember)), _error(lambda: call(torch.vmap, torch))
    assert ours[0] is theirs[0]
    assert ours[1] == theirs[1], (ours[1], theirs[1])


def test_structure_errors():
    with pytest.raises(ValueError, match="in_dims is not compatible with the structure of `inputs`"):
        ef.vmap(add, in_dims=(0,))(ember.ones(2), ember.ones(2))
    with pytest.raises(ValueError, match="out_dims is not compatible with the structure of `outputs`"):
        ef.vmap(lambda a: (a, a), out_dims=(0, 0, 0))(ember.ones(2))
