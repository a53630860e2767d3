"""Shape and movement ops: view/reshape, permute, expand, indexing, cat/stack/split, gather, flip, ..."""
from __future__ import annotations

from ._registry import primitive

__all__ = ["reshape", "unsqueeze", "expand"]


def _infer_shape(shape, numel):
    shape = list(shape)
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size {numel}")
        shape[neg[0]] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size {numel}")
    return tuple(shape)


@primitive(view=True, saves=())
class View:
    def forward(xp, x, shape):
        return x.reshape(shape)

    def backward(grad, x, shape):
        return grad  # the registry's sum_to reshapes to the input's shape


@primitive(view=True, saves=())
class Unsqueeze:
    def forward(xp, x, dim):
        return xp.expand_dims(x, dim)

    def backward(grad, x, dim):
        return grad.squeeze(dim)


@primitive(view=True, saves=())
class Expand:
    def forward(xp, x, shape):
        return xp.broadcast_to(x, shape)

    def backward(grad, x, shape):
        return grad  # summed back to x's shape by the registry


def reshape(input, *shape):
    from .._tensor import _shape_args
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    shape = _infer_shape(shape, input.numel())
    return View.apply(input, shape=shape)


def unsqueeze(input, dim):
    from ._utils import normalize_dim
    return Unsqueeze.apply(input, dim=normalize_dim(dim, input.ndim + 1))


def expand(input, *sizes):
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    lead = len(sizes) - input.ndim
    shape = tuple(input.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    return Expand.apply(input, shape=shape)
