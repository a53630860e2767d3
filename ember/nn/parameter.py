"""Parameter and Buffer: tensors that a Module registers when they are assigned as attributes.

A Parameter is an ordinary leaf Tensor (same array, same version counter as the tensor it wraps) whose
class tells ``Module.__setattr__`` to list it in ``parameters()``. Operations on it return plain
Tensors because every op builds its result with ``Tensor._wrap``.
"""
from __future__ import annotations

from .._tensor import Tensor

__all__ = ["Buffer", "Parameter"]


def _alias(cls, data, requires_grad: bool):
    """A new ``cls`` object over ``data``'s array (shared memory and version counter), as a leaf."""
    if data is None:
        from .._creation import empty
        data = empty(0)
    if not isinstance(data, Tensor):
        raise TypeError(f"Parameter(): argument 'data' must be Tensor, not {type(data).__name__}")
    t = cls._wrap(data._data, data.dtype)
    t._version_counter = data._version_counter
    if requires_grad:
        if not (data.dtype.is_floating_point or data.dtype.is_complex):
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t._requires_grad = True
    return t


class Parameter(Tensor):
    """A Tensor that is a module parameter: ``nn.Parameter(data=None, requires_grad=True)``.

    It shares ``data``'s memory; with no data it is an empty float tensor. Assigning one to a Module
    attribute registers it.
    """

    __slots__ = ()

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True):
        return _alias(cls, data, requires_grad)

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True):
        # __new__ built everything; Tensor.__init__ would re-initialise from a different signature.
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.data.clone(), self._requires_grad)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        # copy.copy shares the array, as torch's does; pickling rebuilds a Parameter, not a Tensor.
        return (_rebuild_parameter, (self._data, self._requires_grad))


def _rebuild_parameter(arr, requires_grad):
    from .._dtype import from_numpy_dtype
    return Parameter(Tensor._wrap(arr, from_numpy_dtype(arr.dtype)), requires_grad)


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute.

    ``nn.Buffer(data, persistent=True)``; the module stores a plain Tensor, as torch does.
    """

    __slots__ = ()

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True):
        t = _alias(cls, data, False)
        t._requires_grad = data._requires_grad if data is not None else False
        t._extras()["persistent"] = bool(persistent)
        return t

    def __init__(self, data: Tensor | None = None, *, persistent: bool = True):
        pass

    @property
    def persistent(self) -> bool:
        return self._extra.get("persistent", True)
