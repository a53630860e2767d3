"""Helpers shared by the op families: undoing broadcasting, normalising dims, argument checks."""
from __future__ import annotations

__all__ = ["broadcast_shapes", "cpp_name", "normalize_dim", "normalize_dims", "sum_to"]

# torch's C++ scalar type names, as its error messages spell dtypes ("expected dtype float ...")
_CPP_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half",
              "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int", "int16": "short int",
              "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def cpp_name(dtype) -> str:
    """An ember dtype as torch's messages name its C++ type (float32 -> 'float', int64 -> 'long int')."""
    return _CPP_NAMES.get(dtype.name, dtype.name)


def sum_to(grad, shape):
    """Sum ``grad`` down to ``shape``: the one place where broadcasting is undone in backward.

    Leading dims that broadcasting added are summed away; dims that were 1 are summed with keepdim.
    Written in ember ops so that double backward flows through it.
    """
    shape = tuple(shape)
    gshape = grad.shape
    if tuple(gshape) == shape:
        return grad
    lead = len(gshape) - len(shape)
    dims = list(range(lead))
    dims += [lead + i for i, s in enumerate(shape) if s == 1 and gshape[lead + i] != 1]
    if dims:
        grad = grad.sum(dim=tuple(dims), keepdim=True)
    if lead or tuple(grad.shape) != shape:
        grad = grad.reshape(shape)
    return grad


def normalize_dim(dim: int, ndim: int) -> int:
    """A dim in [-ndim, ndim) as a non-negative index, with torch's IndexError otherwise.

    A 0-d tensor accepts dims -1 and 0, as in torch.
    """
    if not isinstance(dim, int) or isinstance(dim, bool):
        if hasattr(dim, "__index__"):
            dim = dim.__index__()
        else:
            raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    n = max(ndim, 1)
    if dim < -n or dim >= n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim % n


def normalize_dims(dim, ndim: int):
    """None -> every dim; an int or a sequence -> a sorted tuple of non-negative dims (no repeats)."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (list, tuple)):
        dims = tuple(normalize_dim(d, ndim) for d in dim)
        if len(set(dims)) != len(dims):
            repeated = next(d for d in dims if dims.count(d) > 1)
            raise RuntimeError(f"dim {repeated} appears multiple times in the list of dims")
        return tuple(sorted(dims)) if ndim else ()
    d = normalize_dim(dim, ndim)
    return (d,) if ndim else ()


def broadcast_shapes(*shapes):
    """torch.broadcast_shapes, with torch's error text."""
    ndim = max((len(s) for s in shapes), default=0)
    out = [1] * ndim
    for s in shapes:
        for i in reversed(range(len(s))):  # torch checks from the last dim, so reports that mismatch
            n = s[i]
            j = ndim - len(s) + i
            if out[j] == 1:
                out[j] = n
            elif n != 1 and n != out[j]:
                raise RuntimeError(
                    f"The size of tensor a ({out[j]}) must match the size of tensor b ({n}) at "
                    f"non-singleton dimension {j}"
                )
    return tuple(out)
