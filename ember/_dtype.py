"""dtype objects, the default dtype, and torch's type-promotion rules.

torch promotes differently from NumPy: an integer tensor times a Python float is float32 (the default
dtype), int / int is float32, and a 0-d tensor or a Python scalar never widens a dimensioned tensor of
the same category (``float32_tensor * float64_scalar_tensor`` stays float32). ``result_type`` below
implements torch's three-tier rule: dimensioned tensors, then 0-d tensors, then Python scalars.
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "bool",
    "can_cast",
    "double",
    "dtype",
    "float",
    "float16",
    "float32",
    "float64",
    "get_default_dtype",
    "half",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "long",
    "promote_types",
    "result_type",
    "set_default_dtype",
    "short",
    "uint8",
]

_builtin_bool, _builtin_int, _builtin_float = bool, int, float


class dtype:
    """A tensor element type; prints as ``ember.float32``."""

    __slots__ = ("_rank", "is_complex", "is_floating_point", "is_signed", "itemsize", "name", "np")

    def __init__(self, name: str, np_dtype, rank: int):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.is_complex = self.np.kind == "c"
        self.is_signed = self.np.kind in "fic"
        self.itemsize = self.np.itemsize
        self._rank = rank  # category: 0 bool, 1 integer, 2 floating

    def __repr__(self) -> str:
        return f"ember.{self.name}"

    def to_complex(self):
        raise RuntimeError("complex dtypes are not supported by ember yet")

    def __reduce__(self):
        return (_by_name, (self.name,))


bool = dtype("bool", np.bool_, 0)
uint8 = dtype("uint8", np.uint8, 1)
int8 = dtype("int8", np.int8, 1)
int16 = dtype("int16", np.int16, 1)
int32 = dtype("int32", np.int32, 1)
int64 = dtype("int64", np.int64, 1)
float16 = dtype("float16", np.float16, 2)
float32 = dtype("float32", np.float32, 2)
float64 = dtype("float64", np.float64, 2)
half, float, double = float16, float32, float64
short, int, long = int16, int32, int64

ALL_DTYPES = (bool, uint8, int8, int16, int32, int64, float16, float32, float64)
_FROM_NP = {d.np: d for d in ALL_DTYPES}
_BY_NAME = {d.name: d for d in ALL_DTYPES}


def _by_name(name: str) -> dtype:
    return _BY_NAME[name]


def from_numpy_dtype(np_dtype) -> dtype:
    """The ember dtype of a NumPy dtype; TypeError for kinds ember cannot hold."""
    try:
        return _FROM_NP[np_dtype]
    except KeyError:
        pass
    np_dtype = np.dtype(np_dtype)
    if np_dtype in _FROM_NP:
        return _FROM_NP[np_dtype]
    raise TypeError(
        f"can't convert np.ndarray of type numpy.{np_dtype}. The only supported types are: "
        "float64, float32, float16, int64, int32, int16, int8, uint8, and bool."
    )


class _DefaultDtype:
    value = float32


def get_default_dtype() -> dtype:
    """The floating dtype used for Python floats and for float results of integer inputs."""
    return _DefaultDtype.value


def set_default_dtype(d: dtype) -> None:
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _DefaultDtype.value = d


def _promote_pair(a: dtype, b: dtype) -> dtype:
    if a is b:
        return a
    if a._rank != b._rank:
        return a if a._rank > b._rank else b  # bool < any integer < any float: the higher wins whole
    if a._rank == 2:
        return a if a.itemsize >= b.itemsize else b
    # integers: NumPy's table agrees with torch's (uint8 with int8 -> int16, ...)
    return _FROM_NP[np.promote_types(a.np, b.np)]


_PROMOTE = {(a, b): _promote_pair(a, b) for a in ALL_DTYPES for b in ALL_DTYPES}


def promote_types(type1: dtype, type2: dtype) -> dtype:
    """torch.promote_types: the smallest dtype both can be cast to, by torch's table."""
    return _PROMOTE[type1, type2]


def _combine(higher, lower):
    """Combine the result of a higher tier with a lower one (torch's combine_categories)."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher._rank == 2:
        return higher
    if higher is bool or lower._rank == 2:
        return _PROMOTE[higher, lower]
    return higher


def scalar_dtype(value) -> dtype:
    """The dtype a Python scalar takes when it stands alone (tensor(3.0) -> default dtype)."""
    if isinstance(value, _builtin_bool):
        return bool
    if isinstance(value, _builtin_int):
        return int64
    return _DefaultDtype.value


def result_type(*operands) -> dtype:
    """torch.result_type over tensors and Python scalars (bool, int, float).

    Dimensioned tensors decide first; 0-d tensors only matter when they are of a higher category;
    Python scalars only when they are of a higher category than every tensor.
    """
    dim_t = zero_t = wrapped = None
    for op in operands:
        d = getattr(op, "dtype", None)
        if d is not None:
            if op.ndim:
                dim_t = d if dim_t is None else _PROMOTE[dim_t, d]
            else:
                zero_t = d if zero_t is None else _PROMOTE[zero_t, d]
        else:
            d = scalar_dtype(op)
            wrapped = d if wrapped is None else _PROMOTE[wrapped, d]
    return _combine(dim_t, _combine(zero_t, wrapped))


def can_cast(from_: dtype, to: dtype) -> bool:
    """torch.can_cast: False only when the cast lowers the category (float -> int, int -> bool)."""
    return from_._rank <= to._rank


def to_dtype(d) -> dtype:
    """Accept an ember dtype, a NumPy dtype, or a Python type (float, int, bool) as torch does."""
    if isinstance(d, dtype):
        return d
    if d is _builtin_float:
        return float64
    if d is _builtin_int:
        return int64
    if d is _builtin_bool:
        return bool
    try:
        return from_numpy_dtype(np.dtype(d))
    except TypeError as exc:
        raise TypeError(f"expected a dtype, but got {d!r}") from exc
