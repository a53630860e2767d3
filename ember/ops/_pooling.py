"""Pooling: max pooling (with indices), average pooling, adaptive average and max pooling.

Part of the conv op family (ember/ops/conv.py re-exports the public functions). Max pooling finds
each window's argmax once (no gradient), then picks the values at those indices with a primitive
whose backward scatters the gradient back there; average pooling and its adjoint (spreading a
gradient evenly over each window) are each other's backward, so double backward works.
"""
from __future__ import annotations

import itertools
from typing import NamedTuple

from ._registry import primitive
from ._windows import _col2im, _pad, _prod, _shape_str, _tuple, _windows

__all__ = ["adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
           "avg_pool1d", "avg_pool2d", "max_pool1d",
           "max_pool1d_with_indices", "max_pool2d", "max_pool2d_with_indices"]


# --------------------------------------------------------------------------- pooling geometry
class PoolGeom(NamedTuple):
    """A pooling window layout over the trailing spatial dims of (N, C, *spatial) or (C, *spatial)."""
    in_shape: tuple
    kernel: tuple
    stride: tuple
    padding: tuple     # ((lo, hi), ...): hi grows past lo in ceil_mode so the last window fits
    dilation: tuple
    out: tuple
    count_include_pad: bool = True
    divisor_override: int | None = None


def _pool_geom(nd, name, input, kernel_size, stride, padding, dilation, ceil_mode, **extra):
    kernel = _tuple(kernel_size, nd, "kernel_size")
    stride = kernel if stride is None or (isinstance(stride, (list, tuple)) and not stride) \
        else _tuple(stride, nd)
    pad = _tuple(padding, nd, "padding")
    dil = _tuple(dilation, nd, "dilation")
    if any(s == 0 for s in stride):
        raise RuntimeError("stride should not be zero")
    if any(k <= 0 for k in kernel):
        raise RuntimeError(f"kernel size should be greater than zero, but got {kernel}")
    for k, p, d in zip(kernel, pad, dil):
        if p < 0 or 2 * p > d * (k - 1) + 1:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p}, "
                               f"kernel_size={k} and dilation={d}")
    spatial = input.shape[-nd:]
    out, pads = [], []
    for size, k, s, p, d in zip(spatial, kernel, stride, pad, dil):
        span = size + 2 * p - d * (k - 1) - 1
        o = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (o - 1) * s >= size + p:  # the last window must start inside the input
            o -= 1
        if o < 1:
            raise RuntimeError(f"Given input size: ({'x'.join(map(str, input.shape[1:]))}). Calculated "
                               f"output size: ({'x'.join(map(str, (input.shape[1],) + (o,)))}). "
                               "Output size is too small")
        out.append(o)
        pads.append((p, max(p, (o - 1) * s + d * (k - 1) + 1 - size - p)))
    return PoolGeom(tuple(input.shape), kernel, stride, tuple(pads), dil, tuple(out), **extra)


def _batched(nd, input, fn_name):
    if input.ndim not in (nd + 1, nd + 2) or input.numel() == 0:
        raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for input")
    return input.ndim == nd + 1


# --------------------------------------------------------------------------- max pooling
@primitive
class _MaxPoolIndices:
    """Where each window's maximum is, as a flat index into the input's spatial dims (no gradient)."""

    def forward(xp, x, geom):
        nd = len(geom.kernel)
        padded = _pad(xp, x, geom.padding, -xp.inf)
        win = _windows(xp, padded, geom.kernel, geom.stride, geom.dilation, geom.out)
        lead = x.ndim - nd
        local = win.reshape(win.shape[:lead + nd] + (-1,)).argmax(axis=-1)  # NaN wins, as in torch
        taps = xp.unravel_index(local, geom.kernel)
        flat = 0
        for i in range(nd):
            pos = xp.arange(geom.out[i]) * geom.stride[i] - geom.padding[i][0]
            pos = pos.reshape((-1,) + (1,) * (nd - 1 - i)) + taps[i] * geom.dilation[i]
            flat = flat * geom.in_shape[lead + i] + pos
        return flat.astype(xp.int64)


def _spatial_dims(in_shape) -> int:
    return len(in_shape) - 2 if len(in_shape) > 3 else 2  # pooling here is 2-D unless 5-D input


def _max_name(x, indices, in_shape, name="MaxPool2DWithIndicesBackward0"):
    return name


@primitive(saves=("indices",))
class _MaxPoolGather:
    """The maxima themselves: x picked at the indices (whose gradient scatters back there)."""
    grad_fn = staticmethod(_max_name)
    jvp = "linear"

    def forward(xp, x, indices, in_shape, name="MaxPool2DWithIndicesBackward0"):
        lead = x.shape[:-_spatial_dims(in_shape)]
        flat = xp.take_along_axis(x.reshape(lead + (-1,)), indices.reshape(lead + (-1,)), axis=-1)
        return flat.reshape(indices.shape)

    def backward(grad, x, indices, in_shape, name="MaxPool2DWithIndicesBackward0"):
        return _MaxPoolScatter.apply(grad, indices, in_shape=in_shape), None


@primitive(saves=("indices",))
class _MaxPoolScatter:
    """grad added into zeros of the input's shape at the indices (windows may share a maximum)."""
    grad_fn = "MaxPool2DWithIndicesBackwardBackward0"
    jvp = "linear"

    def forward(xp, grad, indices, in_shape):
        nd = _spatial_dims(in_shape)
        lead = in_shape[:-nd]
        size = _prod(in_shape[-nd:])
        # one flat index per (plane, position): bincount sums repeats in one vectorised pass
        base = (xp.arange(_prod(lead), dtype=xp.int64) * size).reshape(lead + (1,) * nd)
        summed = xp.bincount((indices + base).ravel(), weights=grad.ravel(),
                             minlength=_prod(lead) * size)
        return summed.astype(grad.dtype).reshape(in_shape)

    def backward(gg, grad, indices, in_shape):
        return _MaxPoolGather.apply(gg, indices, in_shape=in_shape), None


def _max_pool(nd, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    _batched(nd, input, "max_pool")
    geom = _pool_geom(nd, "max_pool", input, kernel_size, stride, padding, dilation, ceil_mode)
    indices = _MaxPoolIndices.apply(input, geom=geom)
    out = _MaxPoolGather.apply(input, indices, in_shape=geom.in_shape)
    return (out, indices) if return_indices else out


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    """2-D max pooling returning (values, indices); indices are flat positions in each H x W plane."""
    return _max_pool(2, input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-D max pooling over (N, C, H, W) or (C, H, W); stride defaults to kernel_size."""
    return _max_pool(2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def _as_2d(v, fill):
    """A 1-D pooling argument as the 2-D one torch runs it through (a height-1 plane)."""
    if v is None or (isinstance(v, (list, tuple)) and not v):
        return None
    v = v[0] if isinstance(v, (list, tuple)) else v
    return (fill, v)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    """1-D max pooling returning (values, indices)."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-D max pooling over (N, C, L) or (C, L), run as 2-D pooling of a height-1 plane like torch."""
    _batched(1, input, "max_pool1d")
    k = _as_2d(kernel_size, 1)
    s = _as_2d(stride, 1) or k
    out = _max_pool(2, input.unsqueeze(-2), k, s, _as_2d(padding, 0), _as_2d(dilation, 1), ceil_mode,
                    True)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out[0].squeeze(-2)


# --------------------------------------------------------------------------- average pooling
def _avg_divisor(xp, geom, dtype):
    """What each window's sum is divided by, shaped like the output's spatial dims."""
    if geom.divisor_override:
        return dtype(geom.divisor_override)
    nd = len(geom.kernel)
    div = 1
    for i in range(nd):
        size, k, s = geom.in_shape[i - nd], geom.kernel[i], geom.stride[i]
        p = geom.padding[i][0]
        start = xp.arange(geom.out[i]) * s - p
        end = xp.minimum(start + k, size + p)
        n = end - start if geom.count_include_pad else (
            xp.minimum(end, size) - xp.maximum(start, 0))
        div = div * n.reshape((-1,) + (1,) * (nd - 1 - i))
    return div.astype(dtype)


def _avg_name(x, geom):
    return f"AvgPool{len(geom.kernel)}DBackward0"


@primitive(saves=())
class AvgPool:
    """Mean over each window (sum of the strided window view, divided per position)."""
    grad_fn = staticmethod(_avg_name)
    jvp = "linear"

    def forward(xp, x, geom):
        nd = len(geom.kernel)
        win = _windows(xp, _pad(xp, x, geom.padding), geom.kernel, geom.stride, geom.dilation, geom.out)
        if _prod(geom.kernel) <= 16:
            # One strided add per kernel tap, in the window's row-major order (torch's order too):
            # NumPy's sum over the last, tiny axes of a strided view runs several times slower.
            summed = None
            for tap in itertools.product(*(range(k) for k in geom.kernel)):
                v = win[(Ellipsis,) + tap]
                summed = xp.array(v) if summed is None else xp.add(summed, v, out=summed)
        else:
            summed = win.sum(axis=tuple(range(-nd, 0)))
        return (summed / _avg_divisor(xp, geom, x.dtype.type)).astype(x.dtype)

    def backward(grad, x, geom):
        return _AvgPoolAdjoint.apply(grad, geom=geom)


@primitive(saves=())
class _AvgPoolAdjoint:
    """Each output's gradient spread evenly over its window (the transpose of AvgPool)."""
    grad_fn = "AvgPool2DBackwardBackward0"
    jvp = "linear"

    def forward(xp, grad, geom):
        nd = len(geom.kernel)
        scaled = (grad / _avg_divisor(xp, geom, grad.dtype.type)).astype(grad.dtype)
        lead, out = grad.shape[:-nd], grad.shape[-nd:]
        if (geom.stride == tuple(geom.kernel) and not any(lo or hi for lo, hi in geom.padding)
                and all(d == 1 for d in geom.dilation)
                and all(o * k <= n for o, k, n in zip(out, geom.kernel, geom.in_shape[-nd:]))):
            return _tile_windows(xp, scaled, geom.in_shape, geom.kernel)
        cols = xp.broadcast_to(scaled.reshape(lead + (1,) * nd + out), lead + tuple(geom.kernel) + out)
        return xp.ascontiguousarray(_col2im(xp, cols, geom.in_shape, geom.kernel, geom.stride,
                                            geom.padding, geom.dilation, geom.out))

    def backward(gg, grad, geom):
        return AvgPool.apply(gg, geom=geom)


def _tile_windows(xp, vals, in_shape, kernel):
    """Windows that tile the input (stride == kernel, no padding): each value copied over its window
    in one pass, instead of one strided add per tap; rows and columns no window covers stay zero."""
    nd = len(kernel)
    lead, out = vals.shape[:-nd], vals.shape[-nd:]
    inter = tuple(x for o, k in zip(out, kernel) for x in (o, 1))
    full = tuple(x for o, k in zip(out, kernel) for x in (o, k))
    tiled = xp.broadcast_to(vals.reshape(lead + inter), lead + full).reshape(
        lead + tuple(o * k for o, k in zip(out, kernel)))
    if tiled.shape == tuple(in_shape):
        return tiled
    acc = xp.zeros(tuple(in_shape), dtype=vals.dtype)
    acc[(Ellipsis,) + tuple(slice(0, o * k) for o, k in zip(out, kernel))] = tiled
    return acc


def _avg_pool(nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    _batched(nd, input, "avg_pool")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    geom = _pool_geom(nd, "avg_pool", input, kernel_size, stride, padding, 1, ceil_mode,
                      count_include_pad=bool(count_include_pad), divisor_override=divisor_override)
    return AvgPool.apply(input, geom=geom)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """2-D average pooling; count_include_pad counts zero padding in the divisor."""
    return _avg_pool(2, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-D average pooling, run as 2-D pooling of a height-1 plane like torch."""
    _batched(1, input, "avg_pool1d")
    k = _as_2d(kernel_size, 1)
    out = _avg_pool(2, input.unsqueeze(-2), k, _as_2d(stride, 1) or k, _as_2d(padding, 0), ceil_mode,
                    count_include_pad, None)
    return out.squeeze(-2)


# --------------------------------------------------------------------------- adaptive pooling
def _bounds(xp, size, out):
    o = xp.arange(out)
    return (o * size) // out, -((-(o + 1) * size) // out)  # floor(o*L/out), ceil((o+1)*L/out)


def _adaptive_matrix(xp, size, out, dtype):
    """(out, size) matrix whose row o averages input positions [start_o, end_o)."""
    start, end = _bounds(xp, size, out)
    pos = xp.arange(size)
    inside = (pos >= start[:, None]) & (pos < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def _apply_matrices(xp, x, mats, transpose=False):
    """Multiply each trailing spatial dim of x by its matrix (or the matrix's transpose)."""
    nd = len(mats)
    for i, m in enumerate(mats):
        axis = x.ndim - nd + i
        x = xp.moveaxis(xp.moveaxis(x, axis, -1) @ (m if transpose else m.T), -1, axis)
    return xp.ascontiguousarray(x)


def _adaptive_name(x, in_shape, out):
    return f"AdaptiveAvgPool{len(out)}DBackward0"


@primitive(saves=())
class AdaptiveAvgPool:
    """Mean over windows [floor(o*L/out), ceil((o+1)*L/out)): one small matrix product per dim."""
    grad_fn = staticmethod(_adaptive_name)
    jvp = "linear"

    def forward(xp, x, in_shape, out):
        mats = [_adaptive_matrix(xp, s, o, x.dtype) for s, o in zip(in_shape[-len(out):], out)]
        return _apply_matrices(xp, x, mats)

    def backward(grad, x, in_shape, out):
        return _AdaptiveAvgPoolAdjoint.apply(grad, in_shape=in_shape, out=out)


@primitive(saves=())
class _AdaptiveAvgPoolAdjoint:
    grad_fn = "AdaptiveAvgPool2DBackwardBackward0"
    jvp = "linear"

    def forward(xp, grad, in_shape, out):
        mats = [_adaptive_matrix(xp, s, o, grad.dtype) for s, o in zip(in_shape[-len(out):], out)]
        return _apply_matrices(xp, grad, mats, transpose=True)

    def backward(gg, grad, in_shape, out):
        return AdaptiveAvgPool.apply(gg, in_shape=in_shape, out=out)


def _adaptive_out(nd, input, output_size, name):
    if isinstance(output_size, (list, tuple)):
        if len(output_size) != nd:
            raise RuntimeError(f"{name}: output_size must be {nd}")
        sizes = tuple(input.shape[-nd + i] if s is None else int(s) for i, s in enumerate(output_size))
    else:
        sizes = (int(output_size),) * nd
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got "
                           f"{_shape_str(input.shape)}")
    return sizes


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size (H_out, W_out); None keeps that input size."""
    out = _adaptive_out(2, input, output_size, "adaptive_avg_pool2d")
    if out == (1, 1):  # torch takes the plain mean here (and its grad_fn shows it)
        return input.mean(dim=(-1, -2), keepdim=True)
    return AdaptiveAvgPool.apply(input, in_shape=tuple(input.shape), out=out)


def adaptive_avg_pool1d(input, output_size):
    """Average pooling to a fixed output length, run as 2-D like torch."""
    out = _adaptive_out(1, input, output_size, "adaptive_avg_pool1d")
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, out[0])).squeeze(-2)


@primitive
class _AdaptiveMaxIndices:
    """Argmax of each adaptive window [floor(o*L/out), ceil((o+1)*L/out)) as a flat index (no gradient).

    Windows differ in length, so each is read through an index table padded to the longest window
    by repeating its last position (a repeat cannot change a maximum).
    """

    def forward(xp, x, out):
        nd = len(out)
        sizes = x.shape[-nd:]
        picked = x
        tables = []
        for i, (size, o) in enumerate(zip(sizes, out)):
            start, end = _bounds(xp, size, o)
            longest = int((end - start).max())
            table = xp.minimum(start[:, None] + xp.arange(longest), (end - 1)[:, None])  # (o, longest)
            tables.append(table)
            # gather along the dim: it becomes (o, longest) in place (earlier dims already doubled)
            picked = xp.take(picked, table, axis=x.ndim - nd + 2 * i)
        # picked: (*lead, o1, k1, o2, k2): bring the window dims last, flatten them, argmax
        lead = picked.ndim - 2 * nd
        perm = tuple(range(lead)) + tuple(lead + 2 * i for i in range(nd)) + tuple(
            lead + 2 * i + 1 for i in range(nd))
        win = picked.transpose(perm)
        local = win.reshape(win.shape[:lead + nd] + (-1,)).argmax(axis=-1)
        taps = xp.unravel_index(local, tuple(t.shape[1] for t in tables))
        flat = 0
        for i in range(nd):
            shape = (-1,) + (1,) * (nd - 1 - i)
            pos = tables[i][xp.arange(out[i]).reshape(shape), taps[i]]
            flat = flat * sizes[i] + pos
        return flat.astype(xp.int64)


def _adaptive_max(nd, input, output_size, return_indices, name):
    out = _adaptive_out(nd, input, output_size, name)
    if input.ndim not in (nd + 1, nd + 2) or input.numel() == 0:
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got "
                           f"{_shape_str(input.shape)}")
    indices = _AdaptiveMaxIndices.apply(input, out=out)
    values = _MaxPoolGather.apply(input, indices, in_shape=tuple(input.shape),
                                  name="AdaptiveMaxPool2DBackward0")
    return (values, indices) if return_indices else values


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size (H_out, W_out); indices are flat positions in each plane."""
    return _adaptive_max(2, input, output_size, return_indices, "adaptive_max_pool2d")


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling to a fixed output length, run as 2-D like torch."""
    out = _adaptive_out(1, input, output_size, "adaptive_max_pool1d")
    res = _adaptive_max(2, input.unsqueeze(-2), (1, out[0]), True, "adaptive_max_pool1d")
    values, indices = res[0].squeeze(-2), res[1].squeeze(-2)
    return (values, indices) if return_indices else values
