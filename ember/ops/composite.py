"""Ops written from other ops, with no backward of their own.

Each function here is a few calls to primitives of the other families (gather, index_select, narrow,
where, cumsum, ...), so autograd, double backward, forward AD and vmap come for free. Index arithmetic
that needs no gradient (which element wins a running max, where windows start) is done on arrays
through ``xp`` and enters the graph only as an integer index tensor.
"""
from __future__ import annotations

import itertools
import math

from .. import _creation as C
from .._backend import get_array_module
from .._dtype import int64
from ..return_types import _make
from . import indexing as I
from . import movement as M
from . import pointwise as P
from . import reduction as R
from ._join import atleast_3d, cat, hstack
from ._utils import normalize_dim

__all__ = [
    "as_strided", "column_stack", "cummax", "cummin", "cumulative_trapezoid", "deg2rad", "diff", "dsplit",
    "dstack", "fix", "fmax", "fmin", "heaviside", "hsplit", "is_nonzero", "kthvalue", "logaddexp",
    "logaddexp2", "logcumsumexp", "logit", "mode", "msort", "nanmean", "nanquantile", "nansum", "positive",
    "quantile", "rad2deg", "ravel", "repeat_interleave", "rot90", "select", "sgn", "std_mean",
    "take_along_dim", "tensor_split", "tile", "trapezoid", "trapz", "vander", "var_mean", "vsplit",
]

cummax_t = _make("cummax")
cummin_t = _make("cummin")
kthvalue_t = _make("kthvalue")
mode_t = _make("mode")


def _xp(t):
    return get_array_module(t._data)


def _index(arr):
    from .._tensor import Tensor
    return Tensor._wrap(arr.astype("int64"), int64)


def _sizes(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(size)


# --------------------------------------------------------------------------- selection and shape
def select(input, dim: int, index: int):
    """input with dimension ``dim`` removed by taking position ``index`` (a view)."""
    dim = normalize_dim(dim, input.ndim)
    n = input.shape[dim]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"[{', '.join(map(str, input.shape))}] at dimension {dim}")
    return input[(slice(None),) * dim + (index,)]


def ravel(input):
    """input as one dimension (a view when possible)."""
    return M.reshape(input, -1)


def tile(input, dims):
    """Repeat input ``dims[i]`` times along dim i; missing leading dims count as 1 (unlike repeat)."""
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    dims = (1,) * (input.ndim - len(dims)) + dims
    return input.repeat(*dims)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each element (or slice along ``dim``) repeated ``repeats`` times, in place order.

    ``repeat_interleave(counts)`` alone repeats ``arange(len(counts))`` by ``counts``.
    """
    from .._tensor import Tensor
    if repeats is None:  # the single-tensor form
        counts = input
        xp = _xp(counts)
        return _index(xp.repeat(xp.arange(counts.numel()), counts._data.reshape(-1)))
    if dim is None:
        input, dim = M.reshape(input, -1), 0
    dim = normalize_dim(dim, input.ndim)
    xp = _xp(input)
    n = input.shape[dim] if input.ndim else 1
    if isinstance(repeats, Tensor):
        if repeats.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        reps = repeats._data.reshape(-1)
        if reps.size == 1:
            reps = xp.full(n, int(reps[0]))
        elif reps.size != n:
            raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {reps.size} and input.size({dim}) = {n}")
    else:
        reps = xp.full(n, int(repeats))
    if (reps < 0).any():
        raise RuntimeError("repeats can not be negative")
    if input.ndim == 0:
        input = M.reshape(input, 1)
    return I.index_select(input, dim, _index(xp.repeat(xp.arange(n), reps)))


def take_along_dim(input, indices, dim=None, *, out=None):
    """input read at ``indices`` along ``dim`` (the two broadcast elsewhere); flattened if no dim."""
    if dim is None:
        return I.gather(M.reshape(input, -1), 0, M.reshape(indices, -1))
    dim = normalize_dim(dim, input.ndim)
    shape_x, shape_i = list(input.shape), list(indices.shape)
    shape_x[dim] = shape_i[dim] = 1
    from ._utils import broadcast_shapes
    common = list(broadcast_shapes(tuple(shape_x), tuple(shape_i)))
    x_size, i_size = list(common), list(common)
    x_size[dim], i_size[dim] = input.shape[dim], indices.shape[dim]
    return I.gather(M.expand(input, *x_size), dim, M.expand(indices, *i_size))


def _split_points(n, indices_or_sections):
    if isinstance(indices_or_sections, int):
        s = indices_or_sections
        if s <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {s}")
        big, rest = divmod(n, s)
        sizes = [big + 1] * rest + [big] * (s - rest)
        points, at = [], 0
        for size in sizes:
            points.append((at, size))
            at += size
        return points
    bounds = [0] + [min(max(int(i), 0), n) for i in indices_or_sections] + [n]
    return [(a, max(b - a, 0)) for a, b in itertools.pairwise(bounds)]


def tensor_split(input, indices_or_sections, dim: int = 0):
    """Views of input split into ``n`` nearly equal parts, or at the given indices, along ``dim``."""
    from .._tensor import Tensor
    if input.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor "
                           "with 0 dims")
    dim = normalize_dim(dim, input.ndim)
    if isinstance(indices_or_sections, Tensor):
        ios = indices_or_sections
        indices_or_sections = int(ios.item()) if ios.ndim == 0 else ios.tolist()
    n = input.shape[dim]
    return tuple(M.narrow(input, dim, min(a, n), s) for a, s in _split_points(n, indices_or_sections))


def _directional_split(name, input, sections, dim, need):
    if input.ndim < need:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {need} dimension, but got a "
                           f"tensor with {input.ndim} dimensions!")
    if isinstance(sections, int):
        size = input.shape[dim]
        if sections == 0 or size % sections:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the size "
                               f"of the dimension {size} is not divisible by the split_size {sections}!")
    return tensor_split(input, sections, dim)


def hsplit(input, indices_or_sections):
    """Split along dim 1 (dim 0 for 1-D input); an int must divide that size."""
    if input.ndim == 0:
        raise RuntimeError("torch.hsplit requires a tensor with at least 1 dimension, but got a tensor "
                           "with 0 dimensions!")
    return _directional_split("hsplit", input, indices_or_sections, 1 if input.ndim > 1 else 0, 1)


def vsplit(input, indices_or_sections):
    """Split along dim 0 of an at-least-2-D tensor."""
    return _directional_split("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input, indices_or_sections):
    """Split along dim 2 of an at-least-3-D tensor."""
    return _directional_split("dsplit", input, indices_or_sections, 2, 3)


def dstack(tensors, *, out=None):
    """Concatenate along the third dim after making every tensor at least 3-D."""
    return cat(atleast_3d(*tensors) if len(tensors) > 1 else [atleast_3d(tensors[0])], 2)


def column_stack(tensors, *, out=None):
    """Stack 0-D/1-D tensors as columns (and 2-D ones as they are) side by side."""
    cols = [M.reshape(t, t.numel(), 1) if t.ndim <= 1 else t for t in tensors]
    return hstack(cols)


def rot90(input, k: int = 1, dims=(0, 1)):
    """Rotate by 90 degrees ``k`` times in the plane of ``dims`` (from the first towards the second)."""
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    d0, d1 = normalize_dim(dims[0], input.ndim), normalize_dim(dims[1], input.ndim)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and "
                           f"dim1 = {dims[1]}")
    k %= 4
    if k == 1:
        return M.transpose(M.flip(input, d1), d0, d1)
    if k == 2:
        return M.flip(input, (d0, d1))
    if k == 3:
        return M.transpose(M.flip(input, d0), d0, d1)
    return input.clone()


def diff(input, n: int = 1, dim: int = -1, prepend=None, append=None):
    """The n-th forward difference along ``dim`` (``prepend``/``append`` joined on first)."""
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    dim = normalize_dim(dim, input.ndim)
    parts = [t for t in (prepend, input, append) if t is not None]
    x = cat(parts, dim) if len(parts) > 1 else input
    for _ in range(n):
        size = x.shape[dim]
        if size == 0:
            break
        hi, lo = M.narrow(x, dim, 1, size - 1), M.narrow(x, dim, 0, size - 1)
        x = P.logical_xor(hi, lo) if x.dtype.name == "bool" else P.sub(hi, lo)
    return x


def vander(x, N=None, increasing: bool = False):
    """The Vandermonde matrix: columns are powers of the 1-D ``x`` (decreasing unless ``increasing``)."""
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    N = x.shape[0] if N is None else N
    if N < 0:
        raise RuntimeError("N must be non-negative.")
    if N == 0:
        return C.empty(x.shape[0], 0, dtype=x.dtype if x.dtype.is_floating_point else int64)
    if not x.dtype.is_floating_point:
        x = x.to(int64)
    ones = C.ones(x.shape[0], 1, dtype=x.dtype)
    # cumprod of [1, x, x, ...] gives 1, x, x^2, ... with a gradient that is exact at x == 0
    powers = R.cumprod(cat([ones, M.expand(M.unsqueeze(x, 1), x.shape[0], N - 1)], 1), 1)
    return powers if increasing else M.flip(powers, 1)


# --------------------------------------------------------------------------- pointwise
def sgn(input):
    """The sign of each element (for real tensors, the same as ``sign``)."""
    return P.sign(input)


def deg2rad(input):
    """Degrees to radians."""
    return P.mul(input, math.pi / 180.0)


def rad2deg(input):
    """Radians to degrees."""
    return P.mul(input, 180.0 / math.pi)


def logit(input, eps=None):
    """log(p / (1 - p)), with p clamped to [eps, 1 - eps] when ``eps`` is given."""
    x = input if input.dtype.is_floating_point else input.to(C.get_default_dtype())
    if eps is not None:
        x = P.clamp(x, eps, 1.0 - eps)
    return P.log(P.div(x, P.rsub(x, 1.0)))


def heaviside(input, values):
    """0 where input < 0, 1 where input > 0, ``values`` where input == 0 (no gradient, as in torch)."""
    from .._tensor import Tensor
    if isinstance(values, Tensor) and values.dtype is not input.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    x = input.detach()
    v = values.detach() if isinstance(values, Tensor) else values
    return P.where(P.eq(x, 0), v, P.gt(x, 0).to(input.dtype))


def fmax(input, other):
    """Elementwise maximum that ignores NaN (NaN only where both are NaN); ties pick ``input``."""
    return P.where(P.logical_or(P.ge(input, other), P.isnan(other)), input, other)


def fmin(input, other):
    """Elementwise minimum that ignores NaN (NaN only where both are NaN); ties pick ``input``."""
    return P.where(P.logical_or(P.le(input, other), P.isnan(other)), input, other)


def logaddexp(input, other):
    """log(exp(input) + exp(other)), without overflow: max + log1p(exp(-|input - other|))."""
    m = P.maximum(input, other)
    d = P.abs(P.sub(input, other))
    out = P.add(m, P.log1p(P.exp(P.neg(d))))
    # equal infinities: d is nan, the answer is that infinity
    return P.where(P.logical_and(P.isinf(m), P.eq(input, other)), m, out)


def logaddexp2(input, other):
    """log2(2**input + 2**other), without overflow."""
    m = P.maximum(input, other)
    d = P.abs(P.sub(input, other))
    out = P.add(m, P.mul(P.log1p(P.exp2(P.neg(d))), 1.0 / math.log(2.0)))
    return P.where(P.logical_and(P.isinf(m), P.eq(input, other)), m, out)


# --------------------------------------------------------------------------- reductions
def nansum(input, dim=None, keepdim: bool = False, *, dtype=None):
    """sum treating NaN as zero."""
    x = P.where(P.isnan(input), 0, input) if input.dtype.is_floating_point else input
    return R.sum(x, dim, keepdim, dtype=dtype)


def nanmean(input, dim=None, keepdim: bool = False, *, dtype=None):
    """mean over the non-NaN elements."""
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"nanmean(): expected input to have floating point dtype but got "
                           f"{input.dtype}")
    keep = P.logical_not(P.isnan(input))
    count = R.sum(keep, dim, keepdim)
    return P.div(nansum(input, dim, keepdim, dtype=dtype), count)


def std_mean(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """(std, mean) over ``dim`` in one call."""
    return (R.std(input, dim, unbiased, keepdim, correction=correction),
            R.mean(input, dim, keepdim))


def var_mean(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """(var, mean) over ``dim`` in one call."""
    return (R.var(input, dim, unbiased, keepdim, correction=correction),
            R.mean(input, dim, keepdim))


def logcumsumexp(input, dim: int):
    """log(cumsum(exp(input))) along ``dim``, shifted by the max so that exp cannot overflow."""
    dim = normalize_dim(dim, input.ndim)
    if input.ndim == 0 or input.numel() == 0:
        return input.clone()
    m = R.amax(input.detach(), dim, keepdim=True)  # a constant shift: its gradient cancels
    m = P.where(P.isinf(m), 0.0, m)
    return P.add(P.log(R.cumsum(P.exp(P.sub(input, m)), dim)), m)


def _running_extreme(input, dim, take_max, rtype):
    xp = _xp(input)
    dim = normalize_dim(dim, input.ndim)
    a = input._data
    if a.ndim == 0 or a.size == 0:
        return rtype(input.clone(), _index(xp.zeros(a.shape)))
    acc = xp.maximum if take_max else xp.minimum  # both propagate NaN, as torch does
    run = acc.accumulate(a, axis=dim)
    # torch moves the index on every new extreme or tie (so ties report the latest) and on NaN
    hit = (a == run)
    if a.dtype.kind == "f":
        hit |= xp.isnan(a)
    shape = [1] * a.ndim
    shape[dim] = a.shape[dim]
    pos = xp.where(hit, xp.arange(a.shape[dim]).reshape(shape), 0)
    idx = _index(xp.maximum.accumulate(pos, axis=dim))
    return rtype(I.gather(input, dim, idx), idx)


def cummax(input, dim: int):
    """(values, indices) of the running maximum along ``dim``."""
    return _running_extreme(input, dim, True, cummax_t)


def cummin(input, dim: int):
    """(values, indices) of the running minimum along ``dim``."""
    return _running_extreme(input, dim, False, cummin_t)


def msort(input):
    """input sorted along its first dim."""
    return I.sort(input, 0).values


def kthvalue(input, k: int, dim: int = -1, keepdim: bool = False):
    """(values, indices) of the k-th smallest element along ``dim``."""
    dim = normalize_dim(dim, input.ndim)
    n = input.shape[dim] if input.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim}")
    if input.ndim == 0:
        return kthvalue_t(input.clone(), _index(_xp(input).zeros(())))
    srt = I.sort(input, dim)
    idx = M.narrow(srt.indices, dim, k - 1, 1)
    values = I.gather(input, dim, idx)
    if not keepdim:
        values, idx = M.squeeze(values, dim), M.squeeze(idx, dim)
    return kthvalue_t(values, idx)


def mode(input, dim: int = -1, keepdim: bool = False):
    """(values, indices) of the most frequent value along ``dim`` (the smallest among equally
    frequent ones) and its last position."""
    xp = _xp(input)
    dim = normalize_dim(dim, input.ndim)
    if input.ndim == 0:
        return mode_t(input.clone(), _index(xp.zeros(())))
    a = xp.moveaxis(input._data, dim, -1)
    lead, n = a.shape[:-1], a.shape[-1]
    flat = a.reshape(-1, n)
    order = xp.argsort(flat, axis=1, kind="stable")
    s = xp.take_along_axis(flat, order, axis=1)
    rows = xp.arange(flat.shape[0])[:, None]
    start = xp.ones(s.shape, dtype=bool)
    start[:, 1:] = s[:, 1:] != s[:, :-1]
    run = xp.cumsum(start, axis=1) - 1                      # run number of each sorted element
    counts = xp.zeros(s.shape, dtype=xp.int64)
    xp.add.at(counts, (xp.broadcast_to(rows, s.shape), run), 1)
    best = xp.argmax(counts, axis=1)                        # the first (smallest) most frequent run
    last = xp.where(run == best[:, None], order, -1).max(axis=1)  # its last original position
    idx = _index(last.reshape(lead + (1,)))
    idx = M.movedim(idx, -1, dim)
    values = I.gather(input, dim, idx)
    if not keepdim:
        values, idx = M.squeeze(values, dim), M.squeeze(idx, dim)
    return mode_t(values, idx)


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(name, input, q, dim, keepdim, interpolation, ignore_nan):
    from .._tensor import Tensor
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, midpoint or "
                           f"nearest, but got {interpolation}")
    scalar_q = not isinstance(q, Tensor)
    qt = C.tensor(q, dtype=input.dtype) if scalar_q else q
    if qt.dtype is not input.dtype:
        raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
    if qt.ndim > 1:
        raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
    qa = qt._data.reshape(-1)
    if ((qa < 0) | (qa > 1)).any():
        raise RuntimeError(f"{name}() q values must be in the range [0, 1]" if not scalar_q else
                           f"{name}() q must be in the range [0, 1] but got {q}")
    if input.numel() == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")  # torch says quantile for both
    xp = _xp(input)
    if dim is None:
        x, d = M.reshape(input, -1), 0
    else:
        d = normalize_dim(dim, input.ndim)
        x = input if input.ndim else M.reshape(input, 1)
    srt = I.sort(x, d).values                                # NaN sorts last
    n = x.shape[d]
    nan = xp.isnan(x._data)
    valid = (n - nan.sum(axis=d, keepdims=True)) if ignore_nan else xp.full(
        nan.sum(axis=d, keepdims=True).shape, n)
    ranks = qa.reshape((-1,) + (1,) * x.ndim).astype(x._data.dtype) * (valid - 1)  # (Q, ..., 1, ...)
    ranks = xp.maximum(ranks, 0)
    lo = xp.floor(ranks)
    if interpolation == "lower":
        pos_lo = pos_hi = lo
    elif interpolation == "higher":
        pos_lo = pos_hi = xp.ceil(ranks)
    elif interpolation == "nearest":
        pos_lo = pos_hi = xp.round(ranks)
    else:
        pos_lo, pos_hi = lo, xp.ceil(ranks)
    limit = max(n - 1, 0)
    srt_q = M.expand(M.unsqueeze(srt, 0), qa.size, *srt.shape)
    v_lo = I.gather(srt_q, d + 1, _index(xp.minimum(pos_lo, limit)))
    v_hi = I.gather(srt_q, d + 1, _index(xp.minimum(pos_hi, limit)))
    if interpolation == "linear":
        w = C.tensor(ranks - lo, dtype=x.dtype)
        out = P.add(v_lo, P.mul(P.sub(v_hi, v_lo), w))
    elif interpolation == "midpoint":
        out = P.mul(P.add(v_lo, v_hi), 0.5)
    else:
        out = v_lo
    bad = (valid == 0) if ignore_nan else nan.any(axis=d, keepdims=True)
    if bad.any():
        out = P.where(C.tensor(xp.broadcast_to(bad, out.shape)), float("nan"), out)
    out = M.squeeze(out, d + 1) if not keepdim or dim is None else out
    if keepdim and dim is None:
        out = M.reshape(out, (qa.size,) + (1,) * input.ndim)
    if scalar_q or qt.ndim == 0:
        out = M.squeeze(out, 0)
    return out


def quantile(input, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear", out=None):
    """The q-th quantiles of input along ``dim`` (of all elements when dim is None)."""
    return _quantile("quantile", input, q, dim, keepdim, interpolation, ignore_nan=False)


def nanquantile(input, q, dim=None, keepdim: bool = False, *, interpolation: str = "linear", out=None):
    """quantile ignoring NaN (NaN only where a row holds nothing else)."""
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, ignore_nan=True)


def _trapz_sum(y, dx, dim, cumulative):
    n = y.shape[dim]
    if n == 0:
        return R.sum(y, dim) if not cumulative else y.clone()
    mid = P.mul(P.add(M.narrow(y, dim, 1, n - 1), M.narrow(y, dim, 0, n - 1)), dx)
    mid = P.div(mid, 2.0)
    return R.cumsum(mid, dim) if cumulative else R.sum(mid, dim)


def _trapz(y, x, dx, dim, cumulative):
    from .._tensor import Tensor
    dim = normalize_dim(dim, y.ndim)
    if isinstance(x, Tensor):
        if x.ndim == 1:
            shape = [1] * y.ndim
            shape[dim] = x.shape[0]
            x = M.reshape(x, *shape)
        k = x.shape[dim]
        spacing = P.sub(M.narrow(x, dim, 1, max(k - 1, 0)), M.narrow(x, dim, 0, max(k - 1, 0)))
        return _trapz_sum(y, spacing, dim, cumulative)
    return _trapz_sum(y, 1.0 if (x is None and dx is None) else (dx if dx is not None else x), dim,
                      cumulative)


def trapezoid(y, x=None, *, dx=None, dim: int = -1):
    """The trapezoidal rule along ``dim``: sample points ``x`` or a constant spacing ``dx``."""
    return _trapz(y, x, dx, dim, cumulative=False)


def trapz(y, x=None, *, dx=None, dim: int = -1):
    """Alias of trapezoid."""
    return _trapz(y, x, dx, dim, cumulative=False)


def cumulative_trapezoid(y, x=None, *, dx=None, dim: int = -1):
    """The running trapezoidal rule along ``dim`` (one element shorter than y there)."""
    return _trapz(y, x, dx, dim, cumulative=True)


def is_nonzero(input) -> bool:
    """Whether a one-element tensor is non-zero."""
    if input.numel() == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if input.numel() > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input._data.reshape(-1)[0])


# --------------------------------------------------------------------------- methods
def _sum_to_size(self, *size):
    """Sum self down to ``size`` (the shape it could have been broadcast from)."""
    size = _sizes(size)
    shape = tuple(self.shape)
    ok = len(size) <= len(shape) and all(
        s == t or s == 1 for s, t in zip(size[::-1], shape[::-1]))
    if not ok:
        raise RuntimeError(f"size {{[{', '.join(map(str, size))}]}} is not expandable to size "
                           f"{{[{', '.join(map(str, shape))}]}}.")
    from ._utils import sum_to
    return sum_to(self, size) if size != shape else self


def _unfold(self, dimension: int, size: int, step: int):
    """Every window of ``size`` elements along ``dimension``, ``step`` apart, as a new last dim."""
    xp = _xp(self)
    x = self if self.ndim else M.reshape(self, 1)
    dim = normalize_dim(dimension, x.ndim)
    n = x.shape[dim]
    if size > n:
        raise RuntimeError(f"maximum size for tensor at dimension {dim} is {n} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    count = (n - size) // step + 1
    idx = (xp.arange(count)[:, None] * step + xp.arange(size)[None, :]).reshape(-1)
    picked = I.index_select(x, dim, _index(idx))
    shape = list(x.shape)
    shape[dim:dim + 1] = [count, size]
    out = M.movedim(M.reshape(picked, *shape), dim + 1, -1)
    return M.reshape(out, size) if self.ndim == 0 else out


def as_strided(input, size, stride, storage_offset=None):
    """A tensor of ``size`` whose element i reads position ``offset + sum(i_k * stride_k)`` of input's
    elements in row-major order (ember keeps no shared storage, so this is a gathering copy)."""
    xp = _xp(input)
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    offset = 0 if storage_offset is None else int(storage_offset)
    pos = xp.full(size, offset, dtype=xp.int64)
    for k, (n, s) in enumerate(zip(size, stride)):
        shape = [1] * len(size)
        shape[k] = n
        pos = pos + xp.arange(n).reshape(shape) * s
    needed = (int(pos.max()) + 1) if pos.size else 0
    if needed > input.numel():
        raise RuntimeError(
            f"setStorage: sizes [{', '.join(map(str, size))}], strides [{', '.join(map(str, stride))}], "
            f"storage offset {offset}, and itemsize {input.dtype.itemsize} requiring a storage size of "
            f"{needed * input.dtype.itemsize} are out of bounds for storage of size "
            f"{input.numel() * input.dtype.itemsize}")
    return I.take(input, _index(pos))


def positive(input):
    """input itself (unary plus); refused for bool tensors as in torch."""
    self = input
    if self.dtype.name == "bool":
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return self


def bind(T) -> None:
    """Method-only names (no torch.sum_to_size / torch.unfold functions of this meaning)."""
    from .extra import _bind_functions
    _bind_functions(T, globals(), __all__)
    T.sum_to_size = _sum_to_size
    T.unfold = _unfold
    T.as_strided = as_strided
    T.logit_ = lambda self, eps=None: _inplace(logit, self, eps)
    T.deg2rad_ = lambda self: _inplace(deg2rad, self)
    T.rad2deg_ = lambda self: _inplace(rad2deg, self)
    T.sgn_ = lambda self: _inplace(sgn, self)
    T.fix_ = lambda self: _inplace(P.trunc, self)


def fix(input):
    """Alias of trunc."""
    return P.trunc(input)


def _inplace(fn, self, *args):
    from ._registry import apply_inplace
    return apply_inplace(fn, self, *args)
