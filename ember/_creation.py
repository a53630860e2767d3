"""Tensor creation: tensor, as_tensor, from_numpy, zeros/ones/full/empty, ranges, eye, and *_like."""
from __future__ import annotations

import math
import warnings

import numpy as np

from . import _dtype
from ._backend import as_device
from ._dtype import from_numpy_dtype, get_default_dtype, to_dtype
from ._tensor import Tensor, _shape_args

__all__ = [
    "arange",
    "as_tensor",
    "asarray",
    "empty",
    "empty_like",
    "eye",
    "from_numpy",
    "full",
    "full_like",
    "linspace",
    "logspace",
    "ones",
    "ones_like",
    "range",
    "scalar_tensor",
    "tensor",
    "zeros",
    "zeros_like",
]




def _finish(arr, dtype, device, requires_grad):
    as_device(device)
    t = Tensor._wrap(arr, from_numpy_dtype(arr.dtype))
    if requires_grad:
        if not t.dtype.is_floating_point:
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t._requires_grad = True
    return t


def _first_leaf(data):
    while isinstance(data, (list, tuple)) and len(data):
        data = data[0]
    return data


def _infer_array(data, keep_float64: bool = False):
    """Python data -> array with torch's inference: bool, int64, or the default float dtype.

    keep_float64: leave Python floats in float64 (an explicit dtype= follows, so no early rounding).
    """
    try:
        arr = np.array(data)
    except ValueError as exc:
        raise ValueError(_ragged_message(data)) from exc
    if arr.dtype == object:
        if isinstance(data, (list, tuple)):
            raise ValueError(_ragged_message(data))
        raise TypeError(f"Could not infer dtype of {type(data).__name__}")
    if arr.dtype.kind == "f" and arr.dtype != np.float16 and not keep_float64:
        leaf = _first_leaf(data)
        if not isinstance(leaf, (Tensor, np.ndarray, np.generic)):
            arr = arr.astype(get_default_dtype().np)
    elif arr.dtype.kind in "iu" and arr.dtype != np.int64:
        leaf = _first_leaf(data)
        if not isinstance(leaf, (Tensor, np.ndarray, np.generic)):
            arr = arr.astype(np.int64)
    elif arr.dtype.kind in "US":
        raise TypeError(f"new(): invalid data type '{arr.dtype.name[:3]}'")
    return arr


def _ragged_message(data) -> str:
    """torch's message for a ragged nested list: the first dim where lengths disagree."""
    def walk(seq, dim):
        if not isinstance(seq, (list, tuple)) or not seq:
            return None
        lengths = [len(x) if isinstance(x, (list, tuple)) else None for x in seq]
        first = lengths[0]
        for n in lengths[1:]:
            if n != first:
                return f"expected sequence of length {first} at dim {dim + 1} (got {n})"
        for x in seq:
            msg = walk(x, dim + 1)
            if msg:
                return msg
        return None
    return walk(data, 0) or "could not convert data to a tensor"


def tensor(data, *, dtype=None, device=None, requires_grad: bool = False, pin_memory: bool = False):
    """A new tensor copying ``data`` (nested lists, scalars, NumPy arrays or tensors)."""
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
            "sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor).",
            UserWarning, stacklevel=2)
        arr = data._data.copy()
    elif isinstance(data, (np.ndarray, np.generic)):
        from_numpy_dtype(data.dtype)
        arr = np.array(data, copy=True)
    else:
        arr = _infer_array(data, keep_float64=dtype is not None)
    if dtype is not None:
        arr = arr.astype(to_dtype(dtype).np, copy=False)
    return _finish(arr, dtype, device, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like tensor(), but shares memory with a tensor or NumPy array when no conversion is needed."""
    if isinstance(data, Tensor):
        return data if dtype is None or to_dtype(dtype) is data.dtype else data.to(dtype)
    if isinstance(data, np.ndarray):
        t = from_numpy(data)
        return t if dtype is None else t.to(dtype)
    return tensor(data, dtype=dtype, device=device)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    t = tensor(obj, dtype=dtype) if copy else as_tensor(obj, dtype=dtype, device=device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def from_numpy(ndarray):
    """A tensor sharing memory with a NumPy array (writes through either are seen by both)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    return Tensor._wrap(ndarray, from_numpy_dtype(ndarray.dtype))


def _dt(dtype):
    return get_default_dtype() if dtype is None else to_dtype(dtype)


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    return _finish(np.zeros(_shape_args(size), _dt(dtype).np), dtype, device, requires_grad)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    return _finish(np.ones(_shape_args(size), _dt(dtype).np), dtype, device, requires_grad)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
          memory_format=None):
    # zero-filled: torch's memory is uninitialised, so any values are allowed, and zeros are reproducible
    return _finish(np.zeros(_shape_args(size), _dt(dtype).np), dtype, device, requires_grad)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        dtype = _dtype.scalar_dtype(fill_value)
    return _finish(np.full(_shape_args((size,)), fill_value, to_dtype(dtype).np), dtype, device,
                   requires_grad)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    return _finish(np.array(s, _dt(dtype).np), dtype, device, requires_grad)


def _num(x):
    return x.item() if isinstance(x, Tensor) else x


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False, pin_memory=False):
    """Values from start to end (exclusive) by step; int64 unless a bound or step is a float."""
    if end is None:
        start, end = 0, start
    start, end, step = _num(start), _num(end), _num(step)
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) / step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        is_float = any(isinstance(v, float) for v in (start, end, step))
        dt = get_default_dtype() if is_float else _dtype.int64
    else:
        dt = to_dtype(dtype)
    n = math.ceil((end - start) / step)
    if dt.is_floating_point:
        arr = (start + np.arange(n, dtype=np.float64) * step).astype(dt.np)
    else:
        arr = np.arange(start, start + n * step, step)[:n].astype(dt.np)
    return _finish(arr, dt, device, requires_grad)


def range(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """Deprecated torch.range: end is included."""
    if end is None:
        start, end = 0, start
    n = math.floor((end - start) / step) + 1
    dt = get_default_dtype() if dtype is None else to_dtype(dtype)
    arr = (start + np.arange(n, dtype=np.float64) * step).astype(dt.np)
    return _finish(arr, dt, device, requires_grad)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """steps evenly spaced values, computed as torch does: from start for the first half, from end
    for the second (so both ends are exact)."""
    start, end = _num(start), _num(end)
    if not isinstance(steps, (int, np.integer)) or steps < 0:
        raise RuntimeError("linspace(): number of steps must be non-negative")
    dt = get_default_dtype() if dtype is None else to_dtype(dtype)
    ct = dt.np if dt.is_floating_point else np.float64
    if steps == 1:
        arr = np.array([start], dtype=ct)
    else:
        # torch: step in the output dtype, then start + step*i (end - step*(n-1-i) for the second
        # half) as one fused multiply-add, i.e. exact product and sum rounded once
        s, e = ct.type(start), ct.type(end)
        step = np.float64((e - s) / ct.type(steps - 1))
        idx = np.arange(steps, dtype=np.float64)
        half = steps // 2
        arr = np.empty(steps, dtype=np.float64)
        arr[:half] = np.float64(s) + step * idx[:half]
        arr[half:] = np.float64(e) - step * (steps - 1 - idx[half:])
    return _finish(arr.astype(dt.np), dt, device, requires_grad)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    dt = get_default_dtype() if dtype is None else to_dtype(dtype)
    exps = linspace(start, end, steps, dtype=_dtype.float64)._data
    return _finish(np.power(base, exps).astype(dt.np), dt, device, requires_grad)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    return _finish(np.eye(n, n if m is None else m, dtype=_dt(dtype).np), dtype, device, requires_grad)


def _like(fn, input, dtype, requires_grad, *args):
    dt = input.dtype if dtype is None else to_dtype(dtype)
    return _finish(fn(input._data.shape, *args, dtype=dt.np), dt, None, requires_grad)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return _like(np.zeros, input, dtype, requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return _like(np.ones, input, dtype, requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return _like(np.zeros, input, dtype, requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    dt = input.dtype if dtype is None else to_dtype(dtype)
    return _finish(np.full(input._data.shape, fill_value, dtype=dt.np), dt, None, requires_grad)



