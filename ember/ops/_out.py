"""torch's ``out=`` argument, handled once for every top-level function.

``ember.add(x, y, out=o)`` computes ``add(x, y)`` and writes the result into ``o`` as torch does: the
result is cast to ``o``'s dtype when torch's casting rule allows it, ``o`` is resized (with torch's
deprecation warning when it had elements) if the shapes differ, and autograd is refused.
"""
from __future__ import annotations

import functools
import inspect
import warnings

__all__ = ["add_out_support"]

# Functions that produce new tensors from their arguments' shapes rather than from input tensors:
# with out= and no dtype, torch takes the dtype from out.
_FACTORIES = {"zeros", "ones", "empty", "full", "arange", "range", "linspace", "logspace", "eye"}
_SKIP = {"tensor", "as_tensor", "from_numpy", "asarray", "is_tensor", "numel", "is_floating_point",
         "broadcast_shapes", "result_type", "promote_types", "can_cast"}


def _requires_grad(args, kwargs) -> bool:
    from .._tensor import Tensor
    for a in list(args) + list(kwargs.values()):
        if isinstance(a, Tensor) and a._requires_grad:
            return True
        if isinstance(a, (list, tuple)) and any(isinstance(t, Tensor) and t._requires_grad for t in a):
            return True
    return False


def _write(out, result, name: str):
    from .._dtype import can_cast
    from .._tensor import Tensor
    from ._registry import _legacy_name
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if not can_cast(result.dtype, out.dtype):
        raise RuntimeError(f"result type {_legacy_name(result.dtype)} can't be cast to the desired output "
                           f"type {_legacy_name(out.dtype)}")
    arr = result._data
    if arr.shape != out._data.shape:
        if out._data.size != 0:
            warnings.warn(
                f"An output with one or more elements was resized since it had shape "
                f"[{', '.join(map(str, out.shape))}], which does not match the required output shape "
                f"[{', '.join(map(str, arr.shape))}]. This behavior is deprecated, and in a future PyTorch "
                "release outputs will not be resized unless they have zero elements. You can explicitly "
                "reuse an out tensor t by resizing it, inplace, to zero elements with t.resize_(0).",
                UserWarning, stacklevel=4)
        out._data = arr.astype(out._data.dtype, copy=True)
    else:
        out._data[...] = arr
    out._version_counter[0] += 1
    return out


def _with_out(fn, name: str, factory: bool):
    @functools.wraps(fn)
    def call(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        from ..autograd import grad_mode
        if grad_mode.STATE.enabled and _requires_grad(args, kwargs):
            raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                               "differentiation, but one of the arguments requires grad.")
        if factory and kwargs.get("dtype") is None:
            kwargs["dtype"] = out.dtype
        result = fn(*args, **kwargs)
        if isinstance(result, tuple):
            if not isinstance(out, (tuple, list)) or len(out) != len(result):
                raise TypeError(f"{name}(): argument 'out' must be tuple of {len(result)} Tensors")
            written = [_write(o, r, name) for o, r in zip(out, result)]
            return type(result)(*written) if hasattr(result, "_fields") else tuple(written)
        return _write(out, result, name)
    return call


def add_out_support(namespace: dict) -> None:
    """Give every op and factory function in ``namespace`` (ember's) a working ``out=`` argument."""
    for name, fn in list(namespace.items()):
        if name.startswith("_") or name in _SKIP or not inspect.isfunction(fn):
            continue
        module = getattr(fn, "__module__", "") or ""
        if not (module.startswith("ember.ops.") or module == "ember._creation"):
            continue
        if name.endswith("_like"):
            continue
        namespace[name] = _with_out(fn, name, name in _FACTORIES)
