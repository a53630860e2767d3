"""Turning a list of samples into a batch (default_collate) or samples into tensors (default_convert).

Both recurse through the structure of the first sample: tensors are stacked, numbers become tensors,
dicts/tuples/lists/namedtuples keep their shape with each field collated, strings stay lists.
"""
from __future__ import annotations

import collections.abc
import copy
import re
from typing import Any

import numpy as np

from ..._tensor import Tensor

__all__ = ["default_collate", "default_convert"]

_NP_STR_OBJ = re.compile(r"[SaUO]")  # NumPy dtypes that cannot become tensors
_COLLATE_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, "
                "dicts or lists; found {}")
_CONVERT_ERR = "default_convert: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(x, "_fields")


def _rebuild_mapping(elem, items: dict):
    """A mapping of elem's type with items, falling back to a dict as torch does."""
    try:
        if isinstance(elem, collections.abc.MutableMapping):
            out = copy.copy(elem)  # keeps the type and any extra state of mapping subclasses
            out.update(items)
            return out
        return type(elem)(items)
    except TypeError:
        return items


def default_convert(data: Any) -> Any:
    """Convert NumPy arrays and numbers inside ``data`` to tensors, without adding a batch dim."""
    from ..._creation import as_tensor
    if isinstance(data, Tensor):
        return data
    if type(data).__module__ == "numpy" and not isinstance(data, (np.str_, np.bytes_)):
        if isinstance(data, np.ndarray) and _NP_STR_OBJ.search(data.dtype.str) is not None:
            return data
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, {k: default_convert(v) for k, v in data.items()})
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def default_collate(batch: list) -> Any:
    """Collate a list of samples into a batch, as ``torch.utils.data.default_collate`` does.

    Tensors are stacked along a new first dim; Python floats become a float64 tensor and ints an
    int64 tensor; NumPy arrays and scalars become tensors; strings are kept as a list; mappings,
    namedtuples, tuples and lists are collated field by field (tuples come back as lists).
    """
    from ... import _dtype
    from ..._creation import as_tensor, tensor
    from ...ops._join import stack

    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(batch, 0)
    if type(elem).__module__ == "numpy" and not isinstance(elem, (np.str_, np.bytes_)):
        if isinstance(elem, np.ndarray):
            if _NP_STR_OBJ.search(elem.dtype.str) is not None:
                raise TypeError(_COLLATE_ERR.format(elem.dtype))
            # one array for the whole batch, then one tensor: no per-sample tensor objects
            return as_tensor(np.stack(batch))
        if elem.shape == ():
            return as_tensor(np.asarray(batch))
    if isinstance(elem, float):
        return tensor(batch, dtype=_dtype.float64)
    if isinstance(elem, int):  # bools too: tensor() keeps them a bool tensor, as torch's does
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild_mapping(elem, {k: default_collate([d[k] for d in batch]) for k in elem})
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if not all(len(e) == size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = [list(s) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return [default_collate(s) for s in transposed]
        try:
            return type(elem)([default_collate(s) for s in transposed])
        except TypeError:
            return [default_collate(s) for s in transposed]
    raise TypeError(_COLLATE_ERR.format(type(elem)))
