"""The shared op suite: every OpInfo in tests/op_db.py against torch and finite differences."""
from __future__ import annotations

import numpy as np
import pytest

import ember
from tests.op_db import OP_DB

torch = pytest.importorskip("torch")

CASES = [(op, i, s) for op in OP_DB for i, s in enumerate(op.samples())]


def _ids(case):
    op, i, _ = case
    return f"{op.name}-{i}"


def _make(lib, sample, dtype_name, requires_grad):
    """Build the args for one library; returns (args, the tensors that take gradients)."""
    dt = getattr(lib, dtype_name)
    args, leaves = [], []
    for i, a in enumerate(sample.args):
        if isinstance(a, np.ndarray):
            if i in sample.int_args:
                t = lib.tensor(a.astype(np.int64))
            elif i in sample.bool_args:
                t = lib.tensor(a.astype(bool))
            elif a.dtype.kind in "iub":
                t = lib.tensor(a)
            else:
                t = lib.tensor(a, dtype=dt)
                wants = sample.grad is None or i in sample.grad
                if requires_grad and wants:
                    t.requires_grad_(True)
                    leaves.append(t)
            args.append(t)
        elif isinstance(a, (list, tuple)) and a and all(isinstance(e, np.ndarray) for e in a):
            seq = []
            for e in a:  # a sequence of tensors (cat, stack, einsum operands)
                t = lib.tensor(e, dtype=dt)
                if requires_grad:
                    t.requires_grad_(True)
                    leaves.append(t)
                seq.append(t)
            args.append(type(a)(seq))
        else:
            args.append(a)
    return args, leaves


def _outputs(out):
    if isinstance(out, (tuple, list)):
        return list(out)
    return [out]


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _float_outputs(outs):
    return [o for o in outs if hasattr(o, "dtype") and o.dtype.is_floating_point and o.requires_grad]


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_forward_matches_torch(case, dtype):
    op, _, sample = case
    if dtype not in op.dtypes:
        pytest.skip("dtype not declared for this op")
    e_args, _ = _make(ember, sample, dtype, False)
    t_args, _ = _make(torch, sample, dtype, False)
    e_outs = _outputs(op.fn(ember, *e_args, **sample.kwargs))
    t_outs = _outputs(op.fn(torch, *t_args, **sample.kwargs))
    assert len(e_outs) == len(t_outs)
    for e, t in zip(e_outs, t_outs):
        if not hasattr(t, "dtype"):
            assert e == t
            continue
        assert tuple(e.shape) == tuple(t.shape), (e.shape, t.shape)
        if op.exact_dtype:
            assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_allclose(_np(e).astype(np.float64), _np(t).astype(np.float64),
                                   rtol=op.rtol, atol=op.atol, equal_nan=True)


def _backward(lib, op, sample, dtype):
    args, leaves = _make(lib, sample, dtype, True)
    outs = _float_outputs(_outputs(op.fn(lib, *args, **sample.kwargs)))
    if not outs or not leaves:
        return None
    total = None
    for k, o in enumerate(outs):
        w = np.random.default_rng(100 + k).uniform(-1, 1, size=tuple(o.shape))
        term = (o * lib.tensor(w, dtype=o.dtype)).sum()
        total = term if total is None else total + term
    grads = lib.autograd.grad(total, leaves, allow_unused=True)
    return [None if g is None else _np(g) for g in grads], [_np(x) for x in leaves]


@pytest.mark.parametrize("case", [c for c in CASES if c[0].differentiable],
                         ids=[_ids(c) for c in CASES if c[0].differentiable])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_grad_matches_torch(case, dtype):
    op, _, sample = case
    if dtype not in op.dtypes:
        pytest.skip("dtype not declared for this op")
    e = _backward(ember, op, sample, dtype)
    t = _backward(torch, op, sample, dtype)
    assert (e is None) == (t is None)
    if e is None:
        return
    for ge, gt in zip(e[0], t[0]):
        if gt is None:
            assert ge is None or not np.any(ge)
            continue
        assert ge is not None
        np.testing.assert_allclose(ge, gt, rtol=op.grad_rtol, atol=op.grad_atol, equal_nan=True)


@pytest.mark.parametrize("case", [c for c in CASES if c[0].differentiable and c[0].gradcheck],
                         ids=[_ids(c) for c in CASES if c[0].differentiable and c[0].gradcheck])
def test_grad_matches_finite_differences(case):
    op, _, sample = case
    args, leaves = _make(ember, sample, "float64", True)
    if not leaves:
        pytest.skip("no differentiable input")
    outs = _float_outputs(_outputs(op.fn(ember, *args, **sample.kwargs)))
    if not outs:
        pytest.skip("no differentiable output")
    weights = [np.random.default_rng(100 + k).uniform(-1, 1, size=tuple(o.shape))
               for k, o in enumerate(outs)]

    def scalar():
        with ember.no_grad():
            res = _float_outputs_nograd(_outputs(op.fn(ember, *args, **sample.kwargs)), len(outs))
            return sum(float((r._data * w).sum()) for r, w in zip(res, weights))

    total = sum((o * ember.tensor(w)).sum() for o, w in zip(outs, weights))
    grads = ember.autograd.grad(total, leaves, allow_unused=True)
    eps = 1e-6
    for leaf, g in zip(leaves, grads):
        data = leaf._data
        num = np.zeros_like(data)
        flat = data.reshape(-1)
        for j in range(flat.size):
            old = flat[j]
            flat[j] = old + eps
            fp = scalar()
            flat[j] = old - eps
            fm = scalar()
            flat[j] = old
            num.reshape(-1)[j] = (fp - fm) / (2 * eps)
        got = np.zeros_like(data) if g is None else g.numpy()
        np.testing.assert_allclose(got, num, rtol=op.fd_rtol, atol=op.fd_atol)


def _float_outputs_nograd(outs, n):
    return [o for o in outs if hasattr(o, "dtype") and o.dtype.is_floating_point][:n]
