"""The fast paths of ember/ops/_cascade.py, bit for bit.

``_seq`` hands sequential sums to NumPy's ``add.reduce`` over an outer axis (NumPy adds pairwise
only along its innermost loop), so it is pinned against a plain left-to-right loop for every
layout: transposed, sliced, flipped, size-1 axes, single rows, short rows. The sums the MLP
benchmark does (bias gradients, cross-entropy, log_softmax backward) and the skipped empty parts
(+0.0 additions) are pinned against torch, including -0.0 inputs and the cached per-layout plans.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from ember.ops import _cascade

torch = pytest.importorskip("torch")

DTYPES = [np.float32, np.float64, np.float16]


def _loop_seq(y):
    """Left to right from +0.0 in y's dtype, one add per element: what ``_seq`` must equal."""
    acc = np.zeros(y.shape[:-1], y.dtype)
    for i in range(y.shape[-1]):
        acc = np.add(acc, y[..., i], dtype=y.dtype)
    return acc


def _bits(x):
    x = np.asarray(x)
    return x.dtype, x.shape, x.tobytes()


def _data(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 10.0 ** rng.integers(-3, 4, shape)
    x = x.astype(dtype)
    x[rng.random(shape) < 0.05] = -0.0
    return x


@st.composite
def _views(draw):
    """A strided view of random data: any of transposed, sliced with a step, flipped, size-1 axes."""
    ndim = draw(st.integers(1, 4))
    shape = tuple(draw(st.lists(st.sampled_from([1, 2, 3, 4, 5, 7, 8, 16, 17, 33]), min_size=ndim,
                                max_size=ndim)))
    dtype = draw(st.sampled_from(DTYPES))
    x = _data(shape, dtype, draw(st.integers(0, 2**16)))
    if ndim > 1 and draw(st.booleans()):
        x = x.transpose(draw(st.permutations(range(ndim))))
    if draw(st.booleans()):
        ax = draw(st.integers(0, ndim - 1))
        step = draw(st.sampled_from([-1, 2, -2]))
        x = np.moveaxis(np.moveaxis(x, ax, 0)[::step], 0, ax)
    return x


@settings(max_examples=300, deadline=None)
@given(y=_views())
def test_seq_is_a_left_to_right_sum_for_every_layout(y):
    assert _bits(_cascade._seq(np, y)) == _bits(_loop_seq(y))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(0,), (1,), (2,), (3,), (4,), (5, 0), (1, 9), (9, 1), (1, 1, 40),
                                   (40, 1, 1), (2, 1000), (1000, 2), (3, 3, 3)])
def test_seq_edge_shapes(dtype, shape):
    y = _data(shape, dtype, 1)
    for view in (y, y[..., ::-1], np.asfortranarray(y)):
        assert _bits(_cascade._seq(np, view)) == _bits(_loop_seq(view))


def test_seq_of_negative_zeros_is_positive_zero():
    for shape in [(1,), (2,), (3,), (7,), (5, 2), (2, 5), (4, 6, 3)]:
        y = np.full(shape, -0.0, np.float32)
        assert not np.signbit(_cascade._seq(np, y)).any()
        assert not np.signbit(_cascade._seq(np, y.T)).any()


def _pair(arr):
    return ember.from_numpy(arr.copy()), torch.from_numpy(arr.copy())


def _same(e, t):
    a, b = e.detach().numpy(), t.detach().numpy()
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("shape,dim", [((128, 256), 0), ((128, 10), 0), ((128, 10), 1), ((128,), None),
                                       ((128, 10), None), ((256, 128), 1), ((32, 3, 16, 16), (0, 2, 3))])
@pytest.mark.parametrize("dtype", DTYPES)
def test_the_mlp_benchmark_sums_equal_torch(shape, dim, dtype):
    e, t = _pair(_data(shape, dtype, 2))
    for keepdim in (False, True):
        if dim is None:
            assert _same(e.sum(), t.sum()) and _same(e.mean(), t.mean())
        else:
            assert _same(e.sum(dim, keepdim=keepdim), t.sum(dim, keepdim=keepdim))
            assert _same(e.mean(dim, keepdim=keepdim), t.mean(dim, keepdim=keepdim))
    if len(shape) == 2:
        assert _same(e.T.sum(0), t.T.sum(0)) and _same(e.T.sum(1), t.T.sum(1))


@settings(max_examples=60, deadline=None)
@given(rows=st.integers(1, 300), cols=st.integers(1, 200), data=st.data())
def test_two_d_sums_equal_torch(rows, cols, data):
    dtype = data.draw(st.sampled_from(DTYPES))
    e, t = _pair(_data((rows, cols), dtype, rows * 1000 + cols))
    if data.draw(st.booleans()):
        e, t = e.T, t.T
    dim = data.draw(st.sampled_from([0, 1, None]))
    if dim is None:
        assert _same(e.sum(), t.sum())
    else:
        assert _same(e.sum(dim, keepdim=True), t.sum(dim, keepdim=True))


@pytest.mark.parametrize("dtype", DTYPES)
def test_column_groups_and_cascade_levels_at_their_boundaries(dtype):
    # columns: under a vector, one group of 4 vectors (32 float32), a group plus 1 or 7 leftover
    # columns (the leftovers take row_sum; one leftover column is the K = 1 case); rows: below,
    # at and above a cascade step (16) and its square, and the n % 4 leftovers of row_sum (1000 x 33
    # and up are split across threads: GRAIN elements or more)
    bad = []
    for rows in (1, 2, 3, 4, 5, 15, 16, 17, 63, 64, 65, 127, 128, 129, 256, 257, 1000):
        for cols in (2, 7, 8, 9, 31, 32, 33, 39, 64, 65):
            e, t = _pair(_data((rows, cols), dtype, rows * cols))
            for dim in (0, 1):
                if not _same(e.sum(dim), t.sum(dim)):
                    bad.append((rows, cols, dim))
            if not _same(e.sum(), t.sum()):
                bad.append((rows, cols, None))
    assert not bad


@pytest.mark.parametrize("shape", [(128, 256), (128, 10), (7, 3), (3, 70), (1000,), (5, 17, 33)])
def test_negative_zero_inputs_sum_to_positive_zero_like_torch(shape):
    e, t = _pair(np.full(shape, -0.0, np.float32))
    for dims in [None, 0, -1, tuple(range(len(shape)))]:
        es, ts = (e.sum(), t.sum()) if dims is None else (e.sum(dims), t.sum(dims))
        assert _same(es, ts)
        assert not np.signbit(es.numpy()).any()


def test_cached_plans_follow_the_layout():
    # the same shape with different strides must not share a plan
    base = _data((48, 48), np.float32, 3)
    for _ in range(2):
        for arr in (base, base.T, np.asfortranarray(base), base[:, ::2], base[::3].T):
            e, t = ember.from_numpy(arr), torch.from_numpy(arr)
            for dim in (0, 1):
                assert _same(e.sum(dim), t.sum(dim))


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 700))
def test_nll_loss_sum_equals_torch_for_every_batch_size(n):
    _check_nll(n)


@pytest.mark.parametrize("n", [1, 2, 15, 16, 17, 18, 32, 33, 128, 256, 257, 273, 4096, 4097, 40000])
def test_nll_loss_sum_at_cascade_level_boundaries(n):
    _check_nll(n)


def _check_nll(n):
    rng = np.random.default_rng(n)
    logp = torch.from_numpy((rng.standard_normal((n, 5)) * 3).astype(np.float32)).log_softmax(1)
    target = rng.integers(0, 5, n)
    e, t = ember.from_numpy(logp.numpy().copy()), logp
    et, tt = _pair(target)
    F, G = torch.nn.functional, ember.nn.functional
    for reduction in ("sum", "mean"):
        assert _same(G.nll_loss(e, et, reduction=reduction), F.nll_loss(t, tt, reduction=reduction))


def test_nll_sum_skips_only_additions_of_positive_zero():
    # a lone -0.0, and -0.0 at entry 0 of a level: torch's result is +0.0
    for n in (1, 2, 17, 33, 300):
        v = np.full(n, -0.0, np.float32)
        assert _bits(_cascade.nll_sum(np, v)) == _bits(np.float32(0.0))
    rng = np.random.default_rng(7)
    for n in range(1, 80):
        v = (rng.standard_normal(n) * 1e3).astype(np.float32)
        e = _cascade.nll_sum(np, v)
        t = torch.nn.functional.nll_loss(torch.from_numpy(-v[:, None].copy()),
                                         torch.zeros(n, dtype=torch.int64), reduction="sum")
        assert _bits(e) == _bits(t.numpy()), n
