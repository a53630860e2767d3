"""In-place float arithmetic on NumPy arrays, rounded the way torch's CPU kernels round.

The optimizers update ``param._data`` (and their state arrays) directly, so a training loop does not
build Tensors for every intermediate. For the trajectories to equal torch's bit for bit, each update
must round like torch's CPU kernels do, which experiments against torch 2.x show to be:

* a Python scalar operand is first rounded to the tensor's dtype (float32 for float32 tensors);
* ``add(other, alpha=a)`` is one fused multiply-add ``fma(other, a, self)``;
* ``addcmul(t1, t2, value=v)`` is ``fma(v * t1, t2, self)``;
* ``addcdiv(t1, t2, value=v)`` is ``self + (v * t1) / t2`` (no fusion);
* ``lerp(end, w)`` is ``fma(w, end - self, self)`` when ``|w| < 0.5``, else
  ``fma(-(end - self), 1 - w, end)``.

NumPy has no fused multiply-add, so for float32 it is computed in float64: the product of two float32
numbers is exact in float64, and the sum is rounded once to 53 bits and then to 24, which equals the
single rounding of a true fma except in vanishingly rare double-rounding ties.
"""
from __future__ import annotations

import threading

import numpy as np

_f32 = np.dtype(np.float32)
_f64 = np.float64

# Large float32 arrays go through the float64 emulation in chunks of this many elements, via
# scratch buffers (2 x 256 KB float64, 128 KB float32) that stay in cache: whole-size temporaries
# would be fresh multi-megabyte allocations (page faults included) per update and per parameter.
CHUNK = 32768
SMALL = 4096  # below this the whole-array path is faster (its temporaries are small heap blocks)
_scratch = threading.local()  # per thread, so optimizers stepping in threads do not share buffers


def scalar(value, arr):
    """A Python number rounded to the array's dtype, as torch's kernels receive it."""
    return arr.dtype.type(value)


def fma(a, b, c, out):
    """out = a * b + c with a single rounding (float32 via float64; other dtypes unfused)."""
    if out.dtype == _f32:
        if out.size > SMALL and _chunkable(out, a, b, c):
            if type(a) is not np.ndarray:  # the product is exact: its operand order does not matter
                a, b = b, a
            a, b, c, flat = _flat(a), _flat(b), _flat(c), out.reshape(-1)
            for sl, wide, tmp, _ in _chunks(flat.shape[0]):
                _fma_block(a[sl], _at(b, sl), _at(c, sl), flat[sl], wide, tmp)
            return out
        if type(a) is np.ndarray and a.shape == out.shape:
            wide = a.astype(_f64)  # one widening pass, then same-type float64 loops (faster than mixed)
            np.multiply(wide, b, out=wide)
        else:
            wide = np.multiply(a, b, dtype=_f64)
        np.add(wide, c, out=wide)
        out[...] = wide
    else:
        np.add(np.multiply(a, b), c, out=out)
    return out


_SCALARS = (float, int, np.float16, np.float32, np.float64)  # exact in float64, as the old path casts


def _chunkable(out, *operands) -> bool:
    """Whether chunk-by-chunk evaluation computes exactly what the whole-array path would.

    It needs one flat element order: a C-contiguous float32 ``out`` and, for each operand, a
    scalar or a C-contiguous float32 array of out's shape that is ``out`` itself or does not
    overlap it (chunk k of ``out`` is written before chunk k+1 of the operands is read), with at
    least one array among the first two. Broadcasting, strided views and other dtypes take the
    whole-array path.
    """
    if type(out) is not np.ndarray or out.dtype != _f32 or not out.flags.c_contiguous:
        return False
    if type(operands[0]) is not np.ndarray and type(operands[1]) is not np.ndarray:
        return False
    for x in operands:
        if type(x) is np.ndarray:
            if (x.dtype != _f32 or x.shape != out.shape or not x.flags.c_contiguous
                    or (x is not out and np.may_share_memory(x, out))):
                return False
        elif not isinstance(x, _SCALARS):
            return False
    return True


def _chunks(n):
    """(slice, float64 scratch, float64 scratch, float32 scratch) for each chunk of ``n`` flat
    elements; the scratch buffers are cut to the chunk's length."""
    bufs = getattr(_scratch, "bufs", None)
    if bufs is None or bufs[0].shape[0] != CHUNK:  # first use in this thread (or CHUNK was changed)
        bufs = _scratch.bufs = (np.empty(CHUNK, _f64), np.empty(CHUNK, _f64), np.empty(CHUNK, _f32))
    wide, tmp, narrow = bufs
    for i in range(0, n, CHUNK):
        m = min(CHUNK, n - i)
        yield slice(i, i + m), wide[:m], tmp[:m], narrow[:m]


def _flat(x):
    """A C-contiguous array operand as a flat view; a scalar operand as it is."""
    return x.reshape(-1) if type(x) is np.ndarray else x


def _at(x, sl):
    """Chunk ``sl`` of a flat array operand; a scalar operand as it is."""
    return x[sl] if type(x) is np.ndarray else x


def _fma_block(a, b, c, out, wide, tmp):
    """One chunk of ``fma``: ``a`` (a float32 array) is widened into ``wide``, multiplied and added
    there (same-type float64 loops: faster than NumPy's mixed-type ones) and rounded into ``out``.
    Per element it is the whole-array path's arithmetic. All arrays here are flat."""
    wide[...] = a
    if type(b) is np.ndarray:
        tmp[...] = b
        b = tmp
    np.multiply(wide, b, out=wide)
    if type(c) is np.ndarray:
        tmp[...] = c
        c = tmp
    np.add(wide, c, out=wide)
    out[...] = wide


def add_(self, other, alpha=1.0):
    """self.add_(other, alpha=alpha)."""
    if alpha == 1:
        np.add(self, other, out=self)
        return self
    return fma(other, scalar(alpha, self), self, self)


def added(self, other, alpha=1.0):
    """self.add(other, alpha=alpha), a new array."""
    return add_(self.copy(), other, alpha)


def mul_(self, value):
    """self.mul_(value) for a Python number."""
    np.multiply(self, scalar(value, self), out=self)
    return self


def addcmul_(self, t1, t2, value=1.0):
    """self.addcmul_(t1, t2, value=value)."""
    v = scalar(value, self)
    if self.size > SMALL and type(t1) is np.ndarray and _chunkable(self, t1, t2):  # v * t1 per chunk
        flat, t1, t2 = self.reshape(-1), t1.reshape(-1), _flat(t2)
        for sl, wide, tmp, narrow in _chunks(flat.shape[0]):
            np.multiply(t1[sl], v, out=narrow)
            _fma_block(narrow, _at(t2, sl), flat[sl], flat[sl], wide, tmp)
        return self
    return fma(np.multiply(t1, v), t2, self, self)


def addcdiv_(self, t1, t2, value=1.0):
    """self.addcdiv_(t1, t2, value=value)."""
    q = np.multiply(t1, scalar(value, self))
    np.divide(q, t2, out=q)
    np.add(self, q, out=self)
    return self


def sqrt(a, out=None):
    """Square root, correctly rounded.

    torch's CPU sqrt (MKL's vector math) is faithful, not correctly rounded: about 15% of float32
    results are one ulp away from NumPy's. This is the one operation where the optimizers' float32
    arithmetic can differ from torch's; the tests swap this function for torch's to show that
    everything else is bit-identical.
    """
    return np.sqrt(a, out=out) if out is not None else np.sqrt(a)


def lerp_(self, end, weight):
    """self.lerp_(end, weight) for a Python-number weight."""
    w = scalar(weight, self)
    if self.size > SMALL and _chunkable(self, end, w):  # end - self per chunk, not stored whole
        flat, end, near, w1 = self.reshape(-1), end.reshape(-1), abs(w) < 0.5, self.dtype.type(1) - w
        for sl, wide, tmp, diff in _chunks(flat.shape[0]):
            np.subtract(end[sl], flat[sl], out=diff)
            if near:
                _fma_block(diff, w, flat[sl], flat[sl], wide, tmp)
            else:
                np.negative(diff, out=diff)
                _fma_block(diff, w1, end[sl], flat[sl], wide, tmp)
        return self
    diff = np.subtract(end, self)
    if abs(w) < 0.5:
        return fma(w, diff, self, self)
    np.negative(diff, out=diff)
    return fma(diff, self.dtype.type(1) - w, end, self)
