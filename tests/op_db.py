"""Every op declared once: how to call it, on what inputs, with what tolerances.

An ``OpInfo`` holds one function ``fn(lib, *tensors, **kwargs)`` that is called both with ``torch``
and with ``ember`` as ``lib`` (the APIs are the same, which is the point), and sample inputs as
float64 NumPy arrays and Python scalars. tests/ops/test_op_db.py runs every entry through the shared
checks: forward values / dtype / shape against torch, gradients against torch (float32 and float64),
and gradients against float64 central finite differences.

The entries themselves live in tests/_op_db/<family>.py, one file per ops/ family, each exporting
``OPS``; this module gathers them into ``OP_DB``.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["OP_DB", "OpInfo", "Sample", "arr", "rng"]


@dataclasses.dataclass
class Sample:
    """One call: positional args (np.ndarray -> tensor, anything else passed as is) and kwargs.

    ``grad``: indices of args that are differentiable (default: every floating ndarray arg).
    ``int_args``: indices of ndarray args that become int64 tensors (indices, targets).
    ``bool_args``: indices of ndarray args that become bool tensors (masks, conditions).
    """
    args: tuple
    kwargs: dict = dataclasses.field(default_factory=dict)
    grad: tuple | None = None
    int_args: tuple = ()
    bool_args: tuple = ()
    name: str = ""

    def __repr__(self) -> str:
        shapes = [a.shape if isinstance(a, np.ndarray) else a for a in self.args]
        return f"Sample({self.name or ''}{shapes}, {self.kwargs})"


@dataclasses.dataclass
class OpInfo:
    name: str
    fn: Callable[..., Any]                  # fn(lib, *args, **kwargs), lib is torch or ember
    samples: Callable[[], list]             # -> list[Sample]
    differentiable: bool = True
    dtypes: tuple = ("float32", "float64")  # dtypes the float inputs are cast to
    rtol: float = 1e-5
    atol: float = 1e-6
    grad_rtol: float = 1e-4
    grad_atol: float = 1e-5
    fd_rtol: float = 1e-4                   # finite differences, float64
    fd_atol: float = 1e-6
    gradcheck: bool = True                  # run the finite-difference check
    exact_dtype: bool = True

    def __repr__(self) -> str:
        return self.name


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def arr(*shape, low=-2.0, high=2.0, seed=0) -> np.ndarray:
    """A float64 array with values in [low, high) (deterministic per seed and shape)."""
    g = np.random.default_rng(seed + 7919 * len(shape) + sum(shape))
    return g.uniform(low, high, size=shape)


def _gather():
    import importlib
    import pkgutil

    import tests._op_db as pkg
    ops = []
    for mod in sorted(m.name for m in pkgutil.iter_modules(pkg.__path__)):
        ops.extend(importlib.import_module(f"tests._op_db.{mod}").OPS)
    names = [o.name for o in ops]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise RuntimeError(f"op_db: entries declared twice: {sorted(dup)}")
    return ops


OP_DB = _gather()
