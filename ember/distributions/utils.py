"""Helpers shared by the distributions: broadcasting parameters, probs <-> logits, lazy properties."""
from __future__ import annotations

import math
from numbers import Number

import numpy as np

import ember

__all__ = [
    "broadcast_all",
    "clamp_probs",
    "lazy_property",
    "logits_to_probs",
    "probs_to_logits",
    "tril_matrix_to_vec",
    "vec_to_tril_matrix",
]


def _finfo(dtype):
    """NumPy's finfo for an ember float dtype (eps, tiny, min, max as torch.finfo reports them)."""
    return np.finfo(dtype.np)


def broadcast_all(*values):
    """Broadcast tensors and numbers to one shape; numbers become tensors of the tensors' dtype.

    With no tensor among the values, numbers become tensors of the default dtype.
    """
    if not all(isinstance(v, (ember.Tensor, Number)) for v in values):
        raise ValueError("Input arguments must all be instances of numbers.Number, "
                         "torch.Tensor or objects implementing __torch_function__.")
    if all(isinstance(v, ember.Tensor) for v in values):
        return ember.broadcast_tensors(*values)
    dtype = ember.get_default_dtype()
    for v in values:
        if isinstance(v, ember.Tensor):
            dtype = v.dtype
            break
    new = [v if isinstance(v, ember.Tensor) else ember.tensor(v, dtype=dtype) for v in values]
    return ember.broadcast_tensors(*new)


def _standard_normal(shape, dtype, device=None):
    """Standard normals drawn as torch draws them here: ``normal_()`` on a fresh tensor."""
    return ember.empty(shape, dtype=dtype).normal_()


def _sum_rightmost(value, dim: int):
    """Sum out the ``dim`` rightmost dimensions."""
    if dim == 0:
        return value
    required_shape = tuple(value.shape[:-dim]) + (-1,)
    return value.reshape(required_shape).sum(-1)


def clamp_probs(probs):
    """Clamp probabilities into the open interval (0, 1) by one machine epsilon."""
    eps = float(_finfo(probs.dtype).eps)
    return probs.clamp(min=eps, max=1 - eps)


def logits_to_probs(logits, is_binary: bool = False):
    """Sigmoid for binary logits, softmax over the last dim otherwise."""
    if is_binary:
        return ember.sigmoid(logits)
    return ember.softmax(logits, dim=-1)


def probs_to_logits(probs, is_binary: bool = False):
    """log-odds for binary probabilities, log-probabilities otherwise (after clamping)."""
    ps_clamped = clamp_probs(probs)
    if is_binary:
        return ember.log(ps_clamped) - ember.log1p(-ps_clamped)
    return ember.log(ps_clamped)


class lazy_property:
    """A property computed on first access and then cached in the instance's ``__dict__``.

    Distributions keep either ``probs`` or ``logits`` and derive the other one lazily; caching under
    the same name means the second access is a plain attribute lookup.
    """

    def __init__(self, wrapped) -> None:
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return self
        with ember.enable_grad():
            value = self.wrapped(instance)
        instance.__dict__[self.wrapped.__name__] = value
        return value


def _softplus(x):
    """log(1 + e^x) without overflow, in ember ops (differentiable)."""
    return x.clamp(min=0) + ember.log1p(ember.exp(-x.abs()))


def _clamp_by_zero(x):
    # x.clamp(min=0) whose gradient is 1/2 at 0 (both sides averaged), as torch's Binomial uses
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


def _batch_mv(bmat, bvec):
    """Batched matrix-vector product with broadcasting."""
    return ember.matmul(bmat, bvec.unsqueeze(-1)).squeeze(-1)


def _log_2pi() -> float:
    return math.log(2 * math.pi)


def _tril_positions(n: int, diag: int) -> np.ndarray:
    """Flat (row-major) positions of the lower triangle (offset ``diag``) of an n x n matrix."""
    rows, cols = np.tril_indices(n, diag)
    return rows * n + cols


def vec_to_tril_matrix(vec, diag: int = 0):
    """Fill a lower-triangular matrix (offset ``diag``) row by row from the last dim of ``vec``."""
    # solve n(n+1)/2 + n*diag (the triangle size) = len for n
    n = (-(1 + 2 * diag) + ((1 + 2 * diag) ** 2 + 8 * vec.shape[-1] + 4 * abs(diag) * (diag + 1))
         ** 0.5) / 2
    eps = float(np.finfo(np.float32).eps)
    if round(n) - n > eps:
        raise ValueError(f"The size of last dimension is {vec.shape[-1]} which cannot be expressed "
                         "as the lower triangular part of a square D x D matrix.")
    n = round(n)
    # a gather instead of a scatter: each matrix slot reads its vector entry, or an appended zero
    length = vec.shape[-1]
    source = np.full(n * n, length)
    source[_tril_positions(n, diag)] = np.arange(length)
    padded = ember.cat([vec, ember.zeros((*tuple(vec.shape[:-1]), 1), dtype=vec.dtype)], -1)
    return padded[..., ember.tensor(source)].reshape((*tuple(vec.shape[:-1]), n, n))


def tril_matrix_to_vec(mat, diag: int = 0):
    """The lower triangle (offset ``diag``) of the last two dims, read row by row."""
    n = mat.shape[-1]
    if not (-n <= diag < n):
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    flat = mat.reshape(tuple(mat.shape[:-2]) + (n * n,))
    return flat[..., ember.tensor(_tril_positions(n, diag))]


def _check_probs_or_logits(probs, logits) -> None:
    """torch's rule for the distributions parametrised either way: exactly one of the two."""
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")


def _expand_probs_logits(new, old, shape) -> None:
    """Give ``new`` whichever of ``old``'s probs / logits exist (the other stays lazy), expanded to
    ``shape``, with ``_param`` pointing at the last one set (logits when both exist, as torch)."""
    for name in ("probs", "logits"):
        if name in old.__dict__:
            value = old.__dict__[name].expand(shape)
            setattr(new, name, value)
            new._param = value

