"""The Tensor: an array with a dtype, autograd state and torch's methods.

A Tensor holds a NumPy (or CuPy) array in ``_data``. Views (slicing, reshape, transpose, detach)
hold a view of their base's array and share its version counter, so an in-place change through one is
seen by all and by autograd. The op methods (``x.sum()``, ``x + y``, ...) are attached by
``ember/ops/__init__.py`` from the op families; this file holds state, conversions and autograd API.
"""
from __future__ import annotations

import warnings
import weakref

import numpy as np

from . import _dtype
from ._backend import CPU, as_device
from ._dtype import from_numpy_dtype, to_dtype
from .autograd import grad_mode

__all__ = ["Size", "Tensor"]

_ENGINE_BACKWARD = None


_GRAD_STATE = grad_mode.STATE
_new_object = object.__new__


def _INFERENCE_EXTRA() -> dict:
    return {"inference": True}  # tensors made in inference_mode report is_inference()


class Size(tuple):
    """The shape of a tensor: a tuple that prints as ``ember.Size([2, 3])``."""

    def __repr__(self) -> str:
        return f"ember.Size([{', '.join(str(s) for s in self)}])"

    __str__ = __repr__

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        r = tuple.__getitem__(self, item)
        return Size(r) if isinstance(item, slice) else r

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))


def _shape_args(size):
    """Accept f(2, 3), f((2, 3)), f([2, 3]) and f(ember.Size(...)) as torch does."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = s.item()
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(
                f"empty(): argument 'size' must be tuple of ints, but found element of type "
                f"{type(s).__name__} at pos {len(out)}"
            )
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
        out.append(int(s))
    return tuple(out)


class Tensor:
    """A multi-dimensional array with autograd, mirroring ``torch.Tensor``.

    ``Tensor(data)`` is the legacy constructor: always the default float dtype; ``Tensor(2, 3)`` makes
    an uninitialised 2x3 tensor. Prefer ``ember.tensor(data)``.
    """

    __slots__ = (
        "__weakref__",
        "_accumulator",
        "_base",
        "_data",
        "_extra",
        "_grad",
        "_output_nr",
        "_requires_grad",
        "_version_counter",
        "dtype",
        "grad_fn",
    )
    __array_priority__ = 1000  # numpy_array * tensor defers to Tensor.__rmul__

    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)

    def __init__(self, *args, device=None, dtype=None):
        as_device(device)
        dt = _dtype.get_default_dtype() if dtype is None else to_dtype(dtype)
        if len(args) == 1 and not isinstance(args[0], (int, np.integer)) and not isinstance(args[0], Size):
            data = args[0]
            if isinstance(data, Tensor):
                arr = data._data
            else:
                arr = np.array(data, dtype=dt.np)
                if arr.dtype == object:
                    raise TypeError(f"new(): invalid data type '{type(data).__name__}'")
        else:
            arr = np.zeros(_shape_args(args), dtype=dt.np)
        self._init(arr, from_numpy_dtype(arr.dtype))

    def _init(self, arr, dt):
        self._data = arr
        self.dtype = dt
        self._requires_grad = False
        self._grad = None
        self.grad_fn = None
        self._output_nr = 0
        self._version_counter = [0]
        self._base = None
        self._accumulator = None
        self._extra = _INFERENCE_EXTRA() if grad_mode.STATE.inference else None

    @classmethod
    def _wrap(cls, arr, dt):
        """Make a Tensor around an array without copying (the internal fast constructor)."""
        t = _new_object(cls)
        t._data = arr
        t.dtype = dt
        t._requires_grad = False
        t._grad = None
        t.grad_fn = None
        t._output_nr = 0
        t._version_counter = [0]
        t._base = None
        t._accumulator = None
        t._extra = _INFERENCE_EXTRA() if _GRAD_STATE.inference else None
        return t

    def _shallow_copy(self):
        """Another Tensor object for the same data and graph position (used when rebasing in place)."""
        t = Tensor._wrap(self._data, self.dtype)
        t._requires_grad = self._requires_grad
        t.grad_fn = self.grad_fn
        t._output_nr = self._output_nr
        t._version_counter = self._version_counter
        t._base = self._base
        if self.grad_fn is None and self._requires_grad:
            t._accumulator = self._accumulator
        if self._extra and "fw_grad" in self._extra:  # a forward-AD tangent goes with the values
            t._extras()["fw_grad"] = self._extra["fw_grad"]
        return t

    # ------------------------------------------------------------------ shape and metadata
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self._data.shape)
        from .ops._utils import normalize_dim
        if self._data.ndim == 0:
            raise IndexError("dimension specified as 0 but tensor has no dimensions")
        return self._data.shape[normalize_dim(dim, self._data.ndim)]

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return self._data.size

    nelement = numel

    @property
    def device(self):
        return CPU

    @property
    def is_cuda(self) -> bool:
        return False

    is_cpu = True
    is_sparse = False
    is_quantized = False
    is_meta = False
    layout = "strided"

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    def stride(self, dim: int | None = None):
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        if dim is None:
            return st
        from .ops._utils import normalize_dim
        return st[normalize_dim(dim, self._data.ndim)]

    def is_contiguous(self, memory_format=None) -> bool:
        a = self._data
        if a.flags.c_contiguous:
            return True
        # torch ignores the strides of size-1 dims
        expected = 1
        for n, s in zip(reversed(a.shape), reversed(a.strides)):
            if n != 1 and s != expected * a.itemsize:
                return False
            expected *= n
        return True

    def data_ptr(self) -> int:
        return self._data.__array_interface__["data"][0]

    def untyped_storage(self):
        return _Storage(self)

    def storage_offset(self) -> int:
        base = self._data
        while isinstance(base.base, np.ndarray):
            base = base.base
        return (self.data_ptr() - base.__array_interface__["data"][0]) // self._data.itemsize

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def is_complex(self) -> bool:
        return False

    def is_signed(self) -> bool:
        return self.dtype.is_signed

    def is_inference(self) -> bool:
        return bool(self._extra and self._extra.get("inference"))

    def get_device(self) -> int:
        return -1

    @property
    def _version(self) -> int:
        return self._version_counter[0]

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def output_nr(self) -> int:
        return self._output_nr

    # ------------------------------------------------------------------ autograd state
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(bool(value))

    def requires_grad_(self, requires_grad: bool = True):
        """Mark a leaf as needing gradients (floating dtypes only)."""
        if self.grad_fn is not None:
            if requires_grad:
                return self
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if requires_grad and not self.dtype.is_floating_point:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def grad(self):
        if self.grad_fn is not None and not (self._extra and self._extra.get("retains_grad")):
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
                "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
                "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
                "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
                "instead. See github.com/pytorch/pytorch/pull/30531 for more informations.",
                UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(value).__name__}")
            if value.dtype is not self.dtype:
                raise RuntimeError("assigned grad has data of a different type")
            if value._data.shape != self._data.shape:
                raise RuntimeError("assigned grad has data of a different size")
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        self._grad = None

    @property
    def data(self):
        """The same memory, detached from the graph (changes through it are not tracked)."""
        t = Tensor._wrap(self._data, self.dtype)
        return t

    @data.setter
    def data(self, value) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, not {type(value).__name__}")
        self._data = value._data
        self.dtype = value.dtype

    @property
    def retains_grad(self) -> bool:
        return bool(self._extra and self._extra.get("retains_grad"))

    def _extras(self) -> dict:
        if self._extra is None:
            self._extra = {}
        return self._extra

    def detach(self):
        """A tensor sharing this one's memory (and version counter) with no graph behind it."""
        t = Tensor._wrap(self._data, self.dtype)
        t._version_counter = self._version_counter
        return t

    def detach_(self):
        self.grad_fn = None
        self._requires_grad = False
        return self

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (see ember.autograd.backward)."""
        global _ENGINE_BACKWARD
        if _ENGINE_BACKWARD is None:  # the engine is imported after this module: looked up once
            from .autograd.engine import backward as _ENGINE_BACKWARD
        _ENGINE_BACKWARD(self, gradient, retain_graph, create_graph, inputs=inputs)

    def register_hook(self, hook):
        """hook(grad) runs when this tensor's gradient is computed; it may return a replacement."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        nr = self._output_nr

        def prehook(grads):
            new = hook(grads[nr])
            if new is None:
                return None
            grads = list(grads)
            grads[nr] = new
            return tuple(grads)

        if self.grad_fn is not None:
            return self.grad_fn.register_prehook(prehook)
        from .autograd.graph import _RemovableHandle
        hooks = self._extras().setdefault("leaf_hooks", [])
        hooks.append(prehook)
        node = self._accumulator() if self._accumulator is not None else None
        if node is not None:
            node._prehooks = hooks
        return _RemovableHandle(hooks, prehook)

    def register_post_accumulate_grad_hook(self, hook):
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        from .autograd.graph import _RemovableHandle
        hooks = self._extras().setdefault("post_acc_hooks", [])
        hooks.append(hook)
        return _RemovableHandle(hooks, hook)

    @property
    def _post_acc_hooks(self):
        return self._extra.get("post_acc_hooks") if self._extra else None

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward."""
        if self.grad_fn is None:
            if not self._requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if self.retains_grad:
            return
        ref = weakref.ref(self)  # a strong reference from its own grad_fn would be a cycle
        nr = self._output_nr

        def keep(grads):
            t = ref()
            g = grads[nr]
            if t is not None and g is not None:
                if t._grad is None:
                    t._grad = g if grad_mode.STATE.enabled else g.detach().clone()
                else:
                    t._grad = t._grad + g

        extra = self._extras()
        extra["retains_grad"] = True
        extra["retain_handle"] = self.grad_fn.register_prehook(keep)  # moved when rebased in place

    # ------------------------------------------------------------------ conversions
    def numpy(self, *, force: bool = False):
        """The array itself (shared memory). Refused while the tensor requires grad."""
        if self._requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."
            )
        return self._data

    def __array__(self, dtype=None, copy=None):
        if dtype is not None:
            return self._data.astype(dtype, copy=False)
        return self._data

    def tolist(self):
        return self._data.tolist()

    def item(self):
        """The single value as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._data.reshape(()).item()

    def _scalar(self, kind: str):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self._data.reshape(()).item()

    def __float__(self) -> float:
        return float(self._scalar("float"))

    def __int__(self) -> int:
        return int(self._scalar("int"))

    def __complex__(self) -> complex:
        return complex(self._scalar("complex"))

    def __bool__(self) -> bool:
        n = self._data.size
        if n != 1:
            raise RuntimeError(
                "Boolean value of Tensor with more than one value is ambiguous" if n else
                "Boolean value of Tensor with no values is ambiguous"
            )
        return bool(self._data.item())

    def __index__(self) -> int:
        if self.dtype.is_floating_point or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data.reshape(()).item())

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __hash__(self) -> int:
        return id(self)

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __repr__(self) -> str:
        from ._printing import tensor_repr
        return tensor_repr(self)

    def __str__(self) -> str:
        return self.__repr__()

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the "
                               "deepcopy protocol at the moment.  If you were attempting to deepcopy a "
                               "module, this may be because of a torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        t = Tensor._wrap(self._data.copy(), self.dtype)
        t._requires_grad = self._requires_grad
        if self._grad is not None:
            t._grad = self._grad.__deepcopy__(memo)
        memo[id(self)] = t
        return t

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self._data, self._requires_grad))

    # ------------------------------------------------------------------ dtype / device moves
    def to(self, *args, **kwargs):
        """to(dtype), to(device), to(device, dtype), to(other), with copy= as in torch."""
        dtype = kwargs.pop("dtype", None)
        device = kwargs.pop("device", None)
        copy = kwargs.pop("copy", False)
        kwargs.pop("non_blocking", None)
        kwargs.pop("memory_format", None)
        if kwargs:
            raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, _dtype.dtype) or a in (float, int, bool):
                dtype = a
            elif isinstance(a, (str, int)) or type(a).__name__ == "device":
                device = a
            elif a is None:
                continue
            else:
                raise TypeError(f"to() received an invalid combination of arguments - got ({a!r})")
        as_device(device)
        if dtype is not None:
            dtype = to_dtype(dtype)
        if dtype is None or dtype is self.dtype:
            return self.clone() if copy else self
        from .ops.pointwise import to_dtype as cast
        return cast(self, dtype)

    def cpu(self, memory_format=None):
        return self

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        as_device("cuda")

    def type(self, dtype=None, non_blocking=False, **kwargs):
        if dtype is None:
            from .autograd.graph import _type_name
            return _type_name(self)
        if isinstance(dtype, str):
            name = dtype.rsplit(".", 1)[-1]
            dtype = _LEGACY_TYPES[name]
        return self.to(dtype)

    def type_as(self, other):
        return self.to(other.dtype)

    def float(self, memory_format=None):
        return self.to(_dtype.float32)

    def double(self, memory_format=None):
        return self.to(_dtype.float64)

    def half(self, memory_format=None):
        return self.to(_dtype.float16)

    def long(self, memory_format=None):
        return self.to(_dtype.int64)

    def int(self, memory_format=None):
        return self.to(_dtype.int32)

    def short(self, memory_format=None):
        return self.to(_dtype.int16)

    def char(self, memory_format=None):
        return self.to(_dtype.int8)

    def byte(self, memory_format=None):
        return self.to(_dtype.uint8)

    def bool(self, memory_format=None):
        return self.to(_dtype.bool)


_LEGACY_TYPES = {"FloatTensor": _dtype.float32, "DoubleTensor": _dtype.float64,
                 "HalfTensor": _dtype.float16, "LongTensor": _dtype.int64, "IntTensor": _dtype.int32,
                 "ShortTensor": _dtype.int16, "CharTensor": _dtype.int8, "ByteTensor": _dtype.uint8,
                 "BoolTensor": _dtype.bool}


def _rebuild(arr, requires_grad):
    t = Tensor._wrap(arr, from_numpy_dtype(arr.dtype))
    t._requires_grad = requires_grad
    return t


class _Storage:
    """Just enough of untyped_storage() to compare where two tensors' memory lives."""

    __slots__ = ("_t",)

    def __init__(self, t):
        self._t = t

    def data_ptr(self) -> int:
        base = self._t._data
        while isinstance(base.base, np.ndarray):
            base = base.base
        return base.__array_interface__["data"][0]

    def nbytes(self) -> int:
        base = self._t._data
        while isinstance(base.base, np.ndarray):
            base = base.base
        return base.nbytes

    def size(self) -> int:
        return self.nbytes()
