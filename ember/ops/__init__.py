"""The op families, and the binding of their functions onto Tensor as methods and operators.

Each family module defines torch's functions (``sum(input, dim=None, ...)``). torch's methods have the
same signatures with ``self`` as ``input``, so most methods are the functions themselves; operators
(``x + y``) and in-place forms (``x.add_(y)``, ``x += y``) are built here from them.
"""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from . import (
    composite,
    conv,
    extra,
    indexing,
    linalg,
    linalg_ext,
    movement,
    nn_ops,
    pointwise,
    reduction,
    special,
)
from ._registry import apply_inplace

__all__ = ["bind_methods", "composite", "conv", "extra", "indexing", "linalg", "linalg_ext", "movement", "nn_ops", "pointwise", "reduction", "special"]

# composite and extra last: their bind() removes names the generic loop would wrongly make methods
_FAMILIES = [pointwise, reduction, movement, indexing, linalg, linalg_ext, nn_ops, conv, special, composite, extra]


def _operand(other):
    """What a binary operator accepts on its other side; None means 'not ours' (NotImplemented)."""
    if isinstance(other, (Tensor, bool, int, float)):
        return other
    if isinstance(other, np.generic):
        return other.item()
    if isinstance(other, np.ndarray):
        from .._creation import as_tensor
        return as_tensor(other)
    return None


_FAST_NUMBERS = (float, int)


def _binary(fn, reflected=False, prim=None):
    """The operator method for ``fn``. ``prim``: the primitive that ``fn`` comes down to when self is
    a floating tensor and other a float, an int or a non-bool tensor (the function's own checks, for
    bool operands, cannot fail then); called directly, it saves two calls per operator."""
    if reflected:
        def op(self, other):
            other = _operand(other)
            if other is None:
                return NotImplemented
            return fn(other, self)
    elif prim is not None:
        def op(self, other):
            if self.dtype._rank == 2 and (type(other) in _FAST_NUMBERS or (
                    isinstance(other, Tensor) and other.dtype._rank)):
                return prim(self, other)
            other = _operand(other)
            if other is None:
                return NotImplemented
            return fn(self, other)
    else:
        def op(self, other):
            other = _operand(other)
            if other is None:
                return NotImplemented
            return fn(self, other)
    return op


def _inplace_from(prim_fn):
    """x.op_(other): run the out-of-place op and write the result into x (see apply_inplace)."""
    def method(self, *args, **kwargs):
        return apply_inplace(prim_fn, self, *args, **kwargs)
    return method


def _iop(fn):
    def op(self, other):
        other = _operand(other)
        if other is None:
            return NotImplemented
        return apply_inplace(fn, self, other)
    return op


def _rdiv(other, self):
    return pointwise.mul(pointwise.reciprocal(self), other)


def _rpow(other, self):
    return pointwise.pow(other, self)


def _first_param(fn):
    import inspect
    try:
        params = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return None
    return params[0] if params else None


def bind_methods() -> None:
    """Attach every family's functions to Tensor (called once, from ember/__init__.py)."""
    P = pointwise
    T = Tensor
    for fam in _FAMILIES:
        for name in fam.__all__:  # functions whose first parameter is `input` double as methods
            fn = getattr(fam, name)
            if not hasattr(T, name) and _first_param(fn) == "input":
                setattr(T, name, fn)
        if hasattr(fam, "bind"):  # method-only names, properties, operators of the family
            fam.bind(T)
    T.__add__ = _binary(P.add, prim=P.Add.apply2)
    T.__radd__ = _binary(P.add, prim=P.Add.apply2)  # 2 + x is x.add(2) in torch (its graph edges in that order)
    T.__sub__ = _binary(P.sub, prim=P.Sub.apply2)
    T.__rsub__ = _binary(P.rsub, prim=P.Rsub.apply2)  # 2 - x is x.rsub(2)
    T.__mul__ = _binary(P.mul, prim=P.Mul.apply2)
    T.__rmul__ = _binary(P.mul, prim=P.Mul.apply2)  # as __radd__
    T.__truediv__ = _binary(P.div, prim=P.Div.apply2)
    T.__rtruediv__ = _binary(_rdiv, reflected=True)
    T.__floordiv__ = _binary(P.floor_divide)
    T.__rfloordiv__ = _binary(P.floor_divide, reflected=True)
    T.__mod__ = _binary(P.remainder)
    T.__rmod__ = _binary(P.remainder, reflected=True)
    T.__pow__ = _binary(P.pow, prim=P.pow_tensor)
    T.__rpow__ = _binary(_rpow, reflected=True)
    T.__and__ = _binary(P.bitwise_and)
    T.__rand__ = _binary(P.bitwise_and, reflected=True)
    T.__or__ = _binary(P.bitwise_or)
    T.__ror__ = _binary(P.bitwise_or, reflected=True)
    T.__xor__ = _binary(P.bitwise_xor)
    T.__rxor__ = _binary(P.bitwise_xor, reflected=True)
    T.__iadd__ = _iop(P.add)
    T.__isub__ = _iop(P.sub)
    T.__imul__ = _iop(P.mul)
    T.__itruediv__ = _iop(P.div)
    T.__ifloordiv__ = _iop(P.floor_divide)
    T.__imod__ = _iop(P.remainder)
    T.__ipow__ = _iop(P.pow)
    T.__iand__ = _iop(P.bitwise_and)
    T.__ior__ = _iop(P.bitwise_or)
    T.__ixor__ = _iop(P.bitwise_xor)
    T.__neg__ = P.neg
    T.__pos__ = lambda self: self
    T.__abs__ = P.abs
    T.__invert__ = lambda self: P.logical_not(self) if self.dtype.name == "bool" else P.bitwise_not(self)
    T.__eq__ = _binary(P.eq, prim=P._Eq.apply2)
    T.__ne__ = _binary(P.ne, prim=P._Ne.apply2)
    T.__lt__ = _binary(P.lt, prim=P._Lt.apply2)
    T.__le__ = _binary(P.le, prim=P._Le.apply2)
    T.__gt__ = _binary(P.gt, prim=P._Gt.apply2)
    T.__ge__ = _binary(P.ge, prim=P._Ge.apply2)
    T.__hash__ = lambda self: id(self)
    T.div = P.div
    T.true_divide = P.div
    T.rsub = P.rsub
    T.fill_ = P.fill_
    T.zero_ = P.zero_
    T.copy_ = P.copy_
    T.clamp_min = P.clamp_min
    T.clamp_max = P.clamp_max
    for name in ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide",
                 "floor_divide", "remainder", "fmod", "pow", "neg", "negative", "abs", "absolute",
                 "sign", "exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "rsqrt", "square",
                 "sin", "cos", "tan", "asin", "acos", "atan", "arcsin", "arccos", "arctan", "sinh",
                 "cosh", "tanh", "sigmoid", "relu", "floor", "ceil", "round", "trunc", "frac",
                 "reciprocal", "clamp", "clip", "clamp_min", "clamp_max", "maximum", "minimum",
                 "atan2", "lerp", "addcmul", "addcdiv", "exp2", "logical_and", "logical_or",
                 "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor",
                 "bitwise_not", "nan_to_num", "float_power", "hypot", "eq", "ne", "lt", "le", "gt",
                 "ge"]:
        setattr(T, name + "_", _inplace_from(getattr(P, name)))
