"""The random generator behind manual_seed, rand, randn, randint, randperm, normal, ...

(Minimal NumPy-backed version; PyTorch-identical streams are built in the random-streams issue.)
"""
from __future__ import annotations

import numpy as np

from . import _dtype
from ._creation import _finish
from ._dtype import get_default_dtype, to_dtype
from ._tensor import _shape_args

__all__ = [
    "Generator",
    "default_generator",
    "initial_seed",
    "manual_seed",
    "normal",
    "rand",
    "rand_like",
    "randint",
    "randint_like",
    "randn",
    "randn_like",
    "randperm",
    "seed",
]


class Generator:
    """A pseudo-random generator; ember.manual_seed seeds the default one."""

    def __init__(self, device="cpu"):
        self._seed = 67280421310721
        self._rng = np.random.Generator(np.random.MT19937(self._seed))

    def manual_seed(self, seed: int):
        self._seed = int(seed)
        self._rng = np.random.Generator(np.random.MT19937(self._seed & 0xFFFFFFFF))
        return self

    def initial_seed(self) -> int:
        return self._seed

    def seed(self) -> int:
        s = int(np.random.SeedSequence().entropy) & 0xFFFFFFFFFFFFFFFF
        self.manual_seed(s)
        return s


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def _gen(generator):
    return (generator or default_generator)._rng


def _float_dt(dtype):
    dt = get_default_dtype() if dtype is None else to_dtype(dtype)
    return dt


def rand(*args, size=None, generator=None, dtype=None, device=None, requires_grad=False, out=None,
         layout=None, pin_memory=False):
    dt = _float_dt(dtype)
    shape = _shape_args(args if size is None else (size,))
    arr = _gen(generator).random(shape, dtype=np.float64).astype(dt.np)
    return _finish(arr, dt, device, requires_grad)


def randn(*args, size=None, generator=None, dtype=None, device=None, requires_grad=False, out=None,
          layout=None, pin_memory=False):
    dt = _float_dt(dtype)
    shape = _shape_args(args if size is None else (size,))
    arr = _gen(generator).standard_normal(shape).astype(dt.np)
    return _finish(arr, dt, device, requires_grad)


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, device=None, requires_grad=False,
            out=None):
    if high is None:
        low, high = 0, low
    dt = _dtype.int64 if dtype is None else to_dtype(dtype)
    arr = _gen(generator).integers(low, high, size=_shape_args((size,))).astype(dt.np)
    return _finish(arr, dt, device, requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False, out=None):
    dt = _dtype.int64 if dtype is None else to_dtype(dtype)
    return _finish(_gen(generator).permutation(n).astype(dt.np), dt, device, requires_grad)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad=False, out=None):
    from ._tensor import Tensor
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        dt = mean.dtype if isinstance(mean, Tensor) else std.dtype
        arr = (m + s * _gen(generator).standard_normal(shape)).astype(dt.np)
        return _finish(arr, dt, device, requires_grad)
    dt = _float_dt(dtype)
    arr = (mean + std * _gen(generator).standard_normal(_shape_args((size,)))).astype(dt.np)
    return _finish(arr, dt, device, requires_grad)


def rand_like(input, *, dtype=None, requires_grad=False, **kw):
    return rand(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, requires_grad=False, **kw):
    return randn(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, requires_grad=False, **kw):
    return randint(low, high, input.shape, dtype=dtype or input.dtype)


def bind(T) -> None:
    """Attach the generator-consuming Tensor methods (uniform_, normal_, ...)."""
    return None
