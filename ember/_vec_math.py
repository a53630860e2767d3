"""Bit-exact NumPy versions of the floating-point steps PyTorch's CPU random kernels take.

torch's samplers are C++ compiled with fused multiply-adds (one rounding for ``a*b + c``), a vectorised
float32 log/sin/cos (the Cephes polynomials of the ``avx_mathfun`` family) for the normal fill, and the
C library's double ``log``/``log1p`` elsewhere. NumPy has none of these bit for bit, so this module
rebuilds them:

- ``fma32``/``fma64``: a correctly rounded ``a*b + c``. The product of two float32 values is exact in
  float64; the product of two doubles is split exactly into two doubles (Dekker). The sum is then
  rounded *to odd* at the wider precision, which makes the final rounding correct (Boldo & Melquiond,
  "Emulation of FMA and correctly rounded sums: proved algorithms using rounding to odd").
- ``log_ps``/``sincos_ps``: the Cephes float32 range reductions and polynomials, with the fused steps
  placed where torch's compiled kernel has them (found by comparing against torch on millions of values).
- ``libm_log``/``libm_log1p``/``libm_exp``: the platform C library's double functions, which torch calls
  per element. NumPy's float64 log/log1p are its own SIMD versions and differ in the last bit for a
  few percent of inputs, so the values go through ``math`` (the same libm torch links to) by ``map``.
"""
from __future__ import annotations

import math

import numpy as np

f32 = np.float32


def _round_to_odd_sum(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``x + y`` in float64, rounded to odd: inexact results get an odd last mantissa bit."""
    z = x + y
    bp = z - x
    err = (x - (z - bp)) + (y - bp)  # TwoSum: z + err == x + y exactly
    fix = (err != 0) & ((z.view(np.int64) & 1) == 0)
    if fix.any():
        z = np.where(fix, np.nextafter(z, np.where(err > 0, np.inf, -np.inf)), z)
    return z


def fma32(a, b, c) -> np.ndarray:
    """float32 ``a*b + c`` with a single rounding, like the FMA instruction."""
    a = np.asarray(a, np.float32).astype(np.float64)
    b = np.asarray(b, np.float32).astype(np.float64)
    c = np.asarray(c, np.float32).astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        p = a * b  # exact: 24 + 24 bits fit in 53
        s = p + c
        # rounding s to float32 can only go wrong (double rounding) where s landed exactly on a
        # float32 midpoint, or in float32's subnormal range: redo just those, rounding to odd
        bits = s.view(np.int64)
        risky = ((bits & 0x1FFFFFFF) == 0x10000000) | (np.abs(s) < 2.0 ** -125)
        if risky.any():
            p, c = np.broadcast_arrays(p, c)
            s = s.copy() if s.ndim else s.reshape(1)
            s[risky] = _round_to_odd_sum(p[risky], c[risky])
            s = s.reshape(risky.shape)
        return s.astype(np.float32)


def _two_prod(a: np.ndarray, b: np.ndarray):
    """p, e with p = fl(a*b) and p + e == a*b exactly (Dekker's product with Veltkamp splitting)."""
    p = a * b
    split = 134217729.0  # 2**27 + 1
    t = split * a
    ah = t - (t - a)
    al = a - ah
    t = split * b
    bh = t - (t - b)
    bl = b - bh
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return p, e


def fma64(a, b, c) -> np.ndarray:
    """float64 ``a*b + c`` with a single rounding (exact for finite values away from overflow)."""
    a, b, c = (np.asarray(v, np.float64) for v in (a, b, c))
    with np.errstate(invalid="ignore", over="ignore"):
        p, e = _two_prod(a, b)
        h = c + p
        bp = h - c
        lo = (c - (h - bp)) + (p - bp)
        r = h + _round_to_odd_sum(lo, e)
        # a zero product plus a zero: the sign is IEEE's for p + c (-0 + -0 is -0), which the error
        # terms' +0s would lose; infinities/NaNs make the error terms NaN: the plain expression is
        # right there
        r = np.where((r == 0) & (p == 0) & (e == 0), p + c, r)
        return np.where(np.isfinite(r), r, a * b + c)


def log_ps(x: np.ndarray) -> np.ndarray:
    """float32 natural log as torch's vectorised normal kernel computes it (Cephes logf)."""
    x = np.asarray(x, np.float32)
    invalid = x <= 0
    x = np.maximum(x, f32(1.17549435e-38))  # denormals are cut off
    bits = x.view(np.int32)
    e = ((bits >> 23) - 0x7F).astype(np.float32) + f32(1)
    x = ((bits & ~0x7F800000) | 0x3F000000).view(np.float32)  # mantissa in [0.5, 1)
    small = x < f32(0.707106781186547524)
    tmp = np.where(small, x, f32(0))
    x = x - f32(1)
    e = e - np.where(small, f32(1), f32(0))
    x = x + tmp
    z = x * x
    y = np.full_like(x, f32(7.0376836292e-2))
    for coef in (-1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1,
                 -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1):
        y = fma32(y, x, f32(coef))
    y = fma32(y * x, z, e * f32(-2.12194440e-4))
    y = fma32(-z, f32(0.5), y)
    x = x + y
    x = fma32(e, f32(0.693359375), x)
    return np.where(invalid, f32(np.nan), x)


def sincos_ps(x: np.ndarray):
    """float32 (sin, cos) as torch's vectorised normal kernel computes them (Cephes sinf/cosf)."""
    x = np.asarray(x, np.float32)
    sign_sin = np.signbit(x)
    x = np.abs(x)
    j = (x * f32(1.27323954473516)).astype(np.int32)  # 4/pi, truncated
    j = (j + 1) & ~1
    y = j.astype(np.float32)
    sign_sin = sign_sin ^ ((j & 4) != 0)
    use_sin_poly = (j & 2) != 0
    sign_cos = ((~(j - 2)) & 4) != 0
    # extended-precision reduction x - y*pi/4 in three pieces
    x = fma32(y, f32(-0.78515625), x)
    x = fma32(y, f32(-2.4187564849853515625e-4), x)
    x = fma32(y, f32(-3.77489497744594108e-8), x)
    z = x * x
    yc = fma32(f32(2.443315711809948e-005), z, f32(-1.388731625493765e-003))
    yc = fma32(yc, z, f32(4.166664568298827e-002))
    yc = fma32(yc * z, z, -(z * f32(0.5))) + f32(1)
    ys = fma32(f32(-1.9515295891e-4), z, f32(8.3321608736e-3))
    ys = fma32(ys, z, f32(-1.6666654611e-1))
    ys = fma32(ys * z, x, x)
    s = np.where(use_sin_poly, yc, ys)
    c = np.where(use_sin_poly, ys, yc)
    return np.where(sign_sin, -s, s), np.where(sign_cos, -c, c)


def _libm(fn, x: np.ndarray, at_domain_error) -> np.ndarray:
    x = np.asarray(x, np.float64)
    values = x.ravel().tolist()
    try:
        out = np.fromiter(map(fn, values), np.float64, x.size)
    except (ValueError, OverflowError):  # math raises where C returns inf/nan: take C's values
        def c_call(v):
            try:
                return fn(v)
            except (ValueError, OverflowError):
                return at_domain_error(v)
        out = np.fromiter(map(c_call, values), np.float64, x.size)
    return out.reshape(x.shape)


def libm_log(x: np.ndarray) -> np.ndarray:
    """The C library's double log (torch's std::log), elementwise."""
    return _libm(math.log, x, lambda v: -math.inf if v == 0 else math.nan)


def libm_log1p(x: np.ndarray) -> np.ndarray:
    """The C library's double log1p (torch's std::log1p), elementwise."""
    return _libm(math.log1p, x, lambda v: -math.inf if v == -1 else math.nan)


def libm_exp(x: np.ndarray) -> np.ndarray:
    """The C library's double exp, elementwise."""
    return _libm(math.exp, x, lambda v: math.inf)


def libm_tan(x: np.ndarray) -> np.ndarray:
    """The C library's double tan, elementwise."""
    return _libm(math.tan, x, lambda v: math.nan)
