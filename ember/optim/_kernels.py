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

import numpy as np

_f32 = np.dtype(np.float32)
_f64 = np.float64


def scalar(value, arr):
    """A Python number rounded to the array's dtype, as torch's kernels receive it."""
    return arr.dtype.type(value)


def fma(a, b, c, out):
    """out = a * b + c with a single rounding (float32 via float64; other dtypes unfused)."""
    if out.dtype == _f32:
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
    return fma(np.multiply(t1, scalar(value, self)), t2, self, self)


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
    diff = np.subtract(end, self)
    if abs(w) < 0.5:
        return fma(w, diff, self, self)
    np.negative(diff, out=diff)
    return fma(diff, self.dtype.type(1) - w, end, self)
