"""The random generator behind manual_seed, rand, randn, randint, randperm, normal, bernoulli, ...

Everything here draws from an ``ember.Generator``, a Mersenne Twister kept in the same state as PyTorch's
CPU generator, and converts the words with the formulas torch's CPU kernels use (see
ember/_rng_kernels.py). So with the same seed ember and torch produce bit-identical values, and the
generator advances by the same number of words, whatever mix of calls is made.

Values are produced in the order torch writes them: the output's memory order.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import numpy as np

from . import _dtype
from . import _rng_kernels as K
from ._creation import _finish
from ._dtype import get_default_dtype, to_dtype
from ._mt19937 import Engine
from ._tensor import Tensor, _shape_args
from .autograd import grad_mode

__all__ = [
    "Generator",
    "bernoulli",
    "default_generator",
    "get_rng_state",
    "initial_seed",
    "manual_seed",
    "multinomial",
    "normal",
    "rand",
    "rand_like",
    "randint",
    "randint_like",
    "randn",
    "randn_like",
    "randperm",
    "seed",
    "set_rng_state",
]

_DEFAULT_SEED = 67280421310721  # torch's seed for a new (or the default) generator


def _check_seed(seed) -> int:
    if isinstance(seed, Tensor):
        seed = seed.item()
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise RuntimeError(  # noqa: TRY004  (torch raises RuntimeError here)
            f"manual_seed expected a long, but got {type(seed).__name__}")
    seed = int(seed)
    if not -(1 << 63) <= seed < 1 << 64:
        raise ValueError("Overflow when unpacking long long")
    return seed & 0xFFFFFFFFFFFFFFFF


class Generator:
    """A pseudo-random number generator, identical in state and output to torch's CPU Generator.

    Pass one as ``generator=`` to any sampling function to draw from it instead of the default one.
    """

    __slots__ = ("_engine", "device")

    def __init__(self, device="cpu") -> None:
        from ._backend import as_device
        self.device = as_device(device)
        self._engine = Engine(_DEFAULT_SEED)

    def manual_seed(self, seed: int) -> Generator:
        """Seed the generator (mt19937 ``init_genrand(seed & 0xffffffff)``); returns self."""
        self._engine.reseed(_check_seed(seed))
        return self

    def seed(self) -> int:
        """Seed from the operating system's entropy; returns the seed used."""
        s = int.from_bytes(os.urandom(8), "little")
        self._engine.reseed(s)
        return s

    def initial_seed(self) -> int:
        """The seed this generator was last seeded with."""
        return self._engine.seed

    def get_state(self) -> Tensor:
        """The generator's state as a uint8 tensor of torch's layout (5056 bytes)."""
        return Tensor._wrap(self._engine.get_state(), _dtype.uint8)

    def set_state(self, new_state: Tensor) -> Generator:
        """Restore a state returned by get_state (or by torch's get_rng_state)."""
        if not isinstance(new_state, Tensor) or new_state.dtype is not _dtype.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        self._engine.set_state(new_state._data)
        return self

    def __repr__(self) -> str:
        return f"<ember.Generator object at {id(self):#x}>"


default_generator = Generator()
default_generator.seed()  # torch 2.13 seeds its default generator from the OS at startup


def manual_seed(seed: int) -> Generator:
    """Seed the default generator; returns it."""
    return default_generator.manual_seed(int(seed))  # torch's wrapper takes int() first (1.5 -> 1)


def seed() -> int:
    """Seed the default generator non-deterministically; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The default generator's seed."""
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    """The default generator's state as a uint8 tensor (torch's layout, 5056 bytes)."""
    return default_generator.get_state()


def set_rng_state(new_state: Tensor) -> None:
    """Restore the default generator's state from get_rng_state()."""
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled: bool = True, _caller: str = "fork_rng",
             _devices_kw: str = "devices", device_type=None) -> Iterator:
    """Context manager that restores the default generator's state on exit."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


# --------------------------------------------------------------------------- helpers
def _engine(generator) -> Engine:
    if generator is None:
        return default_generator._engine
    if not isinstance(generator, Generator):
        raise TypeError(f"expected an ember.Generator, but got {type(generator).__name__}")
    return generator._engine


def _not_implemented(kernel: str, dt) -> NotImplementedError:
    from .ops._registry import _legacy_name
    return NotImplementedError(f'"{kernel}" not implemented for \'{_legacy_name(dt)}\'')


def _float_dtype(dtype, kernel: str):
    dt = get_default_dtype() if dtype is None else to_dtype(dtype)
    if not dt.is_floating_point:
        raise _not_implemented(kernel, dt)
    return dt


def _new(values: np.ndarray, shape, dt, device, requires_grad, out=None) -> Tensor:
    arr = values.reshape(shape).astype(dt.np, copy=False)
    if out is None:
        return _finish(arr, dt, device, requires_grad)
    if tuple(out.shape) != tuple(shape):  # torch resizes out= to the result's shape
        out._data = np.empty(shape, out.dtype.np)
    out._data[...] = arr
    out._version_counter[0] += 1
    return out


def _dtype_or_out(dtype, out):
    return out.dtype if dtype is None and out is not None else dtype


def _memory_axes(arr: np.ndarray) -> list:
    """arr's axes from the largest stride to the smallest: C order over them is memory order."""
    return sorted(range(arr.ndim), key=lambda a: -abs(arr.strides[a]))


def _memory_view(arr: np.ndarray) -> np.ndarray:
    """A view of arr whose C order is arr's memory order (the order torch fills an output in)."""
    return arr if arr.flags.c_contiguous else arr.transpose(_memory_axes(arr))


def _is_contiguous(arr: np.ndarray) -> bool:
    if arr.flags.c_contiguous:
        return True
    expected = arr.itemsize
    for n, s in zip(reversed(arr.shape), reversed(arr.strides)):
        if n != 1 and s != expected:
            return False
        expected *= n
    return True


def _write(self: Tensor, values: np.ndarray) -> Tensor:
    """Fill self in memory order with values (flat), as an in-place op (version bump, autograd rules)."""
    target = self._data
    needs_graph = grad_mode.STATE.enabled and (
        self._requires_grad or (self._base is not None and self._base._requires_grad))
    if needs_graph:
        # through copy_, so leaf checks and graph rebasing follow torch's in-place rules
        full = np.empty_like(target)  # same memory layout as target
        view = _memory_view(full)
        view[...] = values.reshape(view.shape)
        return self.copy_(Tensor._wrap(full, self.dtype))
    view = _memory_view(target)
    view[...] = values.reshape(view.shape)
    self._version_counter[0] += 1
    return self


def _size(args, size):
    return _shape_args(args if size is None else (size,))


# --------------------------------------------------------------------------- factories
def rand(*args, size=None, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Uniform samples on [0, 1), bit-identical to torch.rand with the same generator state."""
    shape = _size(args, size)
    dt = _float_dtype(_dtype_or_out(dtype, out), "check_uniform_bounds")
    values = K.uniform(_engine(generator), int(np.prod(shape)), dt.np, 0.0, 1.0)
    return _new(values, shape, dt, device, requires_grad, out)


def randn(*args, size=None, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Standard normal samples, bit-identical to torch.randn with the same generator state."""
    shape = _size(args, size)
    dt = _float_dtype(_dtype_or_out(dtype, out), "normal_kernel_cpu")
    values = K.normal(_engine(generator), int(np.prod(shape)), dt.np)
    return _new(values, shape, dt, device, requires_grad, out)


def _int_bounds_check(low: int, high: int, dt, name: str = "random_") -> None:
    if low >= high:
        raise RuntimeError(f"{name} expects 'from' to be less than 'to', but got from={low} >= to={high}")
    if dt.is_floating_point:
        return
    info = np.iinfo(dt.np) if dt is not _dtype.bool else None
    lo, hi = (0, 1) if info is None else (int(info.min), int(info.max))
    from .ops._utils import cpp_name
    cname = cpp_name(dt)
    if not lo <= low <= hi:
        raise RuntimeError(f"from is out of bounds for {cname}")
    if not lo <= high - 1 <= hi:
        raise RuntimeError(f"to - 1 is out of bounds for {cname}")


def randint(low: int = 0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None,
            device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Integers uniform on [low, high), bit-identical to torch.randint. ``randint(high, size)`` too."""
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    if high is None or size is None:
        raise TypeError("randint() missing required argument 'size'")
    low, high = int(low), int(high)
    shape = _shape_args((size,))
    dtype = _dtype_or_out(dtype, out)
    dt = _dtype.int64 if dtype is None else to_dtype(dtype)
    _int_bounds_check(low, high, dt)
    values = K.randint(_engine(generator), int(np.prod(shape)), low, high, dt.np)
    return _new(values, shape, dt, device, requires_grad, out)


def randperm(n: int, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """A random permutation of 0..n-1, bit-identical to torch.randperm (forward Fisher-Yates)."""
    n = int(n)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    dtype = _dtype_or_out(dtype, out)
    dt = _dtype.int64 if dtype is None else to_dtype(dtype)
    return _new(K.randperm(_engine(generator), n), (n,), dt, device, requires_grad, out)


def rand_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
              memory_format=None, generator=None) -> Tensor:
    """rand with input's shape (and dtype unless given)."""
    return rand(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad, generator=generator)


def randn_like(input: Tensor, *, dtype=None, layout=None, device=None, requires_grad: bool = False,
               memory_format=None, generator=None) -> Tensor:
    """randn with input's shape (and dtype unless given)."""
    return randn(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad, generator=generator)


def randint_like(input: Tensor, low: int = 0, high=None, *, dtype=None, layout=None, device=None,
                 requires_grad: bool = False, memory_format=None, generator=None) -> Tensor:
    """randint with input's shape (and dtype unless given); ``randint_like(x, high)`` too."""
    if high is None:
        low, high = 0, low
    return randint(low, high, input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad,
                   generator=generator)


def _check_std(std) -> None:
    if isinstance(std, Tensor):
        if bool((std._data < 0).any()):
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Normal samples, bit-identical to torch.normal in all four overloads.

    Tensor mean and/or std: standard normals (or ``normal_(0, std)`` for a float std) of the broadcast
    shape, then scaled and shifted with separate (rounded) multiply and add, as torch does.
    """
    eng = _engine(generator)
    mean_t, std_t = isinstance(mean, Tensor), isinstance(std, Tensor)
    _check_std(std)
    if not (mean_t or std_t):
        shape = _shape_args((size,)) if size is not None else ()
        dt = _float_dtype(_dtype_or_out(dtype, out), "normal_kernel_cpu")
        values = K.normal(eng, int(np.prod(shape)), dt.np, float(mean), float(std))
        return _new(values, shape, dt, device, requires_grad, out)
    if mean_t and not std_t:
        dt = mean.dtype
        shape = mean.shape
        values = K.normal(eng, int(np.prod(shape)), dt.np, 0.0, float(std)).reshape(shape)
        return _new(values + mean._data, shape, dt, device, requires_grad)
    dt = mean.dtype if mean_t else std.dtype
    shape = np.broadcast_shapes(std.shape, mean.shape) if mean_t else std.shape
    values = K.normal(eng, int(np.prod(shape)), dt.np).reshape(shape)
    values = (values * std._data).astype(dt.np) + (mean._data if mean_t else np.asarray(mean, dt.np))
    return _new(values.astype(dt.np), shape, dt, device, requires_grad)


def bernoulli(input: Tensor, p=None, *, generator=None, out=None) -> Tensor:
    """0/1 samples with probabilities ``input`` (or the float ``p``), bit-identical to torch.bernoulli."""
    result = Tensor._wrap(np.empty(input.shape, input.dtype.np), input.dtype)
    return bernoulli_(result, input if p is None else p, generator=generator)


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *, generator=None,
                out=None) -> Tensor:
    """Category indices drawn from the rows of ``input``, bit-identical to torch.multinomial."""
    probs = input._data
    if probs.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_legacy_name_of(input.dtype)}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    cats = probs.shape[-1]
    if not replacement and num_samples > cats:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    rows2 = probs.reshape(-1, cats)
    if rows2.size and (not np.isfinite(rows2).all() or (rows2 < 0).any()):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if rows2.size and (rows2.sum(axis=1) == 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    res = K.multinomial(_engine(generator), rows2, int(num_samples), bool(replacement))
    shape = (num_samples,) if probs.ndim == 1 else (probs.shape[0], num_samples)
    return Tensor._wrap(res.reshape(shape), _dtype.int64)


def _legacy_name_of(dt) -> str:
    from .ops._registry import _legacy_name
    return _legacy_name(dt)


# --------------------------------------------------------------------------- in-place Tensor methods
def _from_keyword(from_, kw: dict, name: str):
    """torch spells the lower bound ``from`` (a Python keyword), so it arrives through **kw."""
    if "from" in kw:
        from_ = kw.pop("from")
    if kw:
        raise TypeError(f"{name}() got an unexpected keyword argument '{next(iter(kw))}'")
    return from_


def uniform_(self: Tensor, from_: float = 0.0, to: float = 1.0, *, generator=None, **kw) -> Tensor:
    """Fill with uniform samples on [from, to) (torch's uniform_, bit for bit)."""
    from_ = _from_keyword(from_, kw, "uniform_")
    if not self.dtype.is_floating_point:
        raise _not_implemented("check_uniform_bounds", self.dtype)
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={from_} > "
                           f"to={to}")
    return _write(self, K.uniform(_engine(generator), self._data.size, self.dtype.np, from_, to))


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
    """Fill with normal samples (torch's normal_, bit for bit, including its 16-element blocks)."""
    if not self.dtype.is_floating_point:
        raise _not_implemented("normal_kernel_cpu", self.dtype)
    _check_std(std)
    values = K.normal(_engine(generator), self._data.size, self.dtype.np, float(mean), float(std),
                      contiguous=_is_contiguous(self._data))
    return _write(self, values)


def random_(self: Tensor, from_=None, to=None, *, generator=None, **kw) -> Tensor:
    """Fill with integers: ``random_()`` the dtype's full range, ``random_(to)``, ``random_(from, to)``."""
    from_ = _from_keyword(from_, kw, "random_")
    eng, dt, n = _engine(generator), self.dtype, self._data.size
    if from_ is None and to is None:
        return _write(self, K.random_full(eng, n, dt.np))
    if to is None:
        from_, to = 0, from_
    if from_ is None:
        from_ = 0
    _int_bounds_check(int(from_), int(to), dt)
    return _write(self, K.randint(eng, n, int(from_), int(to), dt.np))


def bernoulli_(self: Tensor, p=0.5, *, generator=None) -> Tensor:
    """Fill with 0/1 samples: 1 with probability p (a float or a tensor broadcastable to self)."""
    eng = _engine(generator)
    if isinstance(p, Tensor):
        probs = np.broadcast_to(p._data, self.shape)
        if not self._data.flags.c_contiguous:
            probs = probs.transpose(_memory_axes(self._data))
        return _write(self, K.bernoulli_tensor(eng, probs).astype(self.dtype.np))
    p = float(p)
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    return _write(self, K.bernoulli_scalar(eng, self._data.size, p).astype(self.dtype.np))


def _bernoulli_method(self: Tensor, p=None, *, generator=None) -> Tensor:
    return bernoulli(self, p, generator=generator)


def exponential_(self: Tensor, lambd: float = 1.0, *, generator=None) -> Tensor:
    """Fill with exponential samples of rate lambd: -log1p(-u) / lambd with a 53-bit u."""
    if not self.dtype.is_floating_point:
        raise _not_implemented("exponential_cpu", self.dtype)
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    return _write(self, K.exponential(_engine(generator), self._data.size, self.dtype.np, lambd))


def geometric_(self: Tensor, p: float, *, generator=None) -> Tensor:
    """Fill with geometric samples (number of trials to the first success)."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    return _write(self, K.geometric(_engine(generator), self._data.size, self.dtype.np, p))


def cauchy_(self: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator=None) -> Tensor:
    """Fill with Cauchy samples: median + sigma * tan(pi * (u - 1/2))."""
    if not self.dtype.is_floating_point:
        raise _not_implemented("cauchy_cpu", self.dtype)
    return _write(self, K.cauchy(_engine(generator), self._data.size, self.dtype.np, median, sigma))


def log_normal_(self: Tensor, mean: float = 1.0, std: float = 2.0, *, generator=None) -> Tensor:
    """Fill with log-normal samples: exp of the per-element double normal."""
    if not self.dtype.is_floating_point:
        raise _not_implemented("log_normal_cpu", self.dtype)
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    return _write(self, K.log_normal(_engine(generator), self._data.size, self.dtype.np, mean, std))


def _multinomial_method(self: Tensor, num_samples: int, replacement: bool = False, *,
                        generator=None) -> Tensor:
    return multinomial(self, num_samples, replacement, generator=generator)


def bind(T) -> None:
    """Attach the generator-consuming Tensor methods (uniform_, normal_, random_, bernoulli_, ...)."""
    T.uniform_ = uniform_
    T.normal_ = normal_
    T.random_ = random_
    T.bernoulli_ = bernoulli_
    T.bernoulli = _bernoulli_method
    T.exponential_ = exponential_
    T.geometric_ = geometric_
    T.cauchy_ = cauchy_
    T.log_normal_ = log_normal_
    T.multinomial = _multinomial_method
