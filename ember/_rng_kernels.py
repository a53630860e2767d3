"""Sampling kernels: the next n values of each distribution, drawn from an Engine the way torch's CPU does.

Each function returns a flat NumPy array holding the values in the order torch writes them (memory
order of the output); ember/random.py shapes them and puts them in tensors. The conversions follow
torch 2.13's CPU kernels, established by comparing bit patterns with it:

- float32/float16 draws use 24 bits of one word, float64 draws 53 bits of a 64-bit draw;
- ``uniform_(a, b)`` is ``fma(u, b - a, a)`` and a value that rounds up to ``b`` becomes ``a``;
- ``normal_`` on 16 or more contiguous elements fills uniforms first and turns each block of 16 into
  normals (Box-Muller, u1 = 1 - d[j], u2 = d[j + 8]); a tail that is not a whole block redraws 16
  uniforms and recomputes the last 16 values (float16 draws uniforms only for whole blocks before
  that, as it fills through a 16-float buffer). float32 (and float16, through float32) use the vectorised
  Cephes log/sin/cos, float64 the C library's. Fewer elements (or a strided output) take a per-element
  double Box-Muller that caches its second value in the generator;
- integer ranges below 2**28 take ``w % range`` of one word, wider ranges of a 64-bit draw.
"""
from __future__ import annotations

import math

import numpy as np

from ._mt19937 import Engine
from ._vec_math import fma32, fma64, libm_exp, libm_log, libm_log1p, libm_tan, log_ps, sincos_ps

_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_TWO_PI = 2.0 * math.pi


def _is_double(npdt) -> bool:
    return np.dtype(npdt) == _F64


def _cast(values: np.ndarray, npdt) -> np.ndarray:
    """Cast like C++'s static_cast: a double (or int64) reaches float16 through float32."""
    if np.dtype(npdt) == np.float16 and values.dtype != _F32:
        values = values.astype(_F32)
    return values.astype(npdt)


# --------------------------------------------------------------------------- uniform
def uniform(eng: Engine, n: int, npdt, low: float, high: float) -> np.ndarray:
    """torch's uniform_(low, high): fused u*(high-low)+low; a result equal to high becomes low."""
    npdt = np.dtype(npdt)
    if _is_double(npdt):
        out = fma64(eng.uniform53(n), float(high) - float(low), float(low))
    else:
        lo, hi = np.float32(low), np.float32(high)
        out = fma32(eng.uniform24(n), hi - lo, lo).astype(npdt)
    top = np.asarray(high).astype(npdt)
    return np.where(out == top, np.asarray(low).astype(npdt), out)


# --------------------------------------------------------------------------- normal
def _box_muller_blocks32(d: np.ndarray, mean: float, std: float) -> np.ndarray:
    """Blocks of 16 float32 uniforms -> 16 normals each (torch's vectorised float kernel)."""
    d = d.reshape(-1, 16)
    chunk = 4096  # rows per pass: keeps the many float64 temporaries of the exact FMAs in cache
    if len(d) > chunk:
        return np.concatenate([_box_muller_blocks32(d[i:i + chunk], mean, std)
                               for i in range(0, len(d), chunk)])
    u1 = np.float32(1) - d[:, :8]
    u2 = d[:, 8:]
    radius = np.sqrt(np.float32(-2) * log_ps(u1))
    sin_t, cos_t = sincos_ps(np.float32(_TWO_PI) * u2)
    m, s = np.float32(mean), np.float32(std)
    return np.concatenate([fma32(radius * cos_t, s, m), fma32(radius * sin_t, s, m)], axis=1).ravel()


def _box_muller_blocks64(d: np.ndarray, mean: float, std: float) -> np.ndarray:
    """Blocks of 16 float64 uniforms -> 16 normals each, in double with the C library's log."""
    d = d.reshape(-1, 16)
    radius = np.sqrt(-2.0 * libm_log(1.0 - d[:, :8]))
    theta = _TWO_PI * d[:, 8:]
    return np.concatenate([fma64(radius * np.cos(theta), std, mean),
                           fma64(radius * np.sin(theta), std, mean)], axis=1).ravel()


def _normal_fill(eng: Engine, n: int, npdt, mean: float, std: float) -> np.ndarray:
    double = _is_double(npdt)
    draw = eng.uniform53 if double else eng.uniform24
    blocks = _box_muller_blocks64 if double else _box_muller_blocks32
    whole = n - n % 16
    # float32/64 fill all n uniforms first; float16 goes through a float buffer one block at a time,
    # so it draws only for the whole blocks before the tail's 16
    d = draw(whole if np.dtype(npdt) == np.float16 else n)
    out = np.empty(n, np.float64 if double else np.float32)
    out[:whole] = blocks(d[:whole], mean, std)
    if whole != n:
        # torch redraws 16 uniforms for the last 16 slots and transforms them as one block
        out[n - 16:] = blocks(draw(16), mean, std)
    return out.astype(npdt)


def standard_normal_doubles(eng: Engine, n: int) -> np.ndarray:
    """n values of torch's per-element double normal (with the generator's cached second value)."""
    out = np.empty(n, np.float64)
    if n == 0:
        return out
    start = 0
    if eng.next_double_normal is not None:
        out[0] = eng.next_double_normal
        eng.next_double_normal = None
        start = 1
    pairs = (n - start + 1) // 2
    if pairs:
        u = eng.uniform53(2 * pairs)
        radius = np.sqrt(-2.0 * libm_log1p(-u[1::2]))
        theta = _TWO_PI * u[0::2]
        both = np.empty(2 * pairs)
        both[0::2] = radius * np.cos(theta)
        both[1::2] = radius * np.sin(theta)
        out[start:] = both[:n - start]
        if (n - start) % 2:
            eng.next_double_normal = float(both[-1])
    return out


def normal(eng: Engine, n: int, npdt, mean: float = 0.0, std: float = 1.0,
           contiguous: bool = True) -> np.ndarray:
    """torch's normal_(mean, std) on n elements of dtype npdt."""
    if n >= 16 and contiguous:
        return _normal_fill(eng, n, npdt, mean, std)
    return _cast(fma64(standard_normal_doubles(eng, n), float(std), float(mean)), npdt)


def log_normal(eng: Engine, n: int, npdt, mean: float, std: float) -> np.ndarray:
    """torch's log_normal_: exp of the per-element double normal."""
    return _cast(libm_exp(fma64(standard_normal_doubles(eng, n), float(std), float(mean))), npdt)


# --------------------------------------------------------------------------- integers
def randint(eng: Engine, n: int, low: int, high: int, npdt) -> np.ndarray:
    """torch's random_(low, high) / randint: (w % range) + low, w 64-bit when range >= 2**28."""
    rng = int(high) - int(low)
    w = eng.words64(n) if rng >= 1 << 28 else eng.words(n)
    v = (w % np.uint64(rng)) + np.uint64(int(low) & 0xFFFFFFFFFFFFFFFF)  # wraps like C's uint64
    return _cast(v.view(np.int64), npdt)


def random_full(eng: Engine, n: int, npdt) -> np.ndarray:
    """torch's random_() with no bounds: [0, 2**mantissa] for floats, [0, max] for integers."""
    npdt = np.dtype(npdt)
    if npdt == np.bool_:
        return (eng.words(n) & np.uint64(1)).astype(np.bool_)
    if npdt.kind == "f":
        mod = (1 << np.finfo(npdt).nmant + 1) + 1
        w = eng.words64(n) if npdt == _F64 else eng.words(n)
        return (w % np.uint64(mod)).astype(npdt)
    info = np.iinfo(npdt)
    w = eng.words64(n) if npdt == np.int64 else eng.words(n)
    return (w % np.uint64(info.max + 1)).astype(npdt)


def randperm(eng: Engine, n: int) -> np.ndarray:
    """torch's randperm: forward Fisher-Yates, swapping slot i with i + (w_i % (n - i)).

    The swaps are sequential in torch; here the result is derived from all draws at once. Slot i ends
    with the value that sat at i + z_i just before step i. Slots after i change only when an earlier
    step swaps into them, so that value is the one carried by the last earlier swap into the same slot
    (or the slot's own index). What a step carries away is what sat in its own slot before it, which is
    again given by the last swap into that slot: a chain resolved by pointer jumping (log n rounds).
    """
    if n <= 1:
        return np.zeros(max(n, 0), np.int64)
    i = np.arange(n - 1, dtype=np.int64)
    z = (eng.words(n - 1) % (n - i).astype(np.uint64)).astype(np.int64)
    target = i + z
    moved = np.nonzero(z > 0)[0]
    order = np.lexsort((moved, target[moved]))
    k_s, j_s = moved[order], target[moved][order]
    same_as_prev = np.zeros(len(k_s), bool)
    same_as_prev[1:] = j_s[1:] == j_s[:-1]
    pred = np.full(n - 1, -1, np.int64)
    pred[k_s[1:][same_as_prev[1:]]] = k_s[:-1][same_as_prev[1:]]
    last_in_group = np.ones(len(k_s), bool)
    last_in_group[:-1] = ~same_as_prev[1:]
    ptr = np.arange(n, dtype=np.int64)
    ptr[j_s[last_in_group]] = k_s[last_in_group]
    while True:  # pointer jumping: O(log n) vectorised rounds
        nxt = ptr[ptr]
        if np.array_equal(nxt, ptr):
            break
        ptr = nxt
    old = ptr  # old[p]: what slot p held just before step p
    out = np.empty(n, np.int64)
    carried = np.where(pred >= 0, old[np.maximum(pred, 0)], target)
    out[:-1] = np.where(z > 0, carried, old[:-1])
    out[-1] = old[-1]
    return out


# --------------------------------------------------------------------------- others
def bernoulli_scalar(eng: Engine, n: int, p: float) -> np.ndarray:
    """torch's bernoulli_(p) for a float p: a 53-bit uniform below p."""
    return eng.uniform53(n) < float(p)


def bernoulli_tensor(eng: Engine, p: np.ndarray) -> np.ndarray:
    """torch's bernoulli_(p_tensor): per element, a float (or double for double p) uniform below p."""
    p = np.ascontiguousarray(p).ravel()
    if p.dtype == _F64:
        return eng.uniform53(p.size) < p
    return eng.uniform24(p.size) < p.astype(np.float32)


def exponential(eng: Engine, n: int, npdt, lambd: float) -> np.ndarray:
    """torch's exponential_: -1/lambda * log1p(-u) in double."""
    return _cast(((-1.0 / float(lambd)) * libm_log1p(-eng.uniform53(n))), npdt)


def geometric(eng: Engine, n: int, npdt, p: float) -> np.ndarray:
    """torch's geometric_: ceil(log(u) / log1p(-p)) in double."""
    return _cast(np.ceil(libm_log(eng.uniform53(n)) / math.log1p(-float(p))), npdt)


def cauchy(eng: Engine, n: int, npdt, median: float, sigma: float) -> np.ndarray:
    """torch's cauchy_: median + sigma * tan(pi * (u - 0.5)) in double."""
    t = libm_tan(math.pi * (eng.uniform53(n) - 0.5))
    return _cast(fma64(float(sigma), t, float(median)), npdt)


def multinomial(eng: Engine, probs: np.ndarray, num_samples: int, replacement: bool) -> np.ndarray:
    """torch's multinomial on a 2-D (rows, categories) array; returns int64 (rows, num_samples)."""
    rows, cats = probs.shape
    if not replacement or num_samples == 1:
        # torch samples without replacement as the top-k of p / q with q ~ Exp(1) (Gumbel trick)
        q = exponential(eng, rows * cats, probs.dtype, 1.0).reshape(rows, cats)
        with np.errstate(divide="ignore", invalid="ignore"):
            keys = probs / q
        if num_samples == 1:
            return np.argmax(keys, axis=1)[:, None].astype(np.int64)
        return np.argsort(-keys, axis=1, kind="stable")[:, :num_samples].astype(np.int64)
    acc = np.float64 if probs.dtype == _F64 else np.float32
    cum = np.cumsum(probs.astype(acc), axis=1, dtype=acc)  # sequential, like torch's loop
    cum = cum / cum[:, -1:]
    cum[:, -1] = 1
    u = eng.uniform53(rows * num_samples).reshape(rows, num_samples)
    out = np.empty((rows, num_samples), np.int64)
    for r in range(rows):  # one binary search per row over all of its samples
        out[r] = np.searchsorted(cum[r].astype(np.float64), u[r], side="left")
    return out
