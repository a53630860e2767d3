"""Samplers torch runs in C++ (gamma, Poisson, binomial), here vectorised over ember's generator.

Each sampler draws uniforms / normals from ember's global generator (so ``manual_seed`` makes them
reproducible) and runs a rejection method on every pending element at once: a round draws one
proposal per element not yet accepted, until none is left. The streams differ from torch's, the
distributions do not.

``standard_gamma`` is differentiable: the gradient of a gamma sample with respect to its
concentration is the implicit reparameterisation dx/da = -(dP/da) / (dP/dx), with P(a, x) the
regularised lower incomplete gamma function (the sample's own CDF).
"""
from __future__ import annotations

import numpy as np

import ember
from ember.ops._registry import primitive
from ember.ops.special import lgamma_array


def _uniform(n: int) -> np.ndarray:
    return ember.rand(n, dtype=ember.float64)._data


def _normal(n: int) -> np.ndarray:
    return ember.randn(n, dtype=ember.float64)._data


# --------------------------------------------------------------------------- incomplete gamma
def gammainc_array(a, x):
    """Regularised lower incomplete gamma P(a, x) (series below a + 1, continued fraction above)."""
    a = np.asarray(a, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    a, x = np.broadcast_arrays(a, x)
    out = np.zeros(a.shape)
    pos = (x > 0) & (a > 0)
    use_series = pos & (x < a + 1)
    use_cf = pos & ~use_series
    log_front = np.where(pos, a * np.log(np.where(pos, x, 1.0)) - x - lgamma_array(np, a), 0.0)
    if use_series.any():
        aa, xx = a[use_series], x[use_series]
        term = 1.0 / aa
        total = term.copy()
        n = 1
        while n < 2000:  # terms shrink geometrically once a + n > x
            term = term * xx / (aa + n)
            total = total + term
            n += 1
            if np.all(np.abs(term) < np.abs(total) * 1e-17):
                break
        out[use_series] = total * np.exp(log_front[use_series])
    if use_cf.any():  # modified Lentz for the continued fraction of Q(a, x)
        aa, xx = a[use_cf], x[use_cf]
        tiny = 1e-300
        b = xx + 1.0 - aa
        c = np.full_like(b, 1.0 / tiny)
        d = 1.0 / b
        h = d.copy()
        for i in range(1, 2000):
            an = -i * (i - aa)
            b = b + 2.0
            d = an * d + b
            d = np.where(np.abs(d) < tiny, tiny, d)
            c = b + an / c
            c = np.where(np.abs(c) < tiny, tiny, c)
            d = 1.0 / d
            delta = d * c
            h = h * delta
            if np.all(np.abs(delta - 1.0) < 1e-16):
                break
        out[use_cf] = 1.0 - np.exp(log_front[use_cf]) * h
    out = np.where(np.isinf(x) & (x > 0), 1.0, out)
    return np.where(np.isnan(a) | np.isnan(x) | (a <= 0), np.nan, out)


def standard_gamma_grad_array(alpha, x):
    """d x / d alpha for x ~ Gamma(alpha, 1) held at fixed CDF value (implicit differentiation).

    dP/dx is the density; dP/dalpha is a central difference of P in alpha, whose step balances the
    O(h^2) truncation against P's ~1e-15 rounding.
    """
    alpha = np.asarray(alpha, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    h = 1e-5 * np.maximum(alpha, 1e-2)
    dp_da = (gammainc_array(alpha + h, x) - gammainc_array(alpha - h, x)) / (2 * h)
    log_density = (alpha - 1) * np.log(x) - x - lgamma_array(np, alpha)
    grad = -dp_da / np.exp(log_density)
    return np.where(np.isfinite(grad), grad, 0.0)


# --------------------------------------------------------------------------- samplers
def sample_standard_gamma(alpha) -> np.ndarray:
    """Gamma(alpha, 1) draws: Marsaglia and Tsang's squeeze method, boosted for alpha < 1."""
    alpha = np.asarray(alpha, dtype=np.float64)
    flat = alpha.reshape(-1)
    boost = flat < 1
    a = np.where(boost, flat + 1.0, flat)
    d = a - 1.0 / 3.0
    c = 1.0 / np.sqrt(9.0 * d)
    out = np.empty_like(flat)
    pending = np.arange(flat.size)
    while pending.size:
        z = _normal(pending.size)
        u = _uniform(pending.size)
        dp, cp = d[pending], c[pending]
        v = (1.0 + cp * z) ** 3
        ok = v > 0
        logv = np.log(np.where(ok, v, 1.0))
        accept = ok & (np.log(u) < 0.5 * z * z + dp - dp * v + dp * logv)
        out[pending[accept]] = (dp * v)[accept]
        pending = pending[~accept]
    if boost.any():  # Gamma(a) = Gamma(a + 1) * U^(1/a)
        idx = np.nonzero(boost)[0]
        u = _uniform(idx.size)
        out[idx] = out[idx] * u ** (1.0 / flat[idx])
    return out.reshape(alpha.shape)


def sample_poisson(rate) -> np.ndarray:
    """Poisson draws: inversion for rates below 10, Hormann's PTRS rejection above."""
    rate = np.asarray(rate, dtype=np.float64)
    flat = rate.reshape(-1)
    out = np.zeros(flat.size)
    small = np.nonzero((flat > 0) & (flat < 10))[0]
    if small.size:  # multiply uniforms until the product drops below e^{-rate}
        limit = np.exp(-flat[small])
        prod = _uniform(small.size)
        count = np.zeros(small.size)
        active = prod > limit
        while active.any():
            idx = np.nonzero(active)[0]
            count[idx] += 1
            prod[idx] *= _uniform(idx.size)
            active = prod > limit
        out[small] = count
    big = np.nonzero(flat >= 10)[0]
    pending = big
    while pending.size:
        lam = flat[pending]
        slam, loglam = np.sqrt(lam), np.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        u = _uniform(pending.size) - 0.5
        v = _uniform(pending.size)
        us = 0.5 - np.abs(u)
        k = np.floor((2 * a / us + b) * u + lam + 0.43)
        quick = (us >= 0.07) & (v <= vr)
        valid = (k >= 0) & ~((us < 0.013) & (v > us))
        lhs = np.log(v) + np.log(inv_alpha) - np.log(a / (us * us) + b)
        rhs = -lam + k * loglam - lgamma_array(np, np.maximum(k, 0) + 1)
        accept = quick | (valid & (lhs <= rhs))
        out[pending[accept]] = k[accept]
        pending = pending[~accept]
    out = np.where(np.isnan(flat), np.nan, out)
    return out.reshape(rate.shape)


def sample_binomial(count, prob) -> np.ndarray:
    """Binomial draws: inversion when n*min(p, 1-p) < 10, Hormann's BTRS rejection otherwise."""
    count, prob = np.broadcast_arrays(np.asarray(count, np.float64), np.asarray(prob, np.float64))
    n = count.reshape(-1).copy()
    p_in = prob.reshape(-1)
    flip = p_in > 0.5
    p = np.where(flip, 1.0 - p_in, p_in)
    out = np.zeros(n.size)
    small = np.nonzero((n * p < 10) & (p > 0) & (n > 0))[0]
    if small.size:  # walk the CDF from 0 until it passes a uniform
        ns, ps = n[small], p[small]
        q = 1.0 - ps
        pmf = np.exp(ns * np.log(q))
        cdf = pmf.copy()
        u = _uniform(small.size)
        k = np.zeros(small.size)
        active = (u > cdf) & (k < ns)
        while active.any():
            k = np.where(active, k + 1, k)
            ratio = (ns - k + 1) / np.maximum(k, 1) * ps / q
            pmf = np.where(active, pmf * ratio, pmf)
            cdf = np.where(active, cdf + pmf, cdf)
            active = active & (u > cdf) & (k < ns)
        out[small] = k
    pending = np.nonzero((n * p >= 10) & (p > 0))[0]
    while pending.size:
        nn, pp = n[pending], p[pending]
        q = 1.0 - pp
        spq = np.sqrt(nn * pp * q)
        b = 1.15 + 2.53 * spq
        a = -0.0873 + 0.0248 * b + 0.01 * pp
        c = nn * pp + 0.5
        vr = 0.92 - 4.2 / b
        alpha = (2.83 + 5.1 / b) * spq
        lpq = np.log(pp / q)
        m = np.floor((nn + 1) * pp)
        h = lgamma_array(np, m + 1) + lgamma_array(np, nn - m + 1)
        u = _uniform(pending.size) - 0.5
        v = _uniform(pending.size)
        us = 0.5 - np.abs(u)
        k = np.floor((2 * a / us + b) * u + c)
        in_range = (k >= 0) & (k <= nn)
        quick = in_range & (us >= 0.07) & (v <= vr)
        kc = np.clip(k, 0, nn)
        lhs = np.log(v * alpha / (a / (us * us) + b))
        rhs = h - lgamma_array(np, kc + 1) - lgamma_array(np, nn - kc + 1) + (kc - m) * lpq
        accept = quick | (in_range & (lhs <= rhs))
        out[pending[accept]] = k[accept]
        pending = pending[~accept]
    out = np.where(flip, n - out, out)
    out = np.where(np.isnan(p_in) | np.isnan(n), np.nan, out)
    return out.reshape(count.shape)


# --------------------------------------------------------------------------- differentiable gamma
@primitive(saves=("alpha", "result"))
class _StandardGamma:
    grad_fn = "StandardGammaBackward0"

    def forward(xp, alpha):
        x = sample_standard_gamma(alpha)
        tiny = float(np.finfo(alpha.dtype).tiny)
        return np.maximum(x, tiny).astype(alpha.dtype)  # torch clamps draws away from 0

    def backward(grad, alpha, result):
        # the implicit gradient is computed on arrays: torch's _standard_gamma_grad has no
        # derivative of its own either (no double backward through a gamma sample)
        g = standard_gamma_grad_array(alpha.detach()._data, result.detach()._data)
        return grad * ember.as_tensor(g.astype(alpha._data.dtype))


def standard_gamma(concentration):
    """Gamma(concentration, 1) samples of the same shape, differentiable in concentration."""
    return _StandardGamma.apply(concentration)
