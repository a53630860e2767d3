"""torch functions and Tensor methods that are not built from the other families' differentiable ops.

Most are integer-valued and have no gradient (unique, searchsorted, bincount, histc, isin, the triangle
index makers), computed vectorised on arrays through ``xp``; a few are in-place or storage methods
(``resize_``, ``t_``, ``fill_diagonal_``, ``new_zeros``); ``scatter_reduce`` is a primitive because its
amax/amin gradient splits evenly between ties, which no composite of existing ops expresses cheaply.
"""
from __future__ import annotations

import math
import warnings

from .. import _creation as C
from .. import _dtype
from .._backend import get_array_module
from .._dtype import from_numpy_dtype, int64, to_dtype
from ..autograd import grad_mode
from . import indexing as I
from . import movement as M
from . import pointwise as P
from ._registry import apply_inplace, primitive
from ._utils import normalize_dim

__all__ = [
    "argwhere", "bincount", "bucketize", "channels_last", "channels_last_3d", "contiguous_format",
    "cosine_similarity", "dropout", "e", "histc", "index_copy", "inf", "isin", "layout", "masked_scatter",
    "memory_format", "nan", "newaxis", "pairwise_distance", "pi", "preserve_format", "relu_",
    "scatter_reduce", "searchsorted", "set_default_tensor_type", "sigmoid_", "sparse_coo", "strided",
    "tril_indices", "triu_indices", "unique", "unique_consecutive", "unravel_index",
]

e = math.e
pi = math.pi
inf = math.inf
nan = math.nan
newaxis = None


class layout:
    """How a tensor's elements are laid out (ember has only ``strided``); prints as torch's do."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"ember.{self.name}"

    def __reduce__(self):
        return self.name


class memory_format:
    """A memory-format tag (contiguous_format, channels_last, ...); accepted and otherwise ignored,
    since ember's arrays are always row-major."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"ember.{self.name}"

    def __reduce__(self):
        return self.name


strided = layout("strided")
sparse_coo = layout("sparse_coo")
contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
for _cls in (layout, memory_format):
    _cls.__module__ = "ember"


def _xp(t):
    return get_array_module(t._data)


def _wrap(arr):
    from .._tensor import Tensor
    return Tensor._wrap(arr, from_numpy_dtype(arr.dtype))


def _long(arr):
    from .._tensor import Tensor
    return Tensor._wrap(arr.astype("int64"), int64)


# --------------------------------------------------------------------------- set operations
def unique(input, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,
           dim=None):
    """The distinct elements of input (or distinct slices along ``dim``), always sorted as torch's
    CPU kernel does; optionally where each element went (``inverse``) and how often each occurs."""
    xp = _xp(input)
    a = input._data
    if dim is None:
        values, inverse, counts = xp.unique(a.reshape(-1), return_inverse=True, return_counts=True)
        inverse = inverse.reshape(a.shape)
    else:
        dim = normalize_dim(dim, a.ndim)
        values, inverse, counts = xp.unique(a, axis=dim, return_inverse=True, return_counts=True)
        inverse = inverse.reshape(-1)
    out = [_wrap(xp.ascontiguousarray(values))]
    if return_inverse:
        out.append(_long(inverse))
    if return_counts:
        out.append(_long(counts))
    return out[0] if len(out) == 1 else tuple(out)


def unique_consecutive(input, return_inverse: bool = False, return_counts: bool = False, dim=None):
    """input with each run of equal consecutive elements (or slices along ``dim``) kept once."""
    xp = _xp(input)
    a = input._data
    if dim is None:
        flat = a.reshape(-1)
        new = xp.ones(flat.shape, dtype=bool)
        new[1:] = flat[1:] != flat[:-1]
        values = flat[new]
    else:
        dim = normalize_dim(dim, a.ndim)
        moved = xp.moveaxis(a, dim, 0).reshape(a.shape[dim], -1)
        new = xp.ones(moved.shape[0], dtype=bool)
        new[1:] = (moved[1:] != moved[:-1]).any(axis=1)
        values = xp.compress(new, a, axis=dim)
    out = [_wrap(xp.ascontiguousarray(values))]
    if return_inverse:
        inv = xp.cumsum(new) - 1
        out.append(_long(inv.reshape(a.shape) if dim is None else inv))
    if return_counts:
        starts = xp.flatnonzero(new)
        out.append(_long(xp.diff(xp.append(starts, new.size))))
    return out[0] if len(out) == 1 else tuple(out)


def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False):
    """Whether each of ``elements`` occurs in ``test_elements`` (either may be a scalar)."""
    from .._tensor import Tensor
    el = elements._data if isinstance(elements, Tensor) else C.tensor(elements)._data
    te = test_elements._data if isinstance(test_elements, Tensor) else C.tensor(test_elements)._data
    xp = get_array_module(el)
    return _wrap(xp.isin(el, te, invert=invert))


# --------------------------------------------------------------------------- binning and search
def searchsorted(sorted_sequence, input, *, out_int32: bool = False, right: bool = False, side=None,
                 sorter=None, out=None):
    """Where each value of ``input`` would be inserted into the sorted last dim of
    ``sorted_sequence`` to keep it sorted (``right``: after equal entries)."""
    from .._tensor import Tensor
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got side "
                               "of left while right was True")
        right = side == "right"
    seq = sorted_sequence._data
    if sorter is not None:
        seq = get_array_module(seq).take_along_axis(seq, sorter._data, axis=-1)
    xp = get_array_module(seq)
    scalar = not isinstance(input, Tensor)
    vals = xp.asarray(input) if scalar else input._data
    how = "right" if right else "left"
    if seq.ndim == 1:
        idx = xp.searchsorted(seq, vals, side=how)
    else:
        if scalar or seq.shape[:-1] != vals.shape[:-1]:
            raise RuntimeError(
                "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 "
                "dimensions of boundaries tensor and input value tensor must match, but we got "
                f"boundaries tensor [{', '.join(map(str, seq.shape))}] and input value tensor "
                f"[{', '.join(map(str, vals.shape))}]")
        rows = seq.reshape(-1, seq.shape[-1])
        v = vals.reshape(rows.shape[0], -1)
        pos = xp.empty(v.shape, dtype=xp.int64)
        for r in range(rows.shape[0]):  # one call per row (rows, not elements)
            pos[r] = xp.searchsorted(rows[r], v[r], side=how)
        idx = pos.reshape(vals.shape)
    return _wrap(xp.asarray(idx).astype("int32" if out_int32 else "int64"))


def bucketize(input, boundaries, *, out_int32: bool = False, right: bool = False, out=None):
    """The bucket of each element of input among the sorted 1-D ``boundaries``."""
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def bincount(input, weights=None, minlength: int = 0):
    """How often each non-negative integer occurs in the 1-D ``input`` (or the sum of its weights)."""
    if input.ndim != 1 or input.dtype.is_floating_point or input.dtype.name == "bool" or (
            input.numel() and int(input._data.min()) < 0):
        if input.dtype.is_floating_point:
            raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{_legacy(input.dtype)}'")
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    xp = _xp(input)
    if weights is None:
        return _long(xp.bincount(input._data, minlength=minlength))
    if weights.shape != input.shape:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    w = weights._data
    dt = w.dtype if w.dtype.kind == "f" else xp.float64
    return _wrap(xp.bincount(input._data, weights=w, minlength=minlength).astype(dt))


def histc(input, bins: int = 100, min: float = 0, max: float = 0, *, out=None):
    """A histogram of input's elements in ``bins`` equal bins over [min, max] (the data's range when
    both are 0); elements outside are ignored."""
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{_legacy(input.dtype)}'")
    if bins <= 0:
        raise RuntimeError("torch.histc(): bins must be > 0, but got " + str(bins) + " for bins")
    xp = _xp(input)
    a = input._data.reshape(-1)
    lo, hi = float(min), float(max)
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError("torch.histc(): max must be larger than min")
    keep = a[(a >= lo) & (a <= hi)]
    pos = ((keep - lo) * bins / (hi - lo)).astype(xp.int64)
    pos = xp.minimum(pos, bins - 1)  # the top edge belongs to the last bin
    return _wrap(xp.bincount(pos, minlength=bins).astype(a.dtype))


def _tri_indices(row, col, offset, upper, dtype):
    if row < 0 or col < 0:
        raise RuntimeError(f"row must be non-negative, got{row}" if row < 0 else
                           f"col must be non-negative, got{col}")
    import numpy as xp  # creation functions make CPU arrays, as _creation does
    mask = xp.triu(xp.ones((row, col), dtype=bool), offset) if upper else xp.tril(
        xp.ones((row, col), dtype=bool), offset)
    r, c = xp.nonzero(mask)
    out = xp.stack([r, c]) if r.size else xp.zeros((2, 0), dtype=xp.int64)
    return _wrap(out.astype(to_dtype(dtype or int64).np))


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None):
    """The (2, N) row/column indices of the lower triangle of a row x col matrix."""
    return _tri_indices(row, col, offset, False, dtype)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None):
    """The (2, N) row/column indices of the upper triangle of a row x col matrix."""
    return _tri_indices(row, col, offset, True, dtype)


def unravel_index(indices, shape):
    """Flat indices as a tuple of coordinate tensors for an array of ``shape``."""
    from .._tensor import Tensor
    if not isinstance(indices, Tensor):
        indices = C.tensor(indices)
    if indices.dtype.is_floating_point or indices.dtype.name == "bool":
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if any(s < 0 for s in shape):
        raise ValueError("'shape' cannot have negative values, but got " + str(shape))
    rest = indices._data.astype("int64")
    coords = []
    for size in reversed(shape):  # one step per dimension, vectorised over the indices
        coords.append(rest % size if size else rest * 0)
        rest = rest // size if size else rest
    return tuple(_long(c) for c in reversed(coords))


def argwhere(input):
    """The (N, ndim) indices of input's non-zero elements."""
    return I.nonzero(input)


# --------------------------------------------------------------------------- differentiable helpers
def index_copy(input, dim: int, index, source):
    """input with the slices at ``index`` along ``dim`` replaced by source's (a copy)."""
    if index.ndim > 1:
        raise IndexError("index_copy_(): Index should have dimension 1 or 0 (got " + str(index.ndim) + ")")
    cleared = I.index_fill(input, dim, index, 0)
    return I.index_add(cleared, dim, index, source.to(input.dtype))


def masked_scatter(input, mask, source):
    """input with the positions where ``mask`` is True filled, in order, from source's elements."""
    if mask.dtype.name != "bool":
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype "
                           f"{_legacy(mask.dtype)}")
    xp = _xp(input)
    shape = M.broadcast_shapes(tuple(input.shape), tuple(mask.shape))
    m = xp.broadcast_to(mask._data, shape).reshape(-1)
    where = xp.flatnonzero(m)
    if where.size > source.numel():
        raise RuntimeError("Number of elements of source < number of ones in mask")
    flat = M.reshape(M.expand(input, *shape), -1)
    src = M.narrow(M.reshape(source, -1), 0, 0, where.size).to(input.dtype)
    return M.reshape(I.scatter(flat, 0, _long(where), src), *shape)


def _put(self, index, source, accumulate: bool = False):
    n = self.numel()
    idx = index._data.reshape(-1)
    if idx.size and (int(idx.min()) < -n or int(idx.max()) >= n):
        bad = idx[(idx < -n) | (idx >= n)][0]
        raise IndexError(f"out of range: tried to access index {int(bad)} on a tensor of {n} elements.")
    if idx.size != source.numel():
        raise RuntimeError(f"put_(): Expected source and index to have the same number of elements, but "
                           f"got source.numel() = {source.numel()}, index.numel() = {idx.size}")
    flat = M.reshape(self, -1)
    src = M.reshape(source, -1).to(self.dtype)
    pos = _long(idx % n if n else idx)
    out = I.scatter_add(flat, 0, pos, src) if accumulate else I.scatter(flat, 0, pos, src)
    return M.reshape(out, *self.shape)


# --------------------------------------------------------------------------- scatter_reduce
def _sr_name(x, index, src, dim, reduce, include_self):
    return "ScatterReduceBackward0"


@primitive(saves=("x", "index", "src", "result"))
class _ScatterReduce:
    grad_fn = _sr_name
    jvp = "transpose"  # backward is linear in grad (result and ties held fixed): J t from J^T

    def forward(xp, x, index, src, dim, reduce, include_self):
        out = x.copy()
        idx = list(xp.indices(index.shape, sparse=True))
        idx[dim] = index
        idx = tuple(idx)
        s = src[tuple(slice(0, n) for n in index.shape)]
        if not include_self:  # scattered-to places start from the reduction's identity
            ident = {"sum": 0, "mean": 0, "prod": 1,
                     "amax": -xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).min,
                     "amin": xp.inf if x.dtype.kind == "f" else xp.iinfo(x.dtype).max}[reduce]
            out[idx] = ident
        ufunc = {"sum": xp.add, "mean": xp.add, "prod": xp.multiply, "amax": xp.maximum,
                 "amin": xp.minimum}[reduce]
        ufunc.at(out, idx, s)
        if reduce == "mean":
            count = xp.zeros(x.shape, dtype=xp.int64) + (1 if include_self else 0)
            xp.add.at(count, idx, 1)
            count = xp.maximum(count, 1)
            out = out // count if x.dtype.kind in "iub" else out / count
        return out.astype(x.dtype, copy=False)

    def backward(grad, x, index, src, result, dim, reduce, include_self):
        s = src
        if tuple(src.shape) != tuple(index.shape):
            s = src[tuple(slice(0, n) for n in index.shape)]
        hit = I.scatter(C.zeros_like(grad), dim, index, 1.0)   # 1 where something was scattered
        keep_self = 1.0 if include_self else P.rsub(hit, 1.0)
        if reduce == "sum":
            g_x, g_s = P.mul(grad, keep_self), I.gather(grad, dim, index)
        elif reduce == "mean":
            count = I.scatter_add(C.full_like(grad, 1.0 if include_self else 0.0), dim, index,
                                  C.ones_like(s))
            count = P.clamp_min(count, 1.0)
            g = P.div(grad, count)
            g_x, g_s = P.mul(g, keep_self), I.gather(g, dim, index)
        elif reduce == "prod":  # exact for non-zero inputs (zeros would need torch's masked products)
            g = P.mul(grad, result)
            g_x, g_s = P.mul(P.div(g, x), keep_self), P.div(I.gather(g, dim, index), s)
        else:  # amax / amin: the gradient is split evenly among every element equal to the result
            self_is = P.mul(P.eq(x, result).to(grad.dtype), keep_self)
            src_is = P.eq(s, I.gather(result, dim, index)).to(grad.dtype)
            n = I.scatter_add(self_is, dim, index, src_is)
            g = P.div(grad, P.clamp_min(n, 1.0))
            g_x, g_s = P.mul(g, self_is), P.mul(I.gather(g, dim, index), src_is)
        if tuple(src.shape) != tuple(index.shape):  # src larger than index: the rest got nothing
            g_s = I._pad_to(g_s, tuple(src.shape))
        return g_x, None, g_s


def scatter_reduce(input, dim: int, index, src, reduce: str, *, include_self: bool = True):
    """input with src's elements reduced (sum, prod, mean, amax, amin) into the places ``index``
    names along ``dim``; ``include_self=False`` leaves input's old values out of those places."""
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)  # torch accepts these spellings too
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    dim = normalize_dim(dim, input.ndim)
    if index.dtype.name not in ("int32", "int64"):
        raise RuntimeError("scatter(): Expected dtype int32/int64 for index")
    if src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    return _ScatterReduce.apply(input, index, src, dim=dim, reduce=reduce, include_self=include_self)


# --------------------------------------------------------------------------- top-level nn aliases
def sigmoid_(input):
    """input replaced by its sigmoid, in place."""
    return apply_inplace(P.sigmoid, input)


def relu_(input):
    """input replaced by its relu, in place."""
    return apply_inplace(P.relu, input)


def dropout(input, p: float, train: bool):
    """torch.dropout(input, p, train): zero elements with probability p and scale the rest by 1/(1-p)."""
    from ..nn import functional as F  # nn sits above ops: imported at call time
    return F.dropout(input, p, train)


def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8):
    """Cosine of the angle between x1 and x2 along ``dim``."""
    from ..nn import functional as F
    return F.cosine_similarity(x1, x2, dim, eps)


def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False):
    """The p-norm of x1 - x2 + eps along the last dim."""
    from ..nn import functional as F
    return F.pairwise_distance(x1, x2, p, eps, keepdim)


# --------------------------------------------------------------------------- default tensor type
_TENSOR_TYPES = {"FloatTensor": "float32", "DoubleTensor": "float64", "HalfTensor": "float16",
                 "LongTensor": "int64", "IntTensor": "int32", "ShortTensor": "int16",
                 "CharTensor": "int8", "ByteTensor": "uint8", "BoolTensor": "bool"}


def set_default_tensor_type(t) -> None:
    """Set the default float dtype from a tensor type (``'torch.DoubleTensor'`` or
    ``ember.DoubleTensor``); deprecated in torch in favour of set_default_dtype."""
    warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                  "torch.set_default_dtype() and torch.set_default_device() as alternatives.",
                  UserWarning, stacklevel=2)
    name = t if isinstance(t, str) else getattr(t, "__name__", None)
    if not isinstance(name, str):
        raise TypeError("invalid type object: only floating-point types are supported as the default "
                        "type")
    short = name.rsplit(".", 1)[-1]
    if short not in _TENSOR_TYPES:
        raise TypeError(f"invalid type: '{name}'")
    dt = to_dtype(_TENSOR_TYPES[short])
    if not dt.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    _dtype.set_default_dtype(dt)


def _legacy(dt) -> str:
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
            "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}[dt.name]


# --------------------------------------------------------------------------- methods
def _size_args(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(size)


def _new_of(fn):
    def method(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
               pin_memory=False):
        return fn(*_size_args(size), dtype=dtype or self.dtype, requires_grad=requires_grad)
    return method


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None,
              pin_memory=False):
    return C.full(tuple(size), fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)


def _new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, layout=None,
                pin_memory=False):
    from .._tensor import Tensor
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.clone()"
                      ".detach() or sourceTensor.clone().detach().requires_grad_(True), rather than "
                      "tensor.new_tensor(sourceTensor).", UserWarning, stacklevel=2)
        data = data.detach()
    return C.tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)


def _new(self, *args, device=None):
    """The legacy ``x.new(...)``: empty, a size, or data, always of self's dtype."""
    from .._tensor import Tensor
    if not args:
        return C.empty(0, dtype=self.dtype)
    if len(args) == 1 and not isinstance(args[0], int):
        data = args[0]
        if isinstance(data, Tensor):
            return data.detach()
        from .._tensor import Size
        if not isinstance(data, Size):
            return C.tensor(data, dtype=self.dtype)
    return C.zeros(*_size_args(args), dtype=self.dtype)


def _reshape_in_place(self, fn, *args):
    """t_, transpose_, squeeze_, unsqueeze_: self takes the op's result's shape and graph position."""
    base = self._base
    if grad_mode.STATE.enabled and self._requires_grad and self.grad_fn is None and base is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    r = fn(self._shallow_copy(), *args)
    self._data = r._data
    self._version_counter[0] += 1  # torch counts these as in-place writes too
    if r._requires_grad:
        self._requires_grad = True
        self.grad_fn = r.grad_fn
        self._output_nr = r._output_nr
    return self


def _resize_(self, *size, memory_format=None):
    """Give self ``size``, keeping its first elements in row-major order (new ones are zero)."""
    if self._requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    size = _size_args(size)
    if any(s < 0 for s in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: "
                           f"[{', '.join(map(str, size))}]")
    xp = _xp(self)
    n = math.prod(size)
    flat = xp.zeros(n, dtype=self._data.dtype)
    old = self._data.reshape(-1)
    k = min(n, old.size)
    flat[:k] = old[:k]
    self._data = flat.reshape(size)
    self._version_counter[0] += 1  # torch bumps the version on resize_ as well
    return self


def _fill_diagonal_(self, fill_value, wrap: bool = False):
    if self.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if self.ndim > 2 and len(set(self.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    xp = _xp(self)
    shape = tuple(self.shape)
    strides = [math.prod(shape[k + 1:]) for k in range(len(shape))]
    step = sum(strides)
    n = math.prod(shape)
    if len(shape) == 2 and shape[0] > shape[1] and wrap:
        pos = xp.arange(0, n, step)
    else:
        pos = xp.arange(min(shape)) * step
    mask = xp.zeros(n, dtype=bool)
    mask[pos] = True
    m = _wrap(mask.reshape(shape))
    return apply_inplace(I.masked_fill, self, m, fill_value)


def _apply_(self, callable):
    """Call ``callable`` on every element, in place (a Python loop, as torch's is; CPU only)."""
    flat = self._data.reshape(-1)
    self._data[...] = _loop(callable, flat, None).reshape(self._data.shape)
    self._version_counter[0] += 1
    return self


def _map_(self, tensor, callable):
    """self[i] = callable(self[i], tensor[i]) for every element (tensor broadcasts), in place."""
    xp = _xp(self)
    other = xp.broadcast_to(tensor._data, self._data.shape).reshape(-1)
    self._data[...] = _loop(callable, self._data.reshape(-1), other).reshape(self._data.shape)
    self._version_counter[0] += 1
    return self


def _loop(fn, a, b):
    out = a.copy()
    for i in range(a.size):  # torch documents these as slow Python-level loops too
        out[i] = fn(a[i].item()) if b is None else fn(a[i].item(), b[i].item())
    return out


def _imag(self):
    raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")


def bind(T) -> None:
    """Method-only names, and the in-place forms of this module's functions."""
    T.new = _new
    T.new_zeros = _new_of(C.zeros)
    T.new_ones = _new_of(C.ones)
    T.new_empty = _new_of(C.empty)
    T.new_full = _new_full
    T.new_tensor = _new_tensor
    T.index_copy = index_copy
    T.index_copy_ = lambda self, dim, index, source: apply_inplace(index_copy, self, dim, index, source)
    T.masked_scatter = masked_scatter
    T.masked_scatter_ = lambda self, mask, source: apply_inplace(masked_scatter, self, mask, source)
    T.put = _put
    T.put_ = lambda self, index, source, accumulate=False: apply_inplace(
        _put, self, index, source, accumulate)
    T.scatter_reduce = scatter_reduce
    T.scatter_reduce_ = lambda self, dim, index, src, reduce, *, include_self=True: apply_inplace(
        scatter_reduce, self, dim, index, src, reduce, include_self=include_self)
    T.fill_diagonal_ = _fill_diagonal_
    T.tril_ = lambda self, diagonal=0: apply_inplace(M.tril, self, diagonal)
    T.triu_ = lambda self, diagonal=0: apply_inplace(M.triu, self, diagonal)
    T.t_ = lambda self: _reshape_in_place(self, M.t)
    T.transpose_ = lambda self, dim0, dim1: _reshape_in_place(self, M.transpose, dim0, dim1)
    T.squeeze_ = lambda self, dim=None: _reshape_in_place(self, M.squeeze, dim)
    T.unsqueeze_ = lambda self, dim: _reshape_in_place(self, M.unsqueeze, dim)
    T.resize_ = _resize_
    T.resize_as_ = lambda self, other, memory_format=None: _resize_(self, tuple(other.shape))
    T.apply_ = _apply_
    T.map_ = _map_
    T.argwhere = argwhere
    T.isin = lambda self, test_elements, *, assume_unique=False, invert=False: isin(
        self, test_elements, assume_unique=assume_unique, invert=invert)
    T.layout = property(lambda self: strided)  # torch's x.layout is the layout object, not a string
    T.real = property(lambda self: self)
    T.imag = property(_imag)
    _bind_functions(T, globals(), __all__)


_NOT_METHODS = {"bucketize", "dropout", "std_mean", "var_mean"}  # torch has no Tensor.<name> for these


def _bind_functions(T, namespace, names) -> None:
    """Functions whose first parameter is ``input`` double as methods (as ops/__init__ does)."""
    import inspect
    for name in names:
        if name in _NOT_METHODS:
            if name in T.__dict__ and T.__dict__[name] is namespace[name]:
                delattr(T, name)  # bound by ops.bind_methods' generic loop: not a torch method
            continue
        fn = namespace[name]
        if callable(fn) and not isinstance(fn, type) and not hasattr(T, name):
            params = list(inspect.signature(fn).parameters)
            if params and params[0] == "input":
                setattr(T, name, fn)
