"""Joining and splitting: cat, stack, hstack/vstack, split, chunk, unbind, atleast_nd.

Part of the movement family (``movement.py`` re-exports these). split/chunk/unbind are single
multi-output primitives whose outputs are views of the input; their backward joins the gradients
back (with zeros for outputs that got none), and cat/stack's backward splits them apart.
"""
from __future__ import annotations

import inspect
import math

from .._dtype import promote_types
from ._registry import primitive
from ._utils import normalize_dim

__all__ = [
    "atleast_1d", "atleast_2d", "atleast_3d", "cat", "chunk", "concat", "concatenate", "hstack",
    "split", "stack", "unbind", "vstack",
]


# --------------------------------------------------------------------------- list ops
_P = inspect.Parameter
_LIST_PRIMITIVES: dict = {}


def _list_primitive(cls, n: int):
    """The primitive for ``cls`` applied to a list of ``n`` tensors.

    The registry learns an op's tensor inputs from the positional parameters of its forward, so a
    list op (cat, stack) gets one primitive per list length, made once: forward receives the arrays
    as a list and backward returns one gradient per tensor. Nothing is saved: backward needs sizes only.
    """
    key = (cls.__name__, n)
    prim = _LIST_PRIMITIVES.get(key)
    if prim is None:
        fwd, bwd = cls.forward, cls.backward

        def forward(xp, *arrays, **params):
            return fwd(xp, arrays, **params)

        def backward(grad, *inputs, **params):
            return bwd(grad, **params)

        forward.__signature__ = inspect.Signature(
            [_P("xp", _P.POSITIONAL_ONLY)] + [_P(f"x{i}", _P.POSITIONAL_ONLY) for i in range(n)]
            + [_P("params", _P.VAR_KEYWORD)])
        body = {"forward": staticmethod(forward), "backward": staticmethod(backward),
                "grad_fn": cls.grad_fn, "jvp": "linear"}  # cat/stack of the tangents
        prim = _LIST_PRIMITIVES[key] = primitive(saves=())(type(cls.__name__, (), body))
    return prim


def _common_dtype(tensors):
    dt = tensors[0].dtype
    for t in tensors[1:]:
        dt = promote_types(dt, t.dtype)
    return dt


class Cat:
    grad_fn = "CatBackward0"

    def forward(xp, arrays, dim, dtype, sizes, skipped):
        parts = [a.astype(dtype, copy=False) for a, s in zip(arrays, skipped) if not s]
        return xp.concatenate(parts, axis=dim)

    def backward(grad, dim, dtype, sizes, skipped):
        from .movement import narrow
        grads, start = [], 0
        for size, skip in zip(sizes, skipped):
            if skip:  # a legacy empty 1-D input: its gradient is empty too
                grads.append(narrow(grad, dim, 0, 0).reshape(0))
                continue
            grads.append(narrow(grad, dim, start, size))
            start += size
        return tuple(grads)


def cat(tensors, dim: int = 0, *, out=None):
    """Join tensors along an existing dim ``dim``, promoting to their common dtype."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    # torch skips 1-D empty tensors whatever the others' shapes (a legacy rule)
    skipped = [t.ndim == 1 and t.shape[0] == 0 for t in tensors]
    if all(skipped):
        skipped[0] = False
    live = [t for t, s in zip(tensors, skipped) if not s]
    ref = live[0]
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    d = normalize_dim(dim, ref.ndim)
    for t in live[1:]:
        if t.ndim != ref.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} and {t.ndim}")
    for i, t in enumerate(tensors):
        if skipped[i]:
            continue
        for k in range(ref.ndim):
            if k != d and t.shape[k] != ref.shape[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size {ref.shape[k]} "
                    f"but got size {t.shape[k]} for tensor number {i} in the list.")
    dt = _common_dtype(tensors)
    sizes = tuple(0 if s else t.shape[d] for t, s in zip(tensors, skipped))
    return _list_primitive(Cat, len(tensors)).apply(
        *tensors, dim=d, dtype=dt.np, sizes=sizes, skipped=tuple(skipped))


concat = concatenate = cat


class Stack:
    grad_fn = "StackBackward0"

    def forward(xp, arrays, dim, dtype):
        return xp.stack([a.astype(dtype, copy=False) for a in arrays], axis=dim)

    def backward(grad, dim, dtype):
        return unbind(grad, dim)


def stack(tensors, dim: int = 0, *, out=None):
    """Join equally shaped tensors along a new dim ``dim``."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tuple(tensors[0].shape)
    for i, t in enumerate(tensors[1:], 1):
        if tuple(t.shape) != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shape)} at "
                               f"entry 0 and {list(t.shape)} at entry {i}")
    d = normalize_dim(dim, len(shape) + 1)
    return _list_primitive(Stack, len(tensors)).apply(*tensors, dim=d, dtype=_common_dtype(tensors).np)


def hstack(tensors, *, out=None):
    """Concatenate along dim 1 (dim 0 for 1-D tensors)."""
    tensors = atleast_1d(*tensors) if len(tensors) != 1 else (atleast_1d(tensors[0]),)
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors, *, out=None):
    """Concatenate along dim 0 after making every tensor at least 2-D."""
    tensors = atleast_2d(*tensors) if len(tensors) != 1 else (atleast_2d(tensors[0]),)
    return cat(tensors, 0)


# --------------------------------------------------------------------------- split / chunk / unbind
def _split_name(x, dim, sizes, equal):
    return "SplitBackward0" if equal else "SplitWithSizesBackward0"


@primitive(view=True, saves=())
class Split:
    grad_fn = staticmethod(_split_name)
    jvp = "linear"

    def forward(xp, x, dim, sizes, equal):
        lead = (slice(None),) * dim
        out, start = [], 0
        for s in sizes:
            out.append(x[lead + (slice(start, start + s),)])
            start += s
        return tuple(out)

    def backward(grad, x, dim, sizes, equal):
        grads = grad if isinstance(grad, tuple) else (grad,)  # a one-piece split has one output
        return cat(grads, dim)


def split(input, split_size_or_sections, dim: int = 0):
    """Split into pieces of ``split_size`` (the last may be smaller) or of the listed sizes (views)."""
    d = normalize_dim(dim, input.ndim)
    n = input.shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = tuple(int(s) for s in split_size_or_sections)
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
                f"dimension {d}), but got split_sizes={list(sizes)}")
        return Split.apply(input, dim=d, sizes=sizes, equal=False)
    size = int(split_size_or_sections)
    if size < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={size}")
    if size == 0 and n != 0:
        raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
    count = max(math.ceil(n / size), 1) if size else 1
    sizes = tuple(min(size, n - i * size) for i in range(count))
    return Split.apply(input, dim=d, sizes=sizes, equal=True)


def chunk(input, chunks: int, dim: int = 0):
    """Split into ``chunks`` pieces of ceil(size / chunks) (fewer when they run out)."""
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = normalize_dim(dim, input.ndim)
    n = input.shape[d]
    if n == 0:  # torch gives `chunks` empty pieces
        return Split.apply(input, dim=d, sizes=(0,) * chunks, equal=False)
    return split(input, math.ceil(n / chunks), d)


@primitive(view=True, saves=())
class Unbind:
    jvp = "linear"
    def forward(xp, x, dim):
        lead = (slice(None),) * dim
        return tuple(x[lead + (i,)] for i in range(x.shape[dim]))

    def backward(grad, x, dim):
        grads = grad if isinstance(grad, tuple) else (grad,)
        return stack(grads, dim)


def unbind(input, dim: int = 0):
    """The slices along ``dim`` as a tuple of views, one dim fewer each."""
    if input.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    return Unbind.apply(input, dim=normalize_dim(dim, input.ndim))


# --------------------------------------------------------------------------- atleast_nd
def _each(fn, tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(fn(t) for t in tensors[0])
    if len(tensors) == 1:
        return fn(tensors[0])
    return tuple(fn(t) for t in tensors)


def atleast_1d(*tensors):
    """0-d tensors become 1-D (a view); others are returned as they are."""
    return _each(lambda t: t.reshape(1) if t.ndim == 0 else t, tensors)


def atleast_2d(*tensors):
    """Tensors with fewer than 2 dims get leading size-1 dims."""
    def one(t):
        if t.ndim == 0:
            return t.reshape(1, 1)
        return t.unsqueeze(0) if t.ndim == 1 else t
    return _each(one, tensors)


def atleast_3d(*tensors):
    """(,) -> (1, 1, 1); (N,) -> (1, N, 1); (M, N) -> (M, N, 1); others as they are."""
    def one(t):
        if t.ndim == 0:
            return t.reshape(1, 1, 1)
        if t.ndim == 1:
            return t.unsqueeze(0).unsqueeze(-1)
        return t.unsqueeze(-1) if t.ndim == 2 else t
    return _each(one, tensors)
