"""Reductions: sum, mean, prod, max/min, amax/amin, argmax/argmin, std/var, norm, logsumexp, cum*.

A reduction's forward calls the array library once; its backward spreads the output gradient back
over the reduced dims with ``_expand_back`` and weights it (1/N for mean, a tie mask for max, ...),
always in ember ops so that double backward works.
"""
from __future__ import annotations

import builtins
import math

from .. import _dtype, return_types
from ..autograd import grad_mode
from ._cascade import torch_mean, torch_sum
from ._precise import precise
from ._registry import _legacy_name, primitive
from ._utils import normalize_dim, normalize_dims
from .movement import Expand
from .pointwise import abs, exp, isnan, maximum, minimum, pow, sign, where

__all__ = ["all", "amax", "amin", "any", "argmax", "argmin", "count_nonzero", "cumprod", "cumsum",
           "logsumexp", "max", "mean", "median", "min", "norm", "prod", "std", "sum", "var"]


# --------------------------------------------------------------------------- shared helpers
def _expand_back(grad, shape, dim, keepdim):
    """Spread the gradient of a reduction back over the reduced dims."""
    if not keepdim and dim is not None:
        for d in dim:
            grad = grad.unsqueeze(d)
    if grad._data.shape == shape:
        return grad
    return Expand.apply(grad, shape=shape)  # shape is the input's: known valid, no checks needed


def _dims_name(base):
    def name(x, dim=None, keepdim=False, dtype=None, shape=None):
        return f"{base}Backward0" if dim is None else f"{base}Backward1"
    return name


def _dim_args(input, dim, keepdim, axis, keepdims):
    """Resolve torch's ``axis``/``keepdims`` aliases; dims: None (every dim) or a sorted tuple."""
    if axis is not None:
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return None, keepdim  # torch reads an empty dim list as "reduce everything"
    return normalize_dims(dim, input.ndim), keepdim


def _all_dims(x, dim):
    return tuple(range(x.ndim)) if dim is None else dim


def _reduce_jvp(backward, tangent, x, result, dim, keepdim, **params):
    """jvp of a reduction whose backward is expand(grad) * (d out / d x): backward with a gradient of
    ones gives d out / d x, and the tangent weighted by it is summed over the reduced dims."""
    ones = result * 0 + 1
    d = backward(ones, x, result, dim=dim, keepdim=keepdim, **params)
    return (tangent * d).sum(_all_dims(x, dim), keepdim=keepdim)


def _count(shape, dims) -> int:
    return math.prod(shape[d] for d in dims)


def _check_nonempty(name, x, dims):
    """max/amax/argmax have no identity element, so torch refuses empty reductions."""
    if dims is None:
        if x.numel() == 0:
            err = IndexError if name.startswith("arg") else RuntimeError
            raise err(f"{name}(): Expected reduction dim to be specified for input.numel() == 0."
                      + ("" if err is IndexError else " Specify the reduction dim with the 'dim' argument."))
        return
    for d in dims:
        if x.ndim and x.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


def _int_result_dtype(x, dtype):
    """Integer and bool inputs sum/multiply/accumulate to int64, as in torch."""
    if dtype is not None:
        return _dtype.to_dtype(dtype).np
    if x.dtype._rank < 2:
        return _dtype.int64.np
    return None


_MaxResult = return_types.max
_MinResult = return_types.min
_MedianResult = return_types.median


# --------------------------------------------------------------------------- sum / mean / prod
# sum and mean need only x's shape, passed as a param: saving x would make a later in-place change to
# x break backward, which torch allows here.
@primitive(saves=())
class Sum:
    grad_fn = staticmethod(_dims_name("Sum"))
    jvp = "linear"

    def forward(xp, x, dim=None, keepdim=False, dtype=None, shape=None):
        if x.size <= 2:  # one addition at most: every order gives the same bits
            if dtype is None and x.dtype.kind == "f":  # (the ufunc's reduce: less overhead than sum)
                return xp.add.reduce(x, axis=dim, keepdims=keepdim)
            return xp.sum(x, axis=dim, keepdims=keepdim, dtype=dtype)
        return torch_sum(xp, x, dim, keepdim, dtype)  # in torch's addition order: same last bits

    def backward(grad, x, dim=None, keepdim=False, dtype=None, shape=None):
        return _expand_back(grad, shape, dim, keepdim)


def sum(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None, out=None):
    """Sum over all elements, or over ``dim`` (an int or a tuple of ints)."""
    dims, keepdim = _dim_args(input, dim, keepdim, axis, keepdims)
    npdt, shape = _int_result_dtype(input, dtype), input._data.shape
    if dims is None:
        return Sum.apply(input, dtype=npdt, shape=shape)
    return Sum.apply(input, dim=dims, keepdim=keepdim, dtype=npdt, shape=shape)


@primitive(saves=())
class Mean:
    grad_fn = staticmethod(_dims_name("Mean"))
    jvp = "linear"

    def forward(xp, x, dim=None, keepdim=False, dtype=None, shape=None):
        if x.size == 0:  # nan, as torch gives, without NumPy's "mean of empty slice" warning
            return xp.sum(x, axis=dim, keepdims=keepdim, dtype=dtype) / 0
        if x.size == 1 and (dtype is None or dtype == x.dtype):  # the element itself
            return xp.sum(x, axis=dim, keepdims=keepdim)
        return torch_mean(xp, x, dim, keepdim, dtype)

    def backward(grad, x, dim=None, keepdim=False, dtype=None, shape=None):
        n = _count(shape, range(len(shape)) if dim is None else dim)
        return _expand_back(grad, shape, dim, keepdim) / n


def mean(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None, out=None):
    """Arithmetic mean over all elements or over ``dim``; floating (or ``dtype=``) inputs only."""
    if dtype is None and not input.dtype.is_floating_point:
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating "
                           f"point or complex dtype. Got: {_legacy_name(input.dtype)}")
    npdt = None if dtype is None else _dtype.to_dtype(dtype).np
    dims, keepdim = _dim_args(input, dim, keepdim, axis, keepdims)
    if dims is None:
        return Mean.apply(input, dtype=npdt, shape=input._data.shape)
    return Mean.apply(input, dim=dims, keepdim=keepdim, dtype=npdt, shape=input._data.shape)


@primitive(saves=("x", "result"))
class Prod:
    grad_fn = staticmethod(_dims_name("Prod"))

    def forward(xp, x, dim=None, keepdim=False, dtype=None):
        return xp.prod(x, axis=dim, keepdims=keepdim, dtype=dtype)

    def backward(grad, x, result, dim=None, keepdim=False, dtype=None):
        dims = _all_dims(x, dim)
        g = _expand_back(grad, x.shape, dim, keepdim)
        r = _expand_back(result, x.shape, dim, keepdim)
        # d prod / d x_i is the product of the other elements. result / x_i gives it unless x_i == 0;
        # for a zero, it is the product of the non-zeros when it is the only zero, else 0.
        is_zero = x == 0
        if grad_mode.STATE.enabled and bool(is_zero._data.any()):
            # create_graph with a zero in x: the masked formula below is right but its own derivative
            # is not (with two zeros, d others / d x is not 0); exclusive products are exact
            return g * _prod_of_others(x, dims)
        safe = where(is_zero, 1, x)
        zeros = is_zero.sum(dims, keepdim=True)
        others_of_zero = Prod.apply(safe, dim=dims, keepdim=True)
        others = where(is_zero, where(zeros == 1, others_of_zero, 0), r / safe)
        return g * others

    def jvp(tangents, x, result, dim=None, keepdim=False, dtype=None):
        return _reduce_jvp(Prod.backward, tangents[0], x, result, dim, keepdim, dtype=dtype)


def prod(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None):
    """Product of all elements, or along one ``dim`` (an int: torch takes no tuple here)."""
    if axis is not None:
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    npdt = _int_result_dtype(input, dtype)
    if dim is None:
        return Prod.apply(input, dtype=npdt)
    if isinstance(dim, (tuple, list)):
        raise TypeError("prod() received an invalid combination of arguments - got (tuple), but "
                        "expected one of:\n * (*, torch.dtype dtype = None)\n * (int dim, bool keepdim "
                        "= False, *, torch.dtype dtype = None)")
    return Prod.apply(input, dim=normalize_dims(dim, input.ndim), keepdim=keepdim, dtype=npdt)


# --------------------------------------------------------------------------- max / min family
def _even_split(grad, x, result, dim, keepdim):
    """Gradient of a max-like value shared evenly among the elements that attain it (torch's rule)."""
    r = _expand_back(result, x.shape, dim, keepdim)
    mask = (x == r) | (isnan(x) & isnan(r))
    ties = mask.sum(_all_dims(x, dim), keepdim=True)
    return _expand_back(grad, x.shape, dim, keepdim) * mask / ties


def _extreme(name, fn):
    """amax/amin (full or over dims) with torch's grad_fn names."""
    def grad_fn(x, dim=None, keepdim=False, full=False):
        if full:
            return f"{name.capitalize()}Backward1"  # max()/min() with no dim
        return f"A{name}Backward0"

    def forward(xp, x, dim=None, keepdim=False, full=False):
        return fn(xp)(x, axis=dim, keepdims=keepdim)

    def backward(grad, x, result, dim=None, keepdim=False, full=False):
        return _even_split(grad, x, result, dim, keepdim)

    def jvp(tangents, x, result, dim=None, keepdim=False, full=False):
        return _reduce_jvp(backward, tangents[0], x, result, dim, keepdim)
    return primitive(type(f"A{name}", (), {"grad_fn": staticmethod(grad_fn),
                                           "forward": staticmethod(forward),
                                           "backward": staticmethod(backward),
                                           "jvp": staticmethod(jvp)}))


_Amax = _extreme("max", lambda xp: xp.amax)
_Amin = _extreme("min", lambda xp: xp.amin)


def _arg(fn):
    def forward(xp, x, dim=None, keepdim=False):
        if x.ndim == 0:
            return xp.zeros((), dtype=xp.int64)
        if dim is None:
            i = fn(xp)(x)
            return xp.asarray(i, dtype=xp.int64).reshape((1,) * x.ndim if keepdim else ())
        return fn(xp)(x, axis=dim, keepdims=keepdim).astype(xp.int64)
    return primitive(type("Arg", (), {"forward": staticmethod(forward)}))


_Argmax = _arg(lambda xp: xp.argmax)
_Argmin = _arg(lambda xp: xp.argmin)


@primitive(saves=())
class _IndexMask:
    """Bool mask of x's shape, True where an index along ``dim`` equals ``idx`` (no gradient)."""

    def forward(xp, idx, shape, dim, keepdim):
        if not keepdim:
            idx = xp.expand_dims(idx, dim)
        pos = xp.arange(shape[dim]).reshape([-1 if d == dim else 1 for d in range(len(shape))])
        return pos == idx


def _dim_value_name(base, number):
    def name(x, idx, dim, keepdim, shape):
        return f"{base}Backward{number}"
    return name


def _gather_extreme(base, number=0):
    """Values at argmax/argmin indices; the gradient goes to that one index (torch's rule with dim)."""
    def forward(xp, x, idx, dim, keepdim, shape):
        if x.ndim == 0:
            return x.copy()
        k = idx if keepdim else xp.expand_dims(idx, dim)
        out = xp.take_along_axis(x, k, axis=dim)
        return out if keepdim else xp.squeeze(out, axis=dim)

    def backward(grad, x, idx, dim, keepdim, shape):
        if len(shape) == 0:
            return grad, None
        mask = _IndexMask.apply(idx, shape=shape, dim=dim, keepdim=keepdim)
        g = grad if keepdim else grad.unsqueeze(dim)
        return where(mask, g, 0), None
    return primitive(type(base, (), {"grad_fn": staticmethod(_dim_value_name(base, number)),
                                     "jvp": "linear",  # the tangent gathered at the same indices
                                     "forward": staticmethod(forward),
                                     "backward": staticmethod(backward)}),
                     saves=("idx",))  # like torch, not x: only its shape is needed


_MaxDim = _gather_extreme("Max")
_MinDim = _gather_extreme("Min")
_MedianDim = _gather_extreme("Median", 1)


def _lower_median_index(xp, x, axis):
    """Index of the lower median along axis; a NaN anywhere wins, as in torch (first NaN's index)."""
    order = xp.argsort(x, axis=axis, kind="stable")  # NaNs sort last
    mid = xp.take(order, [(x.shape[axis] - 1) // 2], axis=axis)
    has_nan = xp.isnan(x).any(axis=axis, keepdims=True) if x.dtype.kind == "f" else False
    first_nan = xp.argmax(xp.isnan(x), axis=axis, keepdims=True)
    return xp.where(has_nan, first_nan, mid).astype(xp.int64)


@primitive
class _MedianIndex:
    def forward(xp, x, dim, keepdim):
        if x.ndim == 0:
            return xp.zeros((), dtype=xp.int64)
        idx = _lower_median_index(xp, x, dim)
        return idx if keepdim else xp.squeeze(idx, axis=dim)


@primitive
class _MedianAll:
    grad_fn = "MedianBackward0"

    def forward(xp, x):
        flat = x.reshape(-1)
        if flat.size == 0:  # torch gives nan here rather than an error
            return xp.asarray(xp.nan, dtype=x.dtype)
        return flat[_lower_median_index(xp, flat, 0)[0]].copy()

    def backward(grad, x, result):
        return _even_split(grad, x, result, None, False)

    def jvp(tangents, x, result):
        return (tangents[0] * _even_split(result * 0 + 1, x, result, None, False)).sum()


def median(input, dim=None, keepdim=False, *, out=None):
    """The lower median of all elements; with ``dim``, (values, indices) along it."""
    if dim is None:
        return _MedianAll.apply(input)
    d = normalize_dim(dim, input.ndim)
    _check_nonempty("median", input, (d,))
    idx = _MedianIndex.apply(input, dim=d, keepdim=keepdim)
    return _MedianResult(_MedianDim.apply(input, idx, dim=d, keepdim=keepdim, shape=tuple(input.shape)),
                         idx)


def _max_min(name, input, dim, keepdim, other, axis, keepdims):
    from .._tensor import Tensor
    if isinstance(dim, Tensor):  # max(input, other): the elementwise maximum
        other, dim = dim, None
    if other is not None:
        return (maximum if name == "max" else minimum)(input, other)
    if axis is not None:
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    if dim is None:
        _check_nonempty(name, input, None)
        return (_Amax if name == "max" else _Amin).apply(input, full=True)
    d = normalize_dim(dim, input.ndim)
    _check_nonempty(name, input, (d,))
    idx = (_Argmax if name == "max" else _Argmin).apply(input, dim=d, keepdim=keepdim)
    values = (_MaxDim if name == "max" else _MinDim).apply(input, idx, dim=d, keepdim=keepdim,
                                                           shape=tuple(input.shape))
    return (_MaxResult if name == "max" else _MinResult)(values, idx)


def max(input, dim=None, keepdim=False, *, other=None, axis=None, keepdims=None, out=None):
    """The largest element; with ``dim``, (values, indices) along it; with a tensor, ``maximum``."""
    return _max_min("max", input, dim, keepdim, other, axis, keepdims)


def min(input, dim=None, keepdim=False, *, other=None, axis=None, keepdims=None, out=None):
    """The smallest element; with ``dim``, (values, indices) along it; with a tensor, ``minimum``."""
    return _max_min("min", input, dim, keepdim, other, axis, keepdims)


def _amax_amin(name, input, dim, keepdim, axis, keepdims):
    dims, keepdim = _dim_args(input, dim, keepdim, axis, keepdims)
    _check_nonempty(name, input, dims)
    prim = _Amax if name == "amax" else _Amin
    return prim.apply(input) if dims is None else prim.apply(input, dim=dims, keepdim=keepdim)


def amax(input, dim=(), keepdim=False, *, axis=None, keepdims=None, out=None):
    """Maximum over ``dim`` (int or tuple; () is every dim); ties share the gradient evenly."""
    return _amax_amin("amax", input, dim, keepdim, axis, keepdims)


def amin(input, dim=(), keepdim=False, *, axis=None, keepdims=None, out=None):
    """Minimum over ``dim`` (int or tuple; () is every dim); ties share the gradient evenly."""
    return _amax_amin("amin", input, dim, keepdim, axis, keepdims)


def _argmax_argmin(name, input, dim, keepdim, axis, keepdims):
    if axis is not None:
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    if input.dtype is _dtype.bool:
        raise RuntimeError(f"{name}(): does not support bool input")
    d = None if dim is None else normalize_dim(dim, input.ndim)
    _check_nonempty(name, input, None if d is None else (d,))
    return (_Argmax if name == "argmax" else _Argmin).apply(input, dim=d, keepdim=keepdim)


def argmax(input, dim=None, keepdim=False, *, axis=None, keepdims=None, out=None):
    """Index of the largest element (of the flattened tensor when ``dim`` is None)."""
    return _argmax_argmin("argmax", input, dim, keepdim, axis, keepdims)


def argmin(input, dim=None, keepdim=False, *, axis=None, keepdims=None, out=None):
    """Index of the smallest element (of the flattened tensor when ``dim`` is None)."""
    return _argmax_argmin("argmin", input, dim, keepdim, axis, keepdims)


# --------------------------------------------------------------------------- std / var
@primitive
class Var:
    def forward(xp, x, dim=None, correction=1, keepdim=False):
        return xp.var(x, axis=dim, ddof=correction, keepdims=keepdim)

    def backward(grad, x, dim=None, correction=1, keepdim=False):
        n = _count(x.shape, _all_dims(x, dim)) - correction
        centred = x - x.mean(dim, keepdim=True)
        return _expand_back(grad, x.shape, dim, keepdim) * centred * (2.0 / n if n > 0 else math.inf)

    def jvp(tangents, x, dim=None, correction=1, keepdim=False):
        n = _count(x.shape, _all_dims(x, dim)) - correction
        centred = x - x.mean(dim, keepdim=True)
        return (tangents[0] * centred).sum(_all_dims(x, dim), keepdim=keepdim) * (
            2.0 / n if n > 0 else math.inf)


@primitive
class Std:
    def forward(xp, x, dim=None, correction=1, keepdim=False):
        return xp.std(x, axis=dim, ddof=correction, keepdims=keepdim)

    def backward(grad, x, result, dim=None, correction=1, keepdim=False):
        # d std = d var / (2 std), and d var / dx = 2 (x - mean) / (N - correction)
        n = _count(x.shape, _all_dims(x, dim)) - correction
        centred = x - x.mean(dim, keepdim=True)
        g = _expand_back(grad / result, x.shape, dim, keepdim)
        return g * centred * (1.0 / n if n > 0 else math.inf)

    def jvp(tangents, x, result, dim=None, correction=1, keepdim=False):
        return _reduce_jvp(Std.backward, tangents[0], x, result, dim, keepdim, correction=correction)


def _std_var(prim, input, dim, unbiased, keepdim, correction, axis, keepdims):
    if isinstance(dim, bool):  # legacy std(input, unbiased)
        dim, unbiased = None, dim
    if not input.dtype.is_floating_point:
        raise RuntimeError("std and var only support floating point and complex dtypes")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    dims, keepdim = _dim_args(input, dim, keepdim, axis, keepdims)
    return prim.apply(input, dim=dims, correction=correction, keepdim=keepdim)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None,
        out=None):
    """Standard deviation over ``dim`` with Bessel's ``correction`` (1 by default; unbiased=False: 0)."""
    return _std_var(Std, input, dim, unbiased, keepdim, correction, axis, keepdims)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None,
        out=None):
    """Variance over ``dim`` with Bessel's ``correction`` (1 by default; unbiased=False: 0)."""
    return _std_var(Var, input, dim, unbiased, keepdim, correction, axis, keepdims)


# --------------------------------------------------------------------------- norms, logsumexp
@primitive
class VectorNorm:
    grad_fn = "LinalgVectorNormBackward0"

    def forward(xp, x, ord=2.0, dim=None, keepdim=False):
        if ord != 0 and x.size and (x.size == 1 or dim is not None and _count(x.shape, dim) == 1):
            # one element per norm: |x| exactly, as torch gives (no overflow of x * x for large x)
            a = xp.abs(x)
            return a.reshape(()) if dim is None and not keepdim else (
                a if keepdim else xp.squeeze(a, axis=dim))
        if ord == 2:  # the common norm first, without the |x| it does not need
            return xp.sqrt((x * x).sum(axis=dim, keepdims=keepdim))
        a = xp.abs(x)
        if ord == math.inf:
            return xp.amax(a, axis=dim, keepdims=keepdim)
        if ord == -math.inf:
            return xp.amin(a, axis=dim, keepdims=keepdim)
        if ord == 0:
            return xp.sum(x != 0, axis=dim, keepdims=keepdim).astype(x.dtype)
        if ord == 1:
            return xp.sum(a, axis=dim, keepdims=keepdim)
        if ord == 2:
            return xp.sqrt(xp.sum(x * x, axis=dim, keepdims=keepdim))
        return xp.sum(a ** ord, axis=dim, keepdims=keepdim) ** (1.0 / ord)

    def backward(grad, x, result, ord=2.0, dim=None, keepdim=False):
        if ord == 0:
            return x * 0
        if ord == 1:
            return _expand_back(grad, x.shape, dim, keepdim) * sign(x)
        if builtins.abs(ord) == math.inf:
            return _even_split(grad, abs(x), result, dim, keepdim) * sign(x)
        g = _expand_back(grad, x.shape, dim, keepdim)
        r = _expand_back(result, x.shape, dim, keepdim)
        # A zero norm means every x in it is zero: dividing by 1 there gives torch's 0 and no nan,
        # in this gradient and in its own gradient.
        r_safe = where(r == 0, 1, r)
        if ord == 2:
            return g * x / r_safe
        a = abs(x)
        scaled = sign(x) * pow(where(a == 0, 1, a), ord - 1)  # |x|^(p-1) sign(x), 0 at x == 0
        return g * scaled / pow(r_safe, ord - 1)

    def jvp(tangents, x, result, ord=2.0, dim=None, keepdim=False):
        return _reduce_jvp(VectorNorm.backward, tangents[0], x, result, dim, keepdim, ord=ord)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """torch.linalg.vector_norm: (sum |x|^ord)^(1/ord) over ``dim`` (every dim when None)."""
    if not x.dtype.is_floating_point:
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as input. "
                           f"Got {_legacy_name(x.dtype)}")
    if dtype is not None:
        x = x.to(dtype)
    dims, keepdim = _dim_args(x, dim, keepdim, None, None)
    return VectorNorm.apply(x, ord=float(ord), dim=dims, keepdim=keepdim)


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """torch.norm: the vector p-norm (p=2 and 'fro' alike) over ``dim``, or over every element."""
    if dim is None and dtype is None and (p == "fro" or type(p) is int and p == 2) and input.dtype._rank == 2:
        return VectorNorm.apply(input, ord=2.0, dim=None, keepdim=keepdim)  # (x.norm(): no checks due)
    if isinstance(p, str):
        if p == "nuc":
            raise NotImplementedError("ember: norm(p='nuc') (the nuclear norm) is not implemented")
        if p != "fro":
            raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
        p = 2
    if isinstance(dim, int):
        dim = (dim,)
    return vector_norm(input, p, dim, keepdim, dtype=dtype)


@primitive
class Logsumexp:
    def forward(xp, x, dim, keepdim=False):
        if x.size == 0:
            return xp.log(xp.sum(xp.exp(x), axis=dim, keepdims=keepdim))
        # shift by the max so exp cannot overflow; an infinite max is left unshifted (inf - inf = nan)
        m = xp.amax(x, axis=dim, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        # torch's order of additions and (nearly) correctly rounded exp/log: the same last bits
        out = precise(xp, xp.log, torch_sum(xp, precise(xp, xp.exp, x - m), dim, True)) + m
        return out if keepdim else xp.squeeze(out, axis=dim)

    def backward(grad, x, result, dim, keepdim=False):
        g = _expand_back(grad, x.shape, dim, keepdim)
        return g * exp(x - _expand_back(result, x.shape, dim, keepdim))

    def jvp(tangents, x, result, dim, keepdim=False):
        return _reduce_jvp(Logsumexp.backward, tangents[0], x, result, dim, keepdim)


def _required_dim(name, dim, axis):
    if axis is not None:
        return axis
    if dim is None:  # torch's wording for a missing dim
        raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')
    return dim


def logsumexp(input, dim=None, keepdim=False, *, out=None, axis=None, keepdims=None):
    """log(sum(exp(input))) over ``dim``, computed without overflow."""
    dim = _required_dim("logsumexp", dim, axis)
    if not input.dtype.is_floating_point:
        input = input.to(_dtype.get_default_dtype())
    dims, keepdim = _dim_args(input, dim, keepdim, None, keepdims)
    return Logsumexp.apply(input, dim=_all_dims(input, dims), keepdim=keepdim)


# --------------------------------------------------------------------------- cumulative ops
def _along(xp, fn, x, dim, dtype=None):
    if x.ndim == 0:  # torch accepts dim 0 / -1 on a 0-d tensor; NumPy wants an axis
        return fn(x.reshape(1), axis=0, dtype=dtype).reshape(())
    return fn(x, axis=dim, dtype=dtype)


@primitive(saves=())
class Cumsum:
    jvp = "linear"

    def forward(xp, x, dim, dtype=None):
        return _along(xp, xp.cumsum, x, dim, dtype)

    def backward(grad, x, dim, dtype=None):
        return _ReverseCumsum.apply(grad, dim=dim)


@primitive(saves=())
class _ReverseCumsum:
    """out[i] = sum of x[j] for j >= i along dim: cumsum's gradient (and the other way round)."""
    jvp = "linear"

    def forward(xp, x, dim):
        def rev(a, axis, dtype=None):
            return xp.flip(xp.cumsum(xp.flip(a, axis), axis=axis), axis)
        return _along(xp, rev, x, dim)

    def backward(grad, x, dim):
        return Cumsum.apply(grad, dim=dim)


@primitive(saves=("x", "result"))
class Cumprod:
    jvp = "transpose"  # backward's zero handling, transposed (see autograd/forward_ad.py)

    def forward(xp, x, dim, dtype=None):
        return _along(xp, xp.cumprod, x, dim, dtype)

    def backward(grad, x, result, dim, dtype=None):
        # dL/dx_i = sum_{j>=i} g_j * prod_{k<=j, k!=i} x_k. Before the first zero along dim this is
        # revcumsum(g * result)_i / x_i; at the first zero it is revcumsum(g * cumprod(x with that
        # zero set to 1))_i; after it every product holds that zero, so the gradient is 0.
        if x.ndim == 0:
            return grad
        is_zero = x == 0
        if grad_mode.STATE.enabled and bool(is_zero._data.any()):
            return _cumprod_backward_exact(grad, x, dim)  # create_graph: see the function
        zeros_so_far = Cumsum.apply(is_zero, dim=dim, dtype=_dtype.int64.np)
        before = zeros_so_far == 0
        first = is_zero & (zeros_so_far == 1)
        safe = where(before, x, 1)
        part_before = _ReverseCumsum.apply(grad * result, dim=dim) / safe
        skip_first = Cumprod.apply(where(first, 1, x), dim=dim)
        part_first = _ReverseCumsum.apply(grad * skip_first, dim=dim)
        return where(before, part_before, where(first, part_first, 0))


def _exclusive_cumprods(x):
    """(product of the elements before, product of those after) each element along the last dim."""
    from ._join import cat
    from .movement import flip
    n = x.shape[-1]
    one = x.narrow(-1, 0, 1) * 0 + 1
    before = cat([one, cumprod(x.narrow(-1, 0, n - 1), -1)], -1)
    after = flip(cat([one, cumprod(flip(x, [-1]).narrow(-1, 0, n - 1), -1)], -1), [-1])
    return before, after


def _prod_of_others(x, dims):
    """For each element, the product of the other elements over ``dims``, without dividing by it:
    exact with zeros and differentiable again (before/after products built from cumprod)."""
    if x.ndim == 0:
        return x * 0 + 1
    keep = [d for d in range(x.ndim) if d not in dims]
    perm = keep + list(dims)
    moved = x.permute(perm)
    flat = moved.reshape(tuple(moved.shape[:len(keep)]) + (-1,))
    before, after = _exclusive_cumprods(flat)
    inverse = [0] * len(perm)
    for i, d in enumerate(perm):
        inverse[d] = i
    return (before * after).reshape(tuple(moved.shape)).permute(inverse)


def _cumprod_backward_exact(grad, x, dim):
    """cumprod's gradient with zeros in x, in a form whose own derivative is right too.

    dL/dx_i = sum over j >= i of g_j * prod_{k <= j, k != i} x_k = before_i * sum_{j >= i} g_j T_ij
    with T_ij = prod_{i < k <= j} x_k, a cumprod along a new axis of x masked to 1 for k <= i (n x n
    per row: used only when create_graph is on and x has a zero).
    """
    from .._creation import ones
    from .movement import triu
    n = x.shape[dim]
    xt, gt = x.movedim(dim, -1), grad.movedim(dim, -1)
    square = ones(n, n, dtype=_dtype.bool)
    masked = where(triu(square, 1), xt.unsqueeze(-2), 1)  # [..., i, k]: x_k for k > i, else 1
    spans = cumprod(masked, -1)
    contrib = where(triu(square), spans * gt.unsqueeze(-2), 0).sum(-1)
    before, _ = _exclusive_cumprods(xt)
    return (before * contrib).movedim(-1, dim)


def cumsum(input, dim=None, *, dtype=None, out=None, axis=None):
    """Running sum along ``dim``; integer and bool inputs give int64 (or ``dtype=``)."""
    dim = _required_dim("cumsum", dim, axis)
    return Cumsum.apply(input, dim=normalize_dim(dim, input.ndim), dtype=_int_result_dtype(input, dtype))


def cumprod(input, dim=None, *, dtype=None, out=None, axis=None):
    """Running product along ``dim``; its gradient is exact even with zeros in the input."""
    dim = _required_dim("cumprod", dim, axis)
    return Cumprod.apply(input, dim=normalize_dim(dim, input.ndim), dtype=_int_result_dtype(input, dtype))


# --------------------------------------------------------------------------- logical reductions
def _logical(fn):
    def forward(xp, x, dim=None, keepdim=False):
        out = fn(xp)(x, axis=dim, keepdims=keepdim)
        return xp.asarray(out).astype(xp.uint8) if x.dtype == xp.uint8 else xp.asarray(out)
    return primitive(type("Logical", (), {"forward": staticmethod(forward)}))


_All = _logical(lambda xp: xp.all)
_Any = _logical(lambda xp: xp.any)


def all(input, dim=None, keepdim=False, *, axis=None, keepdims=None, out=None):
    """True where every element (over ``dim``) is non-zero; uint8 in, uint8 out, as in torch."""
    dims, keepdim = _dim_args(input, dim, keepdim, axis, keepdims)
    return _All.apply(input, dim=dims, keepdim=keepdim and dims is not None)


def any(input, dim=None, keepdim=False, *, axis=None, keepdims=None, out=None):
    """True where some element (over ``dim``) is non-zero; uint8 in, uint8 out, as in torch."""
    dims, keepdim = _dim_args(input, dim, keepdim, axis, keepdims)
    return _Any.apply(input, dim=dims, keepdim=keepdim and dims is not None)


@primitive
class _CountNonzero:
    def forward(xp, x, dim=None):
        return xp.asarray(xp.count_nonzero(x, axis=dim), dtype=xp.int64)


def count_nonzero(input, dim=None, *, axis=None):
    """Number of non-zero elements, over ``dim`` (int or tuple) or the whole tensor (int64)."""
    dims, _ = _dim_args(input, dim, False, axis, None)
    return _CountNonzero.apply(input, dim=dims)
