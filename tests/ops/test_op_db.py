"""The shared op suite: every OpInfo in tests/op_db.py against torch and finite differences."""
from __future__ import annotations

import numpy as np
import pytest

import ember
from tests.op_db import OP_DB, Sample

torch = pytest.importorskip("torch")

CASES = [(op, i, s) for op in OP_DB for i, s in enumerate(op.samples())]


def _ids(case):
    op, i, _ = case
    return f"{op.name}-{i}"


def _make(lib, sample, dtype_name, requires_grad, wrap=None):
    """Build the args for one library; returns (args, the tensors that take gradients).

    ``wrap(t)``, when given, replaces each differentiable tensor in the args (by a dual tensor, for
    the forward-mode check); ``leaves`` then lists the tensors before wrapping.
    """
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
                    if wrap is not None:
                        t = wrap(t)
            args.append(t)
        elif isinstance(a, (list, tuple)) and a and all(isinstance(e, np.ndarray) for e in a):
            seq = []
            for e in a:  # a sequence of tensors (cat, stack, einsum operands)
                t = lib.tensor(e, dtype=dt)
                if requires_grad:
                    t.requires_grad_(True)
                    leaves.append(t)
                    if wrap is not None:
                        t = wrap(t)
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
    if getattr(t, "_is_zerotensor", None) is not None and t._is_zerotensor():
        return np.zeros(tuple(t.shape))  # torch's symbolic zero (e.g. abs's second derivative)
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


# --------------------------------------------------------------------------- second derivatives
# Checks of the backward formulas' own derivatives (create_graph=True), in float64 only, and of
# forward mode. They run on every differentiable op; the finite-difference check of the second
# derivative runs on each op's first sample only (it costs two first-order passes per element).
# vmap of each op (test_vmap_matches_loop, at the end) maps it over a leading batch dim of its float
# inputs and compares with torch's results for each batch element, stacked.

DIFF_CASES = [c for c in CASES if c[0].differentiable and "float64" in c[0].dtypes]
FIRST_CASES = [c for c in DIFF_CASES if c[1] == 0 and c[0].gradcheck]


def _weights(shapes, seed):
    g = np.random.default_rng(seed)
    return [g.uniform(-1, 1, size=tuple(s)) for s in shapes]


def _first_grads(lib, op, sample, args, leaves, create_graph):
    """g_i = d <out, v> / d leaf_i (v fixed random weights per output); None where unused."""
    outs = _float_outputs(_outputs(op.fn(lib, *args, **sample.kwargs)))
    if not outs:
        return None
    vs = _weights([o.shape for o in outs], 100)
    total = None
    for o, v in zip(outs, vs):
        term = (o * lib.tensor(v, dtype=o.dtype)).sum()
        total = term if total is None else total + term
    return lib.autograd.grad(total, leaves, allow_unused=True, create_graph=create_graph)


def _gradgrad(lib, op, sample):
    """(leaves, d/d leaves of sum_i <g_i, u_i>) in float64, None for a zero second derivative."""
    args, leaves = _make(lib, sample, "float64", True)
    if not leaves:
        return None
    grads = _first_grads(lib, op, sample, args, leaves, True)
    if grads is None:
        return None
    us = _weights([x.shape for x in leaves], 200)
    s = None
    for g, u in zip(grads, us):
        if g is not None and g.requires_grad:  # a gradient that is constant in the inputs has none
            term = (g * lib.tensor(u, dtype=g.dtype)).sum()
            s = term if s is None else s + term
    if s is None:
        return leaves, [None] * len(leaves)
    second = lib.autograd.grad(s, leaves, allow_unused=True)
    return leaves, [None if h is None else _np(h) for h in second]


def _zeros_if_none(h, like):
    return np.zeros(tuple(like.shape)) if h is None else h


@pytest.mark.parametrize("case", DIFF_CASES, ids=[_ids(c) for c in DIFF_CASES])
def test_gradgrad_matches_torch(case):
    """grad of <grad(<out, v>, x, create_graph=True), u> against torch's, in float64."""
    op, _, sample = case
    e = _gradgrad(ember, op, sample)
    t = _gradgrad(torch, op, sample)
    assert (e is None) == (t is None)
    if e is None:
        return
    for leaf, he, ht in zip(e[0], e[1], t[1]):
        np.testing.assert_allclose(_zeros_if_none(he, leaf), _zeros_if_none(ht, leaf),
                                   rtol=op.grad_rtol, atol=op.grad_atol, equal_nan=True)


@pytest.mark.parametrize("case", FIRST_CASES, ids=[_ids(c) for c in FIRST_CASES])
def test_gradgrad_matches_finite_differences(case):
    """The second derivative against central differences of the first derivative (float64)."""
    op, _, sample = case
    res = _gradgrad(ember, op, sample)
    if res is None:
        pytest.skip("no differentiable input or output")
    leaves, second = res
    us = _weights([x.shape for x in leaves], 200)
    # fresh args holding new leaves: perturb their arrays in place and rerun the first-order pass
    args, leaves2 = _make(ember, sample, "float64", True)

    def s_of():
        grads = _first_grads(ember, op, sample, args, leaves2, False)
        return sum(float((g._data * u).sum()) for g, u in zip(grads, us) if g is not None)

    eps = 1e-6
    for leaf, h in zip(leaves2, second):
        flat = leaf._data.reshape(-1)
        num = np.zeros(flat.size)
        for j in range(flat.size):
            old = flat[j]
            flat[j] = old + eps
            fp = s_of()
            flat[j] = old - eps
            fm = s_of()
            flat[j] = old
            num[j] = (fp - fm) / (2 * eps)
        got = _zeros_if_none(h, leaf).reshape(-1)
        np.testing.assert_allclose(got, num, rtol=max(op.fd_rtol, 1e-4), atol=max(op.fd_atol, 1e-5))


# --------------------------------------------------------------------------- forward mode
class _Slot:
    """Where a primal goes in the args given to torch.func.jvp's function."""

    def __init__(self, k):
        self.k = k


def _fill(a, prims):
    if isinstance(a, _Slot):
        return prims[a.k]
    if isinstance(a, (list, tuple)) and any(isinstance(e, _Slot) for e in a):
        return type(a)(_fill(e, prims) for e in a)
    return a


def _float_only(outs):
    return [o for o in outs if hasattr(o, "dtype") and o.dtype.is_floating_point]


@pytest.mark.parametrize("case", DIFF_CASES, ids=[_ids(c) for c in DIFF_CASES])
def test_jvp_matches_torch(case):
    """Forward mode (ember.autograd.forward_ad) against torch.func.jvp, float64."""
    import ember.autograd.forward_ad as fwAD
    op, _, sample = case
    slots = []

    def to_slot(t):
        slots.append(t)
        return _Slot(len(slots) - 1)

    t_args, t_leaves = _make(torch, sample, "float64", True, wrap=to_slot)
    if not t_leaves:
        pytest.skip("no differentiable input")
    tangents = _weights([x.shape for x in t_leaves], 300)
    primals = tuple(x.detach() for x in t_leaves)

    def f(*prims):
        outs = _float_only(_outputs(op.fn(torch, *[_fill(a, prims) for a in t_args], **sample.kwargs)))
        return tuple(outs)

    _, t_tan = torch.func.jvp(f, primals, tuple(torch.tensor(v) for v in tangents))

    k = iter(range(len(tangents)))
    with fwAD.dual_level():
        def to_dual(t):
            return fwAD.make_dual(t.detach(), ember.tensor(tangents[next(k)]))
        e_args, _ = _make(ember, sample, "float64", True, wrap=to_dual)
        e_outs = _float_only(_outputs(op.fn(ember, *e_args, **sample.kwargs)))
        e_tan = [fwAD.unpack_dual(o).tangent for o in e_outs]
        e_tan = [None if x is None else _np(x) for x in e_tan]
    assert len(e_tan) == len(t_tan)
    for te, tt in zip(e_tan, t_tan):
        tt = _np(tt)
        if te is None:  # no tangent reached this output: torch's must be zero
            assert not np.any(tt), "ember gave no tangent where torch's is non-zero"
            continue
        assert te.shape == tt.shape
        np.testing.assert_allclose(te, tt, rtol=op.grad_rtol, atol=op.grad_atol, equal_nan=True)


VMAP_CASES = [c for c in CASES if c[1] == 0 and "float64" in c[0].dtypes]


@pytest.mark.parametrize("case", VMAP_CASES, ids=[_ids(c) for c in VMAP_CASES])
def test_vmap_matches_loop(case):
    """ember.vmap over a batch of 3 perturbed copies of each float input == torch, element by element."""
    op, _, sample = case
    batched = [i for i, a in enumerate(sample.args) if isinstance(a, np.ndarray) and a.dtype.kind == "f"
               and i not in sample.int_args and i not in sample.bool_args]
    if not batched:
        pytest.skip("no float tensor input to map over")
    scales = (1.0, 0.5, 0.75)  # positive: some inputs are probabilities
    per_elem = []
    for k in scales:  # torch, one batch element at a time
        s = Sample(tuple(np.asarray(a * k) if i in batched else a for i, a in enumerate(sample.args)),
                   sample.kwargs,
                   int_args=sample.int_args, bool_args=sample.bool_args)
        t_args, _ = _make(torch, s, "float64", False)
        per_elem.append(_outputs(op.fn(torch, *t_args, **sample.kwargs)))
    e_args, _ = _make(ember, sample, "float64", False)
    stacked = {i: ember.stack([e_args[i] * k for k in scales]) for i in batched}

    def f(*xs):
        args = list(e_args)
        for i, x in zip(batched, xs):
            args[i] = x
        out = op.fn(ember, *args, **sample.kwargs)
        return tuple(out) if isinstance(out, (tuple, list)) else out

    try:
        result = ember.vmap(f)(*[stacked[i] for i in batched])
    except (TypeError, ValueError) as e:  # outputs vmap cannot stack (Python numbers, ...)
        if "vmap" in str(e):
            pytest.skip(f"output not batchable: {e}")
        raise
    result = _outputs(result)
    assert len(result) == len(per_elem[0])
    for j, r in enumerate(result):
        for b in range(len(scales)):
            t = per_elem[b][j]
            np.testing.assert_allclose(_np(r[b]), _np(t), rtol=op.rtol, atol=op.atol, equal_nan=True)
