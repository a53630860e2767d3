"""sum / mean (and the sums inside losses, logsumexp, softmax) round exactly like torch's CPU kernels.

Every comparison here is bit for bit: the printed ``loss.item()`` must show torch's 17 digits.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
from ember.ops import _cascade

torch = pytest.importorskip("torch")

DTYPES = [np.float32, np.float64, np.float16]


def _same(e, t) -> bool:
    a, b = e.detach().numpy(), t.detach().numpy()
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def _pair(arr):
    return ember.from_numpy(arr.copy()), torch.from_numpy(arr.copy())


def _views(e, t, ndim):
    """The same strided views in ember and torch: contiguous, transposed, permuted, sliced."""
    yield "contiguous", e, t
    if ndim >= 2:
        yield "transposed", e.transpose(0, 1), t.transpose(0, 1)
    if ndim >= 3:
        order = (ndim - 1, *range(ndim - 1))
        yield "permuted", e.permute(*order), t.permute(*order)
    yield "sliced", e[..., ::2], t[..., ::2]


@pytest.mark.parametrize("dtype", DTYPES)
def test_full_sum_and_mean_1d(dtype):
    rng = np.random.default_rng(0)
    sizes = [*range(1, 130), 255, 256, 257, 1000, 1023, 1025, 4096, 4097, 5000, 20000]
    bad = []
    for n in sizes:
        e, t = _pair((rng.standard_normal(n) * 10).astype(dtype))
        if not (_same(e.sum(), t.sum()) and _same(e.mean(), t.mean())):
            bad.append(n)
    assert not bad


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 5), (7, 9), (17, 33), (100, 70), (64, 128), (129, 65), (1000, 10),
                                   (10, 1000), (5, 3, 7), (9, 17, 33), (40, 8, 70), (2, 300, 40), (33, 1, 65),
                                   (4, 5, 6, 7)])
def test_every_dim_combination(dtype, shape):
    e0, t0 = _pair((np.random.default_rng(1).standard_normal(shape) * 10).astype(dtype))
    bad = []
    for name, e, t in _views(e0, t0, len(shape)):
        for r in range(1, len(shape) + 1):
            for dims in itertools.combinations(range(len(shape)), r):
                for keepdim in (False, True):
                    if not (_same(e.sum(dims, keepdim=keepdim), t.sum(dims, keepdim=keepdim))
                            and _same(e.mean(dims, keepdim), t.mean(dims, keepdim))):
                        bad.append((name, dims, keepdim))
        if not _same(e.sum(), t.sum()):
            bad.append((name, None))
    assert not bad


@settings(max_examples=40, deadline=None)
@given(shape=st.lists(st.integers(1, 40), min_size=1, max_size=3), data=st.data())
def test_random_shapes(shape, data):
    dims = data.draw(st.lists(st.integers(0, len(shape) - 1), min_size=1, unique=True))
    dtype = data.draw(st.sampled_from(DTYPES))
    e, t = _pair((np.random.default_rng(len(shape)).standard_normal(shape) * 3).astype(dtype))
    if data.draw(st.booleans()) and len(shape) >= 2:
        e, t = e.transpose(0, -1), t.transpose(0, -1)
    assert _same(e.sum(tuple(dims)), t.sum(tuple(dims)))
    assert _same(e.mean(tuple(dims), keepdim=True), t.mean(tuple(dims), keepdim=True))


@pytest.fixture(params=[None, 3], ids=["default_threads", "3_threads"])
def threads(request):
    """torch's thread count (default, or set to 3), given to ember the way a user gives it to torch."""
    before, before_ember = torch.get_num_threads(), ember.get_num_threads()
    if request.param:
        torch.set_num_threads(request.param)
    ember.set_num_threads(torch.get_num_threads())
    yield
    torch.set_num_threads(before)
    ember.set_num_threads(before_ember)


@pytest.mark.parametrize("dtype", DTYPES)
def test_large_inputs_split_across_threads(dtype, threads):
    # from GRAIN elements torch splits the work across its threads
    rng = np.random.default_rng(2)
    bad = []
    for shape, dims in [((40000,), None), ((50001,), None), ((65536,), None), ((300, 200), None),
                        ((200, 300), (0,)), ((1000, 40), (0,)), ((50, 1300), (0,)), ((1300, 50), (1,)),
                        ((8, 100, 50), (0, 2)), ((41, 37, 29), None)]:
        e0, t0 = _pair((rng.standard_normal(shape) * 10).astype(dtype))
        for name, e, t in _views(e0, t0, len(shape)):
            d = dims if name == "contiguous" or dims is None else None
            if not _same(e.sum(d) if d else e.sum(), t.sum(d) if d else t.sum()):
                bad.append((shape, name, d))
    assert not bad


def test_dtype_argument_and_integer_inputs():
    rng = np.random.default_rng(3)
    for n in (7, 100, 1001):
        e, t = _pair(rng.standard_normal(n).astype(np.float16))
        assert _same(e.sum(dtype=ember.float32), t.sum(dtype=torch.float32))
        assert _same(e.sum(dtype=ember.float64), t.sum(dtype=torch.float64))
        e, t = _pair(rng.integers(-10**6, 10**6, n))
        assert _same(e.sum(dtype=ember.float32), t.sum(dtype=torch.float32))
        assert _same(e.mean(dtype=ember.float32), t.mean(dtype=torch.float32))
        assert _same(e.sum(), t.sum())


def test_negative_zero_sums_to_positive_zero():
    e, t = _pair(np.full(5, -0.0, np.float32))
    assert _same(e.sum(), t.sum())
    assert np.signbit(t.sum().numpy()) == np.signbit(e.sum().numpy())


def test_above_small_falls_back_to_numpy():
    a = np.random.default_rng(4).standard_normal(_cascade.SMALL + 1).astype(np.float32)
    e, t = _pair(a)
    np.testing.assert_allclose(e.sum().item(), t.sum().item(), rtol=1e-5)


@pytest.mark.parametrize("n", [1, 7, 64, 100, 1000, 4097])
def test_loss_reductions(n):
    rng = np.random.default_rng(n)
    F, G = torch.nn.functional, ember.nn.functional
    x = (rng.standard_normal((n, 10)) * 3).astype(np.float32)
    y = rng.standard_normal((n, 10)).astype(np.float32)
    target = rng.integers(0, 10, n)
    target[0] = -100  # ignored
    weight = rng.random(10).astype(np.float32)
    (ex, tx), (ey, ty), (et, tt), (ew, tw) = map(_pair, (x, y, target, weight))
    ltx = F.log_softmax(tx, 1)
    lx = ember.from_numpy(ltx.numpy().copy())  # nll's own cascade, apart from log_softmax's exp
    assert _same(G.nll_loss(lx, et), F.nll_loss(ltx, tt))
    assert _same(G.nll_loss(lx, et, weight=ew), F.nll_loss(ltx, tt, weight=tw))
    assert _same(G.nll_loss(lx, et, reduction="sum"), F.nll_loss(ltx, tt, reduction="sum"))
    assert _same(G.mse_loss(ex, ey), F.mse_loss(tx, ty))
    assert _same(G.l1_loss(ex, ey), F.l1_loss(tx, ty))
    assert _same(G.huber_loss(ex, ey), F.huber_loss(tx, ty))


def test_nll_loss_spatial():
    rng = np.random.default_rng(5)
    x = torch.from_numpy((rng.standard_normal((4, 5, 17, 9)) * 3).astype(np.float32)).log_softmax(1)
    target = rng.integers(0, 5, (4, 17, 9))
    target[0, 0, 1] = -100
    e, t = ember.from_numpy(x.numpy().copy()), x
    et, tt = _pair(target)
    assert _same(ember.nn.functional.nll_loss(e, et), torch.nn.functional.nll_loss(t, tt))


def test_softmax_family_mostly_bit_exact():
    # torch's softmax kernels use their own SIMD exp, which is not replayed, so only most values
    # can match; the summation order is what raises the share (NumPy's order: ~45% for softmax)
    rng = np.random.default_rng(6)
    e, t = _pair((rng.standard_normal((200, 100)) * 3).astype(np.float32))
    share = (ember.log_softmax(e, 1).numpy() == torch.log_softmax(t, 1).numpy()).mean()
    assert share > 0.97
    share = (ember.softmax(e, 1).numpy() == torch.softmax(t, 1).numpy()).mean()
    assert share > 0.8
    e, t = _pair((rng.standard_normal((100, 3)) * 3).astype(np.float32))
    assert (ember.softmax(e, 0).numpy() == torch.softmax(t, 0).numpy()).mean() > 0.97
    e, t = _pair((rng.standard_normal((50, 100)) * 3).astype(np.float32))
    assert (ember.logsumexp(e, 1).numpy() == torch.logsumexp(t, 1).numpy()).mean() > 0.95
