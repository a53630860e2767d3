"""The optimizers' float32 fused multiply-add in chunks (ember/optim/_kernels.py) against the
whole-array computation and against torch, bit for bit.

Large contiguous float32 arrays are processed chunk by chunk through reused float64 scratch buffers;
every result must equal the whole-array emulation (widen to float64, one multiply, one add, round
once), at and around the chunk boundaries, for every operand placement and scalar type, and the
cases the chunked path refuses (broadcasting, strided views, overlap, other dtypes) must still work.
"""
from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ember.optim import _kernels as K

torch = pytest.importorskip("torch")


def _ref_fma(a, b, c, out):
    """The whole-array emulation: exact float32 product in float64, one float64 add, one rounding."""
    wide = np.multiply(np.asarray(a, np.float64) if isinstance(a, np.ndarray) else a,
                       np.asarray(b, np.float64) if isinstance(b, np.ndarray) else b, dtype=np.float64)
    wide = np.add(wide, c, dtype=np.float64)
    out[...] = wide
    return out


def _ref_addcmul_(self, t1, t2, value):
    return _ref_fma(np.multiply(t1, self.dtype.type(value)), t2, self, self)


def _ref_lerp_(self, end, weight):
    w = self.dtype.type(weight)
    diff = np.subtract(end, self)
    if abs(w) < 0.5:
        return _ref_fma(w, diff, self, self)
    return _ref_fma(-diff, self.dtype.type(1) - w, end, self)


def _arrays(n, seed=0, k=3, dtype=np.float32):
    rng = np.random.default_rng(seed)
    # wide exponent range so that products and sums round in every way, plus a few zeros/-0.0
    out = [(rng.standard_normal(n) * 10.0 ** rng.integers(-6, 6, n)).astype(dtype) for _ in range(k)]
    for x in out:
        x[rng.integers(0, n, max(1, n // 50))] = -0.0
    return out


def _same(x, y):
    return x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()


_SIZES = [K.SMALL + 1, K.CHUNK - 1, K.CHUNK, K.CHUNK + 1, 2 * K.CHUNK, 3 * K.CHUNK + 17]


@pytest.mark.parametrize("n", _SIZES)
def test_fma_chunks_equal_whole_array_at_chunk_boundaries(n):
    a, b, c = _arrays(n, n)
    for b_ in (b, np.float32(-0.0123), -0.0123, 3, np.float64(1e-3), np.float16(0.5)):
        for c_ in (c, np.float32(2.5)):
            got = K.fma(a, b_, c_, np.empty_like(a))
            assert _same(got, _ref_fma(a, b_, c_, np.empty_like(a))), (type(b_), type(c_))
    # a scalar first operand (lerp's order) and out aliasing c (every in-place update)
    got = K.fma(np.float32(0.1), b, c, c.copy())
    assert _same(got, _ref_fma(np.float32(0.1), b, c, np.empty_like(c)))
    x = c.copy()
    assert K.fma(a, np.float32(-0.05), x, x) is x
    assert _same(x, _ref_fma(a, np.float32(-0.05), c, np.empty_like(c)))


@pytest.mark.parametrize("n", _SIZES)
def test_update_kernels_equal_whole_array(n):
    p, g, h = _arrays(n, n + 1)
    shape = (n,) if n % 7 else (7, n // 7)
    p, g, h = p.reshape(shape), g.reshape(shape), h.reshape(shape)
    x, r = p.copy(), p.copy()
    assert _same(K.add_(x, g, -0.05), _ref_fma(g, np.float32(-0.05), r, r))
    x, r = p.copy(), p.copy()
    assert _same(K.added(x, g, 0.01), _ref_fma(g, np.float32(0.01), r, r.copy()))
    x, r = p.copy(), p.copy()
    assert _same(K.addcmul_(x, g, h, 0.001), _ref_addcmul_(r, g, h, 0.001))
    x, r = p.copy(), p.copy()
    assert _same(K.addcmul_(x, g, g, 1 - 0.999), _ref_addcmul_(r, g, g, 1 - 0.999))
    for w in (0.1, -0.3, 0.5, 0.9, 1.7):
        x, r = p.copy(), p.copy()
        assert _same(K.lerp_(x, g, w), _ref_lerp_(r, g, w)), w


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 700), chunk=st.sampled_from([8, 64, 100]), seed=st.integers(0, 2**16),
       kind=st.sampled_from(["add_", "addcmul_", "lerp_near", "lerp_far", "fma_scalar_a"]))
def test_many_chunks_any_size(n, chunk, seed, kind):
    # small CHUNK and SMALL so that every size, multiple of the chunk or not, goes through the
    # chunked path in several pieces
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(K, "CHUNK", chunk)
        mp.setattr(K, "SMALL", 0)
        got, want = _run_kind(n, seed, kind)
    assert _same(got, want)


def _run_kind(n, seed, kind):
    p, g, h = _arrays(n, seed)
    x, r = p.copy(), p.copy()
    if kind == "add_":
        got, want = K.add_(x, g, -0.07), _ref_fma(g, np.float32(-0.07), r, r)
    elif kind == "addcmul_":
        got, want = K.addcmul_(x, g, h, 0.3), _ref_addcmul_(r, g, h, 0.3)
    elif kind == "lerp_near":
        got, want = K.lerp_(x, g, 0.1), _ref_lerp_(r, g, 0.1)
    elif kind == "lerp_far":
        got, want = K.lerp_(x, g, 0.8), _ref_lerp_(r, g, 0.8)
    else:
        got, want = K.fma(np.float32(1.5), g, h, x), _ref_fma(np.float32(1.5), g, h, r)
    return got, want


def test_layouts_the_chunked_path_refuses_still_compute_the_same():
    n = 3 * K.CHUNK
    a, b, c = _arrays(n, 5)
    # out strided (a column view of a 2-D array)
    big = np.zeros((n, 2), np.float32)
    K.fma(a, np.float32(0.3), c, big[:, 0])
    assert _same(big[:, 0].copy(), _ref_fma(a, np.float32(0.3), c, np.empty_like(a)))
    # an operand that broadcasts
    m = a.reshape(-1, 96)
    row = b[:96].copy()
    assert _same(K.fma(m, row, c.reshape(-1, 96), np.empty_like(m)),
                 _ref_fma(m, row, c.reshape(-1, 96), np.empty_like(m)))
    # an operand overlapping out at an offset: whole-array semantics (all reads before any write)
    buf = np.concatenate([a, a[:7]])
    want = _ref_fma(buf[7:7 + n].copy(), np.float32(0.5), c, np.empty_like(c))
    assert _same(K.fma(buf[7:7 + n], np.float32(0.5), c, buf[:n]), want)
    # float64 and float16 arrays: unchanged (unfused) arithmetic
    for dt in (np.float64, np.float16):
        x, y, z = _arrays(n, 6, dtype=dt)
        assert _same(K.fma(x, dt(0.25), z, np.empty_like(x)), np.add(np.multiply(x, dt(0.25)), z))
        assert _same(K.add_(x.copy(), y, 0.1), np.add(np.multiply(y, dt(0.1)), x))
    # a float64 operand into a float32 out, and a 0-d array scalar
    d = b.astype(np.float64)
    assert _same(K.fma(a, d, c, np.empty_like(a)), _ref_fma(a, d, c, np.empty_like(a)))
    z0 = np.array(0.25, np.float32)
    assert _same(K.fma(a, z0, c, np.empty_like(a)), _ref_fma(a, z0, c, np.empty_like(a)))


def test_threads_use_their_own_scratch():
    arrays = [_arrays(2 * K.CHUNK + 5, s) for s in range(4)]
    results = [None] * 4

    def work(i):
        p, g, _ = arrays[i]
        x = p.copy()
        for _ in range(20):
            K.add_(x, g, -0.01 * (i + 1))
        results[i] = x

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, (p, g, _) in enumerate(arrays):
        r = p.copy()
        for _ in range(20):
            _ref_fma(g, np.float32(-0.01 * (i + 1)), r, r)
        assert _same(results[i], r)


@pytest.mark.parametrize("n", [K.CHUNK + 3, 100_003])
def test_large_updates_equal_torch(n):
    p, g, h = (x.astype(np.float32) for x in _arrays(n, 9))
    p, g, h = np.clip(p, -1e4, 1e4), np.clip(g, -1e4, 1e4), np.abs(np.clip(h, -1e4, 1e4))
    e, t = p.copy(), torch.from_numpy(p.copy())
    K.add_(e, g, -0.0123)
    t.add_(torch.from_numpy(g), alpha=-0.0123)
    assert _same(e, t.numpy())
    e, t = p.copy(), torch.from_numpy(p.copy())
    K.addcmul_(e, g, h, 0.37)
    t.addcmul_(torch.from_numpy(g), torch.from_numpy(h), value=0.37)
    assert _same(e, t.numpy())
    for w in (0.1, 0.9):
        e, t = p.copy(), torch.from_numpy(p.copy())
        K.lerp_(e, g, w)
        t.lerp_(torch.from_numpy(g), w)
        assert _same(e, t.numpy()), w
