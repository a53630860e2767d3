"""ember.autograd.functional against torch.autograd.functional: values, return structures, graphs, errors."""
from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.autograd.functional as EF

from ..func._cases import CASES
from ..func._helpers import assert_same, to_lib

torch = pytest.importorskip("torch")
TF = torch.autograd.functional

# autograd.functional takes tensors or tuples of tensors, in and out
_TUPLE_CASES = [c for c in CASES if c[0] != "dict_out"]


def _inputs(case, lib, as_tuple):
    ins = to_lib(case[2], lib)
    return ins if as_tuple or len(ins) > 1 else ins[0]


def _fn(case, lib):
    f = case[1](lib)
    return f


@pytest.mark.parametrize("case", _TUPLE_CASES, ids=[c[0] for c in _TUPLE_CASES])
@pytest.mark.parametrize("mode", ["reverse", "vectorize", "forward"])
def test_jacobian_matches_torch(case, mode):
    kw = {"reverse": {}, "vectorize": {"vectorize": True},
          "forward": {"vectorize": True, "strategy": "forward-mode"}}[mode]
    for as_tuple in (False, True):
        ours = EF.jacobian(_fn(case, ember), _inputs(case, ember, as_tuple), **kw)
        theirs = TF.jacobian(_fn(case, torch), _inputs(case, torch, as_tuple), **kw)
        assert_same(ours, theirs, torch)


_SCALAR = [c for c in CASES if c[4]]


@pytest.mark.parametrize("case", _SCALAR, ids=[c[0] for c in _SCALAR])
def test_hessian_hvp_vhp_match_torch(case):
    as_tuple = len(case[2]) > 1
    e_in, t_in = _inputs(case, ember, as_tuple), _inputs(case, torch, as_tuple)
    assert_same(EF.hessian(_fn(case, ember), e_in), TF.hessian(_fn(case, torch), t_in), torch)
    assert_same(EF.hessian(_fn(case, ember), e_in, vectorize=True, outer_jacobian_strategy="forward-mode"),
                TF.hessian(_fn(case, torch), t_in, vectorize=True, outer_jacobian_strategy="forward-mode"), torch,
                # torch's forward-over-reverse result keeps an internal grad_fn or not depending on
                # which ops the tangent went through; values and structure are what is compared
                check_grad=False)
    v = tuple(np.linspace(-1, 1, x.size).reshape(x.shape) for x in case[2])
    v_e, v_t = (to_lib(v, ember), to_lib(v, torch)) if as_tuple else (to_lib(v[0], ember), to_lib(v[0], torch))
    for name in ("hvp", "vhp"):
        assert_same(getattr(EF, name)(_fn(case, ember), e_in, v_e), getattr(TF, name)(_fn(case, torch), t_in, v_t),
                    torch)


@pytest.mark.parametrize("case", _TUPLE_CASES, ids=[c[0] for c in _TUPLE_CASES])
def test_vjp_jvp_match_torch(case):
    as_tuple = len(case[2]) > 1
    e_in, t_in = _inputs(case, ember, as_tuple), _inputs(case, torch, as_tuple)
    out_t = _fn(case, torch)(*(t_in if as_tuple else (t_in,)))
    outs = out_t if isinstance(out_t, tuple) else (out_t,)
    cot = tuple(np.linspace(1, 2, o.numel()).reshape(o.shape) for o in outs)
    cot = cot if isinstance(out_t, tuple) else cot[0]
    assert_same(EF.vjp(_fn(case, ember), e_in, to_lib(cot, ember)), TF.vjp(_fn(case, torch), t_in, to_lib(cot, torch)),
                torch)
    tan = tuple(np.linspace(0.5, -0.5, x.size).reshape(x.shape) for x in case[2])
    tan = tan if as_tuple else tan[0]
    assert_same(EF.jvp(_fn(case, ember), e_in, to_lib(tan, ember)), TF.jvp(_fn(case, torch), t_in, to_lib(tan, torch)),
                torch)


def test_v_none_for_scalars():
    assert_same(EF.vjp(lambda x: (x * x).sum(), ember.tensor([1.0, 2.0])),
                TF.vjp(lambda x: (x * x).sum(), torch.tensor([1.0, 2.0])), torch)
    assert_same(EF.jvp(lambda x: x * x, ember.tensor([3.0])), TF.jvp(lambda x: x * x, torch.tensor([3.0])), torch)
    assert_same(EF.hvp(lambda x: (x ** 3).sum(), ember.tensor(2.0)), TF.hvp(lambda x: (x ** 3).sum(), torch.tensor(2.0)),
                torch)


def test_create_graph_results_are_differentiable():
    res = []
    for lib, F in ((ember, EF), (torch, TF)):
        x = lib.tensor([0.3, -0.8, 1.1], dtype=lib.float64, requires_grad=True)
        jac = F.jacobian(lambda a: a.sin() * a.sum(), x, create_graph=True)
        hess = F.hessian(lambda a: (a.exp() * a).sum(), x, create_graph=True)
        _, hv = F.hvp(lambda a: (a ** 4).sum(), x, x, create_graph=True)
        (jac.sum() + hess.sum() + hv.sum()).backward()
        res.append((jac, hess, hv, x.grad))
    assert_same(res[0], res[1], torch)


def test_unused_input_gives_zeros_or_strict_error():
    def f(a, b):
        return a * 2
    x = (ember.ones(2), ember.ones(3))
    jac = EF.jacobian(f, x)
    assert jac[1].shape == (2, 3) and not jac[1].any()
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function is independent of input 1. This "
                                           "is not allowed in strict mode."):
        EF.jacobian(f, x, strict=True)
    with pytest.raises(RuntimeError, match="independent of input 1"):
        EF.vjp(f, x, ember.ones(2), strict=True)
    with pytest.raises(RuntimeError, match="does not require gradients"):
        EF.jacobian(lambda a: ember.ones(2), ember.ones(2), strict=True)
    with pytest.raises(RuntimeError, match="the jacobian of the user-provided function with respect to input 0 is "
                                           "independent of the input"):
        EF.hessian(lambda a: (a * 2).sum(), ember.ones(2), strict=True)


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the type and message are what is compared
        return type(e), str(e)
    raise AssertionError("no error")


@pytest.mark.parametrize("call", [
    lambda F, T: F.vjp(lambda a: a * 2, T.ones(2), T.ones(3)),
    lambda F, T: F.vjp(lambda a: (a, a), T.ones(2), (T.ones(2),)),
    lambda F, T: F.vjp(lambda a: a * 2, T.ones(2)),
    lambda F, T: F.jvp(lambda a, b: a * b, (T.ones(2), T.ones(2)), (T.ones(2), T.ones(3))),
    lambda F, T: F.jvp(lambda a: a * 2, T.ones(2)),
    lambda F, T: F.jacobian(lambda a: a * 2, T.ones(2), strategy="forward-mode"),
    lambda F, T: F.jacobian(lambda a: a * 2, T.ones(2), strategy="sideways"),
    lambda F, T: F.jacobian(lambda a: a * 2, T.ones(2), strategy="forward-mode", vectorize=True, create_graph=True),
    lambda F, T: F.jacobian(lambda a: a * 2, T.ones(2), strict=True, vectorize=True),
    lambda F, T: F.jacobian(lambda a: a * 2, [T.ones(2), 3.0]),
    lambda F, T: F.jacobian(lambda a: 3.0, T.ones(2)),
    lambda F, T: F.hessian(lambda a: a * 2, T.ones(2)),
    lambda F, T: F.hessian(lambda a: (a.sum(), a.sum()), T.ones(2)),
    lambda F, T: F.vhp(lambda a: a * 2, T.ones(2), T.ones(2)),
], ids=lambda c: None)
def test_errors_like_torch(call):
    ours, theirs = _error(lambda: call(EF, ember)), _error(lambda: call(TF, torch))
    assert ours[0] is theirs[0]
    assert ours[1].replace("ember", "torch") == theirs[1], (ours[1], theirs[1])


def test_reachable_from_autograd_namespace():
    assert ember.autograd.functional.jacobian is EF.jacobian
