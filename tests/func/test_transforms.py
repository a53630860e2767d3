"""ember.func's differentiation transforms against torch.func on a catalogue of functions."""
from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.func as ef

from ._cases import CASES
from ._helpers import assert_same, to_lib

torch = pytest.importorskip("torch")
tf = torch.func

IDS = [c[0] for c in CASES]


def _pos(argnums, n):
    """torch 2.13's jacfwd (and so hessian) returns zeros for a negative argnums (a torch bug; its
    jacrev and grad are right): the torch side of forward-mode comparisons gets it made positive."""
    return tuple(a % n for a in argnums) if isinstance(argnums, tuple) else argnums % n


def _both(case):
    _, make, inputs, argnums, scalar = case
    return (make(ember), to_lib(inputs, ember)), (make(torch), to_lib(inputs, torch)), argnums, scalar


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("transform", ["jacrev", "jacfwd"])
def test_jacobians_match_torch(case, transform):
    (ef_f, e_in), (tf_f, t_in), argnums, _ = _both(case)
    ours = getattr(ef, transform)(ef_f, argnums=argnums)(*e_in)
    theirs = getattr(tf, transform)(tf_f, argnums=_pos(argnums, len(t_in)))(*t_in)
    assert_same(ours, theirs, torch)


@pytest.mark.parametrize("case", [c for c in CASES if c[4]], ids=[c[0] for c in CASES if c[4]])
def test_hessian_grad_match_torch(case):
    (ef_f, e_in), (tf_f, t_in), argnums, _ = _both(case)
    pos = _pos(argnums, len(t_in))
    assert_same(ef.hessian(ef_f, argnums)(*e_in), tf.hessian(tf_f, pos)(*t_in), torch)
    assert_same(ef.grad(ef_f, argnums)(*e_in), tf.grad(tf_f, argnums)(*t_in), torch)
    assert_same(ef.grad_and_value(ef_f, argnums)(*e_in), tf.grad_and_value(tf_f, argnums)(*t_in), torch)
    # reverse-over-reverse and forward-over-forward give the same matrix
    assert_same(ef.jacrev(ef.jacrev(ef_f, argnums), argnums)(*e_in),
                tf.jacrev(tf.jacrev(tf_f, argnums), argnums)(*t_in), torch)
    assert_same(ef.jacfwd(ef.jacfwd(ef_f, argnums), argnums)(*e_in),
                tf.jacfwd(tf.jacfwd(tf_f, pos), pos)(*t_in), torch)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_vjp_jvp_match_torch(case):
    (ef_f, e_in), (tf_f, t_in), _, _ = _both(case)
    out_e, fn_e = ef.vjp(ef_f, *e_in)
    out_t, fn_t = tf.vjp(tf_f, *t_in)
    assert_same(out_e, out_t, torch)
    cot = torch.utils._pytree.tree_map(lambda o: torch.linspace(-1, 1, o.numel(), dtype=o.dtype)
                                       .reshape(o.shape), out_t)
    assert_same(fn_e(to_lib(torch.utils._pytree.tree_map(lambda t: t.numpy(), cot), ember)), fn_t(cot), torch)
    tangents = tuple(np.linspace(0.5, -0.5, x.size).reshape(x.shape) for x in case[2])
    assert_same(ef.jvp(ef_f, e_in, to_lib(tangents, ember)), tf.jvp(tf_f, t_in, to_lib(tangents, torch)),
                torch)


def test_has_aux():
    def make(T):
        def f(x, y):
            z = (x * y).sin()
            return z.sum(), {"z": z, "n": (x * 0 + 3,)}
        return f
    x, y = np.array([0.3, 1.2]), np.array([2.0, -1.0])
    ex, ey, tx, ty = ember.tensor(x), ember.tensor(y), torch.tensor(x), torch.tensor(y)
    for name in ("grad", "grad_and_value", "jacrev", "jacfwd"):
        ours = getattr(ef, name)(make(ember), argnums=(0, 1), has_aux=True)(ex, ey)
        theirs = getattr(tf, name)(make(torch), argnums=(0, 1), has_aux=True)(tx, ty)
        assert_same(ours, theirs, torch)
    o_e, fn_e, aux_e = ef.vjp(make(ember), ex, ey, has_aux=True)
    o_t, fn_t, aux_t = tf.vjp(make(torch), tx, ty, has_aux=True)
    assert_same((o_e, aux_e, fn_e(ember.tensor(2.0))), (o_t, aux_t, fn_t(torch.tensor(2.0, dtype=torch.float64))),
                torch)
    assert_same(ef.jvp(make(ember), (ex, ey), (ey, ex), has_aux=True),
                tf.jvp(make(torch), (tx, ty), (ty, tx), has_aux=True), torch)


def test_pytree_argument_and_unused_input():
    def make(T):
        return lambda p, c: (p["w"] * c).sum() + p["b"].sum() * 0 + p["k"][0].exp().sum()
    p = {"w": np.array([1.0, 2.0]), "b": np.array([3.0]), "k": (np.array([0.5, 0.1]),)}
    c = np.array([2.0, 4.0])
    assert_same(ef.grad(make(ember))(to_lib(p, ember), ember.tensor(c)),
                tf.grad(make(torch))(to_lib(p, torch), torch.tensor(c)), torch)
    # an argument the output does not depend on at all: zeros
    assert_same(ef.grad(lambda a, b: a.sum(), argnums=1)(ember.ones(2), ember.ones(3)),
                tf.grad(lambda a, b: a.sum(), argnums=1)(torch.ones(2), torch.ones(3)), torch)
    assert_same(ef.jacrev(lambda a: ember.ones(2))(ember.ones(3)), tf.jacrev(lambda a: torch.ones(2))(torch.ones(3)),
                torch)


def test_closure_over_tensor_that_requires_grad():
    # grad(f)(x) stays differentiable w.r.t. a weight f closes over (the user's outer autograd)
    results = []
    for lib, fn in ((ember, ef), (torch, tf)):
        w = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        g = fn.grad(lambda x, w=w: (w * x).sin().sum())(lib.tensor([1.0, 2.0, 3.0]))
        g.sum().backward()
        results.append((g, w.grad))
    assert_same(results[0], results[1], torch)


def test_nested_grad_no_perturbation_confusion():
    # d/dx [x * d/dy (x * y)] = d/dx [x * x] = 2x: the inner grad must not differentiate the outer x
    def make(fn):
        return fn.grad(lambda x: x * fn.grad(lambda y: x * y)(x))
    assert_same(make(ef)(ember.tensor(3.0)), make(tf)(torch.tensor(3.0)), torch)
    third = ef.grad(ef.grad(ef.grad(lambda x: x ** 4)))(ember.tensor(2.0))
    assert float(third) == pytest.approx(48.0)


def test_reverse_over_forward_and_forward_over_reverse():
    def f(x):
        return (x.sin() * x.cos().sum()).sum()
    x = np.array([0.1, 0.7, -0.4])
    for outer, inner in (("jacrev", "jacfwd"), ("jacfwd", "jacrev")):
        ours = getattr(ef, outer)(getattr(ef, inner)(f))(ember.tensor(x))
        theirs = getattr(tf, outer)(getattr(tf, inner)(f))(torch.tensor(x))
        assert_same(ours, theirs, torch)


def test_results_carry_no_graph_at_top_level():
    x = ember.tensor([1.0, 2.0])
    assert not ef.grad(lambda a: (a * a).sum())(x).requires_grad
    assert not ef.jacrev(lambda a: a.exp())(x).requires_grad
    assert not ef.jacfwd(lambda a: a.exp())(x).requires_grad
    assert not ef.hessian(lambda a: a.exp().sum())(x).requires_grad
    out, fn = ef.vjp(lambda a: a.exp(), x)
    assert out.grad_fn is None and not fn(ember.ones(2))[0].requires_grad


def test_float32_default_and_dtypes():
    x32 = np.array([1.0, 2.0], dtype=np.float32)
    assert_same(ef.jacfwd(lambda a: a * a)(ember.tensor(x32)), tf.jacfwd(lambda a: a * a)(torch.tensor(x32)), torch)
    assert_same(ef.hessian(lambda a: (a ** 3).sum())(ember.tensor(x32)),
                tf.hessian(lambda a: (a ** 3).sum())(torch.tensor(x32)), torch)


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the type and message are what is compared
        return type(e), str(e)
    raise AssertionError("no error")


@pytest.mark.parametrize("call", [
    lambda F, T: F.grad(lambda a: a)(T.ones(2, 3)),
    lambda F, T: F.grad_and_value(lambda a: a * 2)(T.ones(1)),
    lambda F, T: F.grad(lambda a: a.sum(), argnums=2)(T.ones(2)),
    lambda F, T: F.grad(lambda a: a.sum(), argnums=-2)(T.ones(2)),
    lambda F, T: F.grad(lambda a, b: a.sum(), argnums=(0, 0))(T.ones(2), T.ones(2)),
    lambda F, T: F.grad(lambda a: a.sum(), argnums=1.0)(T.ones(2)),
    lambda F, T: F.grad(lambda a: a.sum(), argnums=())(T.ones(2)),
    lambda F, T: F.grad(lambda a: a.sum(), has_aux=True)(T.ones(2)),
    lambda F, T: F.grad(lambda a: 1.0)(T.ones(2)),
    lambda F, T: F.jacfwd(lambda a: (a, {"n": 3}), has_aux=True)(T.ones(2)),
    lambda F, T: F.grad(lambda a: a.sum())(1.0),
    lambda F, T: F.jacrev(lambda a: a, argnums=3)(T.ones(2)),
    lambda F, T: F.jvp(lambda a: a, T.ones(2), T.ones(2)),
    lambda F, T: F.jvp(lambda a: 1.0, (T.ones(2),), (T.ones(2),)),
    lambda F, T: F.vjp(lambda a: 1.0, T.ones(2)),
    lambda F, T: F.vjp(lambda a: a, T.ones(2, 3))[1](T.ones(3, 3)),
    lambda F, T: F.jacfwd(lambda a: a, randomness="x")(T.ones(2)),
], ids=lambda c: None)
def test_errors_like_torch(call):
    ours, theirs = _error(lambda: call(ef, ember)), _error(lambda: call(tf, torch))
    assert ours[0] is theirs[0]
    assert ours[1].replace("ember", "torch") == theirs[1], (ours[1], theirs[1])


def test_jvp_structure_mismatch_error():
    with pytest.raises(RuntimeError, match="Expected primals and tangents to have the same python structure"):
        ef.jvp(lambda a: a, (ember.ones(2),), (ember.ones(2), ember.ones(2)))
    with pytest.raises(RuntimeError, match="Expected pytree structure of cotangents"):
        ef.vjp(lambda a: a, ember.ones(2))[1]((ember.ones(2),))


def test_functional_call_grad_and_per_sample_grads():
    torch.manual_seed(0)
    t_model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    e_model = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.Tanh(), ember.nn.Linear(4, 1))
    e_model.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t_model.state_dict().items()})
    xs = np.random.default_rng(1).normal(size=(5, 3)).astype(np.float32)
    ys = np.random.default_rng(2).normal(size=(5, 1)).astype(np.float32)
    res = []
    for lib, fn, model in ((ember, ef, e_model), (torch, tf, t_model)):
        params = {k: v.detach() for k, v in model.named_parameters()}

        def loss(p, x, y, model=model, fn=fn, lib=lib):
            return ((fn.functional_call(model, p, (x.unsqueeze(0),)) - y) ** 2).mean()
        per_sample = fn.vmap(fn.grad(loss), in_dims=(None, 0, 0))(params, lib.tensor(xs), lib.tensor(ys))
        res.append(per_sample)
        assert model[0].weight.requires_grad  # the module is left as it was
    assert_same(res[0], res[1], torch, rtol=1e-4, atol=1e-6)


def test_functional_call_strict_and_tied():
    lin = ember.nn.Linear(2, 2)
    with pytest.raises(RuntimeError, match="Missing key"):
        ef.functional_call(lin, {"weight": ember.zeros(2, 2)}, (ember.ones(2),), strict=True)
    out = ef.functional_call(lin, ({"weight": ember.zeros(2, 2)}, {"bias": ember.ones(2)}), ember.ones(2))
    assert out.tolist() == [1.0, 1.0]
    assert isinstance(lin.weight, ember.nn.Parameter)
