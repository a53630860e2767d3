"""Reductions: sum, mean, prod, max/min, amax/amin, argmax/argmin, std/var, norm, logsumexp, cum*."""
from __future__ import annotations

from .. import _dtype
from ._registry import primitive
from ._utils import normalize_dims

__all__ = ["sum"]


def _dims_name(base):
    def name(x, dim=None, keepdim=False, dtype=None):
        return f"{base}Backward0" if dim is None else f"{base}Backward1"
    return name


@primitive
class Sum:
    grad_fn = staticmethod(_dims_name("Sum"))

    def forward(xp, x, dim=None, keepdim=False, dtype=None):
        return xp.sum(x, axis=dim, keepdims=keepdim, dtype=dtype)

    def backward(grad, x, dim=None, keepdim=False, dtype=None):
        return _expand_back(grad, x.shape, dim, keepdim)


def _expand_back(grad, shape, dim, keepdim):
    """Spread the gradient of a reduction back over the reduced dims."""
    if not keepdim and dim is not None:
        for d in dim:
            grad = grad.unsqueeze(d)
    return grad.expand(shape)


def _sum_dtype(x, dtype):
    if dtype is not None:
        return _dtype.to_dtype(dtype).np
    if x.dtype._rank < 2:  # integers and bools sum to int64, as in torch
        return _dtype.int64.np
    return None


def sum(input, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None, out=None):
    """Sum over all elements, or over ``dim`` (an int or a tuple of ints)."""
    if axis is not None:
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    dims = None if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0) else \
        normalize_dims(dim, input.ndim)
    if dims is None:
        return Sum.apply(input, dtype=_sum_dtype(input, dtype))
    return Sum.apply(input, dim=dims, keepdim=keepdim, dtype=_sum_dtype(input, dtype))
