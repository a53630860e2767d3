"""Special functions: lgamma, digamma, polygamma, erf, erfc, erfinv, xlogy.

NumPy has none of these, so each forward evaluates a classic series / approximation on whole arrays
(no per-element Python loop: the loops below run over series terms, with every element at once).
Work is done in float64 and cast back, so float32 inputs get float32-rounded float64 results.
Backwards are written in ember ops, so they can be differentiated again where torch allows it.
"""
from __future__ import annotations

import math

from ._registry import primitive

__all__ = ["digamma", "erf", "erfc", "erfinv", "lgamma", "polygamma", "xlogy"]

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
# Lanczos approximation, g = 7, nine coefficients (double precision accuracy for x >= 0.5)
_LANCZOS_G = 7.0
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
            1.5056327351493116e-7)
# Bernoulli numbers B_2 .. B_14 for the asymptotic series of digamma / polygamma
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)


def _f64(xp, x):
    return xp.asarray(x, dtype=xp.float64)


def lgamma_array(xp, x):
    """log|Gamma(x)| on a float64 array (Lanczos, with the reflection formula below 0.5)."""
    x = _f64(xp, x)
    small = x < 0.5
    z = xp.where(small, 1.0 - x, x) - 1.0  # Lanczos form evaluated at z + 1 >= 0.5
    a = xp.full_like(z, _LANCZOS[0])
    for i in range(1, len(_LANCZOS)):
        a = a + _LANCZOS[i] / (z + i)
    t = z + _LANCZOS_G + 0.5
    big = _LOG_SQRT_2PI + (z + 0.5) * xp.log(t) - t + xp.log(a)
    with_reflection = math.log(math.pi) - xp.log(xp.abs(xp.sin(math.pi * x))) - big
    out = xp.where(small, with_reflection, big)
    out = xp.where((x <= 0) & (x == xp.floor(x)), math.inf, out)  # poles
    out = xp.where((x == 1) | (x == 2), 0.0, out)  # exact zeros, as torch gives
    out = xp.where(xp.isinf(x), math.inf, out)
    return xp.where(xp.isnan(x), math.nan, out)


def _asymptotic_polygamma(xp, n: int, x):
    """The tail sum (-1)^(n+1) psi^(n)(x) for large x (x >= 15 here)."""
    out = math.factorial(n - 1) / x ** n + math.factorial(n) / (2 * x ** (n + 1))
    for k, b in enumerate(_BERNOULLI, start=1):
        out = out + b * math.factorial(2 * k + n - 1) / math.factorial(2 * k) / x ** (2 * k + n)
    return out


def digamma_array(xp, x):
    """psi(x) = d/dx log Gamma(x): reflection for x < 0, upward recurrence, asymptotic series."""
    x = _f64(xp, x)
    neg = x < 0
    y = xp.where(neg, 1.0 - x, x)
    acc = xp.zeros_like(y)
    for _ in range(10):  # psi(y) = psi(y + 1) - 1/y until every element is >= 10
        low = y < 10
        acc = acc - xp.where(low, 1.0 / xp.where(low, y, 1.0), 0.0)
        y = xp.where(low, y + 1, y)
    y2 = 1.0 / (y * y)
    series = xp.log(y) - 0.5 / y
    tail = xp.zeros_like(y)
    for k in range(len(_BERNOULLI) - 1, -1, -1):
        tail = tail * y2 + _BERNOULLI[k] / (2 * (k + 1))
    out = acc + series - tail * y2
    out = xp.where(neg, out - math.pi / xp.tan(math.pi * x), out)
    out = xp.where(x == 0, -math.inf, out)  # torch: -inf at 0, nan at the negative integers
    out = xp.where(neg & (x == xp.floor(x)), math.nan, out)
    return xp.where(x == math.inf, math.inf, out)


def polygamma_array(xp, n: int, x):
    """psi^(n)(x) for n >= 1 (recurrence up to 15 + n, then the asymptotic series)."""
    if n == 0:
        return digamma_array(xp, x)
    x = _f64(xp, x)
    y = x.copy()
    acc = xp.zeros_like(y)
    start = 15.0 + n
    steps = int(max(0.0, math.ceil(start - float(xp.min(x)))) if x.size else 0)
    for _ in range(min(steps, 100000)):
        low = y < start
        safe = xp.where(low, y, 1.0)
        acc = acc + xp.where(low, math.factorial(n) / safe ** (n + 1), 0.0)
        y = xp.where(low, y + 1, y)
    sign = 1.0 if n % 2 == 1 else -1.0
    out = sign * (acc + _asymptotic_polygamma(xp, n, y))
    return xp.where((x <= 0) & (x == xp.floor(x)), math.inf if n % 2 == 1 else math.nan, out)


def erf_array(xp, x):
    """erf by an all-positive power series near 0 and erfc's continued fraction beyond 3."""
    x = _f64(xp, x)
    ax = xp.abs(x)
    near = xp.minimum(ax, 3.0)
    term = near.copy()
    total = near.copy()
    for n in range(1, 120):  # erf(x) = 2/sqrt(pi) e^{-x^2} sum (2x^2)^n x / (1*3*...*(2n+1))
        term = term * (2.0 * near * near) / (2 * n + 1)
        total = total + term
    series = _TWO_OVER_SQRT_PI * xp.exp(-near * near) * total
    far = xp.maximum(ax, 3.0)
    erfc_far = _erfc_cf(xp, far)
    out = xp.where(ax < 3.0, series, 1.0 - erfc_far)
    return xp.where(xp.isnan(x), math.nan, xp.copysign(out, x))


def _erfc_cf(xp, x):
    """erfc(x) for x >= 3: e^{-x^2}/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))."""
    f = x.copy()
    for k in range(80, 0, -1):
        f = x + (k / 2.0) / f
    return xp.exp(-x * x) / math.sqrt(math.pi) / f


def erfc_array(xp, x):
    x = _f64(xp, x)
    ax = xp.abs(x)
    far = _erfc_cf(xp, xp.maximum(ax, 3.0))
    pos = xp.where(ax < 3.0, 1.0 - erf_array(xp, ax), far)
    return xp.where(x < 0, 2.0 - pos, pos)


def erfinv_array(xp, y):
    """erfinv: Giles' single-precision approximation, polished by Newton steps on erf."""
    y = _f64(xp, y)
    inside = xp.abs(y) < 1
    yc = xp.where(inside, y, 0.0)
    w = -xp.log((1.0 - yc) * (1.0 + yc))
    w1 = w - 2.5
    p1 = 2.81022636e-08
    for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
              -0.00417768164, 0.246640727, 1.50140941):
        p1 = c + p1 * w1
    w2 = xp.sqrt(w) - 3.0
    p2 = -0.000200214257
    for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
              0.00943887047, 1.00167406, 2.83297682):
        p2 = c + p2 * w2
    x = xp.where(w < 5.0, p1, p2) * yc
    for _ in range(3):  # Newton on erf(x) = y; the derivative is 2/sqrt(pi) e^{-x^2}
        x = x - (erf_array(xp, x) - yc) / (_TWO_OVER_SQRT_PI * xp.exp(-x * x))
    x = xp.where(y == 1, math.inf, xp.where(y == -1, -math.inf, x))
    return xp.where(inside | (xp.abs(y) == 1), x, math.nan)


def _cast(xp, out, like):
    return out.astype(like.dtype, copy=False) if hasattr(like, "dtype") else out


# --------------------------------------------------------------------------- primitives
@primitive(elementwise=True, to_float=True)
class Lgamma:
    def forward(xp, x):
        return _cast(xp, lgamma_array(xp, x), x)

    def backward(grad, x):
        return grad * digamma(x)


@primitive(elementwise=True, to_float=True)
class Digamma:
    def forward(xp, x):
        return _cast(xp, digamma_array(xp, x), x)

    def backward(grad, x):
        return grad * polygamma(1, x)


@primitive(elementwise=True, to_float=True)
class Polygamma:
    def forward(xp, x, n=1):
        return _cast(xp, polygamma_array(xp, n, x), x)

    def backward(grad, x, n=1):
        return grad * polygamma(n + 1, x)


@primitive(elementwise=True, to_float=True)
class Erf:
    def forward(xp, x):
        return _cast(xp, erf_array(xp, x), x)

    def backward(grad, x):
        from .pointwise import exp
        return grad * _TWO_OVER_SQRT_PI * exp(-(x * x))


@primitive(elementwise=True, to_float=True)
class Erfc:
    def forward(xp, x):
        return _cast(xp, erfc_array(xp, x), x)

    def backward(grad, x):
        from .pointwise import exp
        return grad * (-_TWO_OVER_SQRT_PI) * exp(-(x * x))


@primitive(elementwise=True, to_float=True, saves=("result",))
class Erfinv:
    def forward(xp, x):
        return _cast(xp, erfinv_array(xp, x), x)

    def backward(grad, x, result):
        from .pointwise import exp
        return grad * (0.5 * math.sqrt(math.pi)) * exp(result * result)


@primitive(elementwise=True, to_float=True)
class Xlogy:
    grad_fn = "XlogyBackward0"

    def forward(xp, x, y):
        with_log = x * xp.log(xp.where(x == 0, 1, y))
        out = xp.where(x == 0, 0, with_log)
        return xp.where(xp.isnan(y), math.nan, out).astype(with_log.dtype, copy=False)

    def backward(grad, x, y):
        from .pointwise import log, where
        # d/dx x log y = log y, also at x == 0 (the function is continuous there); 0 where y <= 0
        gx = grad * where((x == 0) & (y <= 0), 0.0, log(y))
        gy = grad * x / y
        return gx, gy


# --------------------------------------------------------------------------- functions
def lgamma(input, *, out=None):
    """Natural log of the absolute value of the gamma function."""
    return Lgamma.apply(input)


def digamma(input, *, out=None):
    """The logarithmic derivative of the gamma function (psi)."""
    return Digamma.apply(input)


def polygamma(n: int, input, *, out=None):
    """The n-th derivative of digamma (n >= 0)."""
    if not isinstance(n, int) or n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    if n == 0:
        return digamma(input)
    return Polygamma.apply(input, n=n)


def erf(input, *, out=None):
    """The Gauss error function."""
    return Erf.apply(input)


def erfc(input, *, out=None):
    """The complementary error function, 1 - erf(x), accurate in the tail."""
    return Erfc.apply(input)


def erfinv(input, *, out=None):
    """The inverse of erf on (-1, 1)."""
    return Erfinv.apply(input)


def xlogy(input, other, *, out=None):
    """x * log(y), with 0 where x == 0 (unless y is nan)."""
    return Xlogy.apply(input, other)
