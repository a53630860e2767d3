"""Sliding-window helpers shared by convolution, unfold/fold and pooling (arrays through ``xp``).

A padded input is viewed as windows with ``as_strided`` (no copy); ``_col2im`` is the adjoint of taking
windows: it adds window-shaped data back into an input-shaped array, one strided add per kernel tap.
"""
from __future__ import annotations

import itertools

__all__: list[str] = []


def _prod(seq) -> int:
    n = 1
    for s in seq:
        n *= s
    return n


# --------------------------------------------------------------------------- array helpers (xp)
def _pad(xp, x, pads, value=0.0):
    """Pad the trailing ``len(pads)`` dims by ``(lo, hi)`` pairs (no copy when nothing to pad)."""
    if not any(lo or hi for lo, hi in pads):
        return x
    full = [(0, 0)] * (x.ndim - len(pads)) + list(pads)
    return xp.pad(x, full, mode="constant", constant_values=value)


def _windows(xp, x, kernel, stride, dilation, out):
    """A view of x (*lead, *spatial) as windows (*lead, *out, *kernel): no data is copied."""
    nd = len(kernel)
    lead = x.ndim - nd
    st = x.strides
    shape = x.shape[:lead] + tuple(out) + tuple(kernel)
    strides = (st[:lead] + tuple(st[lead + i] * stride[i] for i in range(nd))
               + tuple(st[lead + i] * dilation[i] for i in range(nd)))
    return xp.lib.stride_tricks.as_strided(x, shape, strides, writeable=False)


def _im2col(xp, x, kernel, stride, padding, dilation, groups, out):
    """Windows as columns: (groups, C/groups * prod(kernel), N * prod(out)).

    This layout (channels and taps down, batch and positions across) keeps the copy out of the
    strided window view mostly sequential, which makes it several times faster than the transpose.
    """
    n, c = x.shape[:2]
    nd = len(kernel)
    win = _windows(xp, _pad(xp, x, padding), kernel, stride, dilation, out)
    win = win.reshape((n, groups, c // groups) + tuple(out) + tuple(kernel))
    perm = (1, 2) + tuple(range(3 + nd, 3 + 2 * nd)) + (0,) + tuple(range(3, 3 + nd))
    return win.transpose(perm).reshape(groups, (c // groups) * _prod(kernel), n * _prod(out))


def _rows(grad, groups):
    """grad (N, O, *out) as (groups, O/groups, N * prod(out)), matching _im2col's columns."""
    n, o = grad.shape[:2]
    g = grad.reshape((n, groups, o // groups, -1))
    return g.transpose(1, 2, 0, 3).reshape(groups, o // groups, -1)


def _col2im(xp, cols, in_shape, kernel, stride, padding, dilation, out, trail=0):
    """Add windows back into an input-shaped array: the adjoint of taking windows.

    cols: (*lead, *kernel, *out, *trailing) for in_shape (*lead, *spatial, *trailing), with ``trail``
    trailing dims (a batch dim there makes each add run over long contiguous rows). One strided add
    per kernel tap (a handful), each over every pixel.
    """
    nd = len(kernel)
    lead = len(in_shape) - nd - trail
    padded = tuple(in_shape[lead + i] + padding[i][0] + padding[i][1] for i in range(nd))
    acc = xp.zeros(tuple(in_shape[:lead]) + padded + tuple(in_shape[lead + nd:]), dtype=cols.dtype)
    keep = (slice(None),) * lead
    for tap in itertools.product(*(range(k) for k in kernel)):
        key = tuple(slice(t * d, t * d + s * (o - 1) + 1, s)
                    for t, d, s, o in zip(tap, dilation, stride, out))
        acc[keep + key] += cols[keep + tap]
    crop = tuple(slice(lo, lo + in_shape[lead + i]) for i, (lo, _) in enumerate(padding))
    return acc[keep + crop]


def _out_size(size, k, s, lo, hi, d):
    return (size + lo + hi - d * (k - 1) - 1) // s + 1


def _tuple(v, n, name="stride"):
    if isinstance(v, (list, tuple)):
        if len(v) == 1:
            return tuple(int(v[0]) for _ in range(n))
        if len(v) != n:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values "
                               f"to match the convolution dimensions, but got {name}={list(v)}")
        return tuple(int(e) for e in v)
    return (int(v),) * n


def _shape_str(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"
