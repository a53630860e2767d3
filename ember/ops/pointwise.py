"""Elementwise ops: arithmetic, unary math, comparisons, logical ops, where, clamp, casts.

Each primitive's forward works on arrays through ``xp``; its backward is written in ember ops so that
it can itself be differentiated. Broadcasting and dtype promotion are handled by the registry.
"""
from __future__ import annotations

import math

import numpy as np

from .._dtype import result_type
from .._tensor import Tensor
from ._precise import precise
from ._registry import apply_inplace, primitive
from ._utils import cpp_name

__all__ = [
    "abs",
    "absolute",
    "acos",
    "add",
    "addcdiv",
    "addcmul",
    "allclose",
    "arccos",
    "arcsin",
    "arctan",
    "asin",
    "atan",
    "atan2",
    "bitwise_and",
    "bitwise_not",
    "bitwise_or",
    "bitwise_xor",
    "ceil",
    "clamp",
    "clamp_max",
    "clamp_min",
    "clip",
    "clone",
    "copy_",
    "cos",
    "cosh",
    "div",
    "divide",
    "eq",
    "equal",
    "exp",
    "exp2",
    "expm1",
    "fill_",
    "float_power",
    "floor",
    "floor_divide",
    "fmod",
    "frac",
    "ge",
    "greater",
    "greater_equal",
    "gt",
    "hypot",
    "isclose",
    "isfinite",
    "isinf",
    "isnan",
    "le",
    "lerp",
    "less",
    "less_equal",
    "log",
    "log1p",
    "log2",
    "log10",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "lt",
    "maximum",
    "minimum",
    "mul",
    "multiply",
    "nan_to_num",
    "ne",
    "neg",
    "negative",
    "not_equal",
    "pow",
    "reciprocal",
    "relu",
    "remainder",
    "round",
    "rsqrt",
    "rsub",
    "sigmoid",
    "sign",
    "signbit",
    "sin",
    "sinh",
    "sqrt",
    "square",
    "sub",
    "subtract",
    "tan",
    "tanh",
    "to_dtype",
    "true_divide",
    "trunc",
    "where",
    "zero_",
]


# --------------------------------------------------------------------------- arithmetic
@primitive(elementwise=True, saves=())
class Add:
    array_backward = True

    def forward(xp, x, y, alpha=1):
        return x + y if alpha == 1 else x + alpha * y

    def backward(grad, x, y, alpha=1):
        return grad, (grad if alpha == 1 else grad * alpha)


@primitive(elementwise=True, saves=())
class Sub:
    array_backward = True

    def forward(xp, x, y, alpha=1):
        return x - y if alpha == 1 else x - alpha * y

    def backward(grad, x, y, alpha=1):
        if y is not None and not isinstance(y, Tensor):  # a Python number: no gradient needed
            return grad, None
        return grad, (-grad if alpha == 1 else grad * -alpha)


@primitive(elementwise=True, saves=())
class Rsub:
    grad_fn = staticmethod(lambda x, y, alpha=1: "RsubBackward0" if isinstance(y, Tensor) else "RsubBackward1")
    scalar_edges = False  # 2 - x: torch's node has x's edge only

    array_backward = True

    def forward(xp, x, y, alpha=1):
        return y - x if alpha == 1 else y - alpha * x

    def backward(grad, x, y, alpha=1):
        return (-grad if alpha == 1 else grad * -alpha), grad


@primitive(elementwise=True)
class Mul:
    array_backward = True
    needed_for = (("x", ("y",)), ("y", ("x",)))  # x only feeds y's gradient, and the other way round

    def forward(xp, x, y):
        return x * y

    def backward(grad, x, y):
        return (None if y is None else grad * y), (None if x is None else grad * x)


@primitive(elementwise=True, to_float=True)
class Div:
    array_backward = True
    needed_for = (("x", ("y",)),)

    def forward(xp, x, y):
        return x / y

    def backward(grad, x, y):
        gx = grad / y
        return gx, (None if x is None else -gx * x / y)


@primitive(elementwise=True, saves=())
class FloorDivide:
    def forward(xp, x, y):
        if x.dtype.kind == "b":
            raise _not_implemented_for("div_floor", x)
        if x.dtype.kind in "iu" and not xp.all(y):
            raise RuntimeError("ZeroDivisionError")
        return xp.floor_divide(x, y)


@primitive(elementwise=True, saves=())
class DivTrunc:
    def forward(xp, x, y):
        if x.dtype.kind in "iu":
            if not xp.all(y):
                raise RuntimeError("ZeroDivisionError")
            q = xp.floor_divide(x, y)
            return q + ((q < 0) & (q * y != x))
        return xp.trunc(x / y)


@primitive(elementwise=True)
class Remainder:
    grad_fn = staticmethod(lambda x, y: "RemainderBackward1" if isinstance(y, Tensor) else "RemainderBackward0")
    scalar_edges = False
    def forward(xp, x, y):
        if x.dtype.kind == "b":
            raise _not_implemented_for("remainder", x)
        if x.dtype.kind in "iu" and not xp.all(y):
            raise RuntimeError("ZeroDivisionError")
        return xp.remainder(x, y)

    def backward(grad, x, y):
        return grad, -grad * floor_divide(x, y)


@primitive(elementwise=True)
class Fmod:
    grad_fn = staticmethod(lambda x, y: "FmodBackward1" if isinstance(y, Tensor) else "FmodBackward0")
    scalar_edges = False
    def forward(xp, x, y):
        return xp.fmod(x, y)

    def backward(grad, x, y):
        return grad, -grad * div(x, y, rounding_mode="trunc")


def _pow_name(x, y):
    if not isinstance(y, Tensor):
        return "PowBackward0"
    return "PowBackward1" if isinstance(x, Tensor) else "PowBackward2"


@primitive(elementwise=True)
class Pow:
    grad_fn = staticmethod(_pow_name)
    scalar_edges = False  # 2 ** x: the exponent's edge only

    def forward(xp, x, y):
        if x.dtype.kind in "iub" and y.dtype.kind in "iu" and (y < 0).any():
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if y.ndim == 0 and y == 2:
            return x * x  # as torch does; also keeps float16/float32 exact
        return xp.power(x, y)

    def jvp(tangents, x, y, result):
        # the backward's formulas, with the tangents in place of the gradient (d/dx and d/dy are
        # diagonal); backward itself skips inputs that need no grad, so it cannot be reused here
        tx, ty = tangents
        out = None
        if tx is not None:
            if isinstance(y, Tensor):
                out = where(y == 0, 0.0, tx * y * pow(x, y - 1))
            else:
                out = tx * 0 if float(y) == 0 else tx * (float(y) * pow(x, float(y) - 1))
        if ty is not None:
            xs = x if isinstance(x, Tensor) else float(x)
            term = where((xs == 0) & (y >= 0), 0.0, ty * (result * log(xs) if isinstance(x, Tensor)
                                                           else result * math.log(xs)))
            out = term if out is None else out + term
        return out

    def backward(grad, x, y, result):
        gx = gy = None
        if isinstance(x, Tensor) and x.requires_grad:
            if isinstance(y, Tensor):
                gx = where(y == 0, 0.0, grad * y * pow(x, y - 1))
            else:
                e = float(y)
                if e == 2.0:  # x ** 1 is x exactly, so 2 * x is the same number with one op less
                    gx = grad * (x * 2.0)
                else:
                    gx = grad * 0 if e == 0 else grad * (e * pow(x, e - 1))
        if isinstance(y, Tensor) and y.requires_grad:
            xs = x if isinstance(x, Tensor) else float(x)
            gy = where((xs == 0) & (y >= 0), 0.0, grad * (result * log(xs)
                                                          if isinstance(x, Tensor) else result * math.log(xs)))
        return gx, gy


@primitive(elementwise=True, saves=())
class Neg:
    array_backward = True

    def forward(xp, x):
        if x.dtype.kind == "b":
            raise RuntimeError(
                "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
                "invert a mask, use the `~` or `logical_not()` operator instead."
            )
        return -x

    def backward(grad, x):
        return -grad


@primitive(elementwise=True)
class Abs:
    def forward(xp, x):
        if x.dtype.kind == "b":
            raise _not_implemented_for("abs", x)
        return xp.abs(x)

    def backward(grad, x):
        return grad * sign(x)


@primitive(elementwise=True, saves=())
class Sign:
    def forward(xp, x):
        return xp.sign(x) if x.dtype.kind != "b" else x.copy()

    def backward(grad, x):
        return grad * 0


# --------------------------------------------------------------------------- unary math
@primitive(elementwise=True, to_float=True, saves=("result",))
class Exp:
    array_backward = True

    def forward(xp, x):
        return precise(xp, xp.exp, x)

    def backward(grad, x, result):
        return grad * result


@primitive(elementwise=True, to_float=True, saves=("result",))
class Exp2:
    def forward(xp, x):
        return precise(xp, xp.exp2, x)

    def backward(grad, x, result):
        return grad * result * math.log(2.0)


@primitive(elementwise=True, to_float=True, saves=("result",))
class Expm1:
    def forward(xp, x):
        return precise(xp, xp.expm1, x)

    def backward(grad, x, result):
        return grad * (result + 1)


@primitive(elementwise=True, to_float=True)
class Log:
    def forward(xp, x):
        return precise(xp, xp.log, x)

    def backward(grad, x):
        return grad / x


@primitive(elementwise=True, to_float=True)
class Log1p:
    grad_fn = "Log1PBackward0"

    def forward(xp, x):
        return precise(xp, xp.log1p, x)

    def backward(grad, x):
        return grad / (x + 1)


@primitive(elementwise=True, to_float=True)
class Log2:
    def forward(xp, x):
        return precise(xp, xp.log2, x)

    def backward(grad, x):
        return grad / (x * math.log(2.0))


@primitive(elementwise=True, to_float=True)
class Log10:
    def forward(xp, x):
        return precise(xp, xp.log10, x)

    def backward(grad, x):
        return grad / (x * math.log(10.0))


@primitive(elementwise=True, to_float=True, saves=("result",))
class Sqrt:
    def forward(xp, x):
        return xp.sqrt(x)

    def backward(grad, x, result):
        return grad / (2 * result)


@primitive(elementwise=True, to_float=True, saves=("result",))
class Rsqrt:
    def forward(xp, x):
        return 1 / xp.sqrt(x)

    def backward(grad, x, result):
        return grad * (-0.5 * result * result * result)


@primitive(elementwise=True, to_float=True, saves=("result",))
class Reciprocal:
    def forward(xp, x):
        return 1 / x

    def backward(grad, x, result):
        return grad * -(result * result)


@primitive(elementwise=True, to_float=True)
class Sin:
    def forward(xp, x):
        return precise(xp, xp.sin, x)

    def backward(grad, x):
        return grad * cos(x)


@primitive(elementwise=True, to_float=True)
class Cos:
    def forward(xp, x):
        return precise(xp, xp.cos, x)

    def backward(grad, x):
        return grad * -sin(x)


@primitive(elementwise=True, to_float=True, saves=("result",))
class Tan:
    def forward(xp, x):
        return precise(xp, xp.tan, x)

    def backward(grad, x, result):
        return grad * (1 + result * result)


@primitive(elementwise=True, to_float=True)
class Asin:
    def forward(xp, x):
        return precise(xp, xp.arcsin, x)

    def backward(grad, x):
        return grad * rsqrt(1 - x * x)


@primitive(elementwise=True, to_float=True)
class Acos:
    def forward(xp, x):
        return precise(xp, xp.arccos, x)

    def backward(grad, x):
        return grad * -rsqrt(1 - x * x)


@primitive(elementwise=True, to_float=True)
class Atan:
    def forward(xp, x):
        return precise(xp, xp.arctan, x)

    def backward(grad, x):
        return grad / (1 + x * x)


@primitive(elementwise=True, to_float=True)
class Atan2:
    def forward(xp, x, y):
        return xp.arctan2(x, y)

    def backward(grad, x, y):
        denom = x * x + y * y
        return grad * y / denom, grad * -x / denom


@primitive(elementwise=True, to_float=True)
class Sinh:
    def forward(xp, x):
        return precise(xp, xp.sinh, x)

    def backward(grad, x):
        return grad * cosh(x)


@primitive(elementwise=True, to_float=True)
class Cosh:
    def forward(xp, x):
        return precise(xp, xp.cosh, x)

    def backward(grad, x):
        return grad * sinh(x)


@primitive(elementwise=True, to_float=True, saves=("result",))
class Tanh:
    array_backward = True

    def forward(xp, x):
        return precise(xp, xp.tanh, x)

    def backward(grad, x, result):
        return grad * (1 - result * result)


@primitive(elementwise=True, to_float=True, saves=("result",))
class Sigmoid:
    array_backward = True

    def forward(xp, x):
        # exp(-x) overflows to inf for very negative x, giving exactly 0 as torch does
        e = precise(xp, xp.exp, -x)
        return 1 / (1 + e)

    def backward(grad, x, result):
        return grad * (result * (1 - result))


@primitive(elementwise=True, saves=("result",))
class Relu:
    array_backward = True

    def forward(xp, x):
        if x.dtype.kind == "b":
            raise RuntimeError('"clamp_min_scalar_cpu" not implemented for \'Bool\'')
        return xp.maximum(x, 0).astype(x.dtype, copy=False)

    def backward(grad, x, result):
        return grad * (result > 0)


def _rounding(name, fn):
    def forward(xp, x):
        if x.dtype.kind == "b":
            raise _not_implemented_for(f"{fn}_vml", x)
        return getattr(xp, fn)(x) if x.dtype.kind == "f" else x.copy()

    def backward(grad, x):
        return grad * 0
    return primitive(type(name, (), {"forward": staticmethod(forward), "backward": staticmethod(backward)}),
                     elementwise=True, saves=())


Floor = _rounding("Floor", "floor")
Ceil = _rounding("Ceil", "ceil")
Trunc = _rounding("Trunc", "trunc")


@primitive(elementwise=True, saves=())
class Round:
    def forward(xp, x, decimals=0):
        if x.dtype.kind == "b":
            raise _not_implemented_for("round_vml", x)
        if x.dtype.kind != "f":
            return x.copy()
        return xp.round(x) if decimals == 0 else xp.round(x, decimals)

    def backward(grad, x, decimals=0):
        return grad * 0


@primitive(elementwise=True, saves=())
class Frac:
    def forward(xp, x):
        return x - xp.trunc(x)

    def backward(grad, x):
        return grad


# --------------------------------------------------------------------------- clamp, max/min, where
@primitive
class Clamp:
    grad_fn = "ClampBackward1"

    def forward(xp, x, min=None, max=None):
        out = x
        if min is not None:
            out = xp.maximum(out, xp.asarray(min).astype(x.dtype))
        if max is not None:
            out = xp.minimum(out, xp.asarray(max).astype(x.dtype))
        return out if out is not x else x.copy()

    def backward(grad, x, min=None, max=None):
        mask = True
        if min is not None:
            mask = x >= min
        if max is not None:
            mask = (x <= max) if mask is True else mask & (x <= max)
        return grad * mask

    def jvp(tangents, x, min=None, max=None):
        return Clamp.backward(tangents[0], x, min, max)  # a diagonal Jacobian: the backward's mask


@primitive(elementwise=True)
class Maximum:
    def forward(xp, x, y):
        return xp.maximum(x, y)

    def backward(grad, x, y):
        half = grad / 2
        return (where(x == y, half, where(x > y, grad, 0.0)),
                where(x == y, half, where(x < y, grad, 0.0)))


@primitive(elementwise=True)
class Minimum:
    def forward(xp, x, y):
        return xp.minimum(x, y)

    def backward(grad, x, y):
        half = grad / 2
        return (where(x == y, half, where(x < y, grad, 0.0)),
                where(x == y, half, where(x > y, grad, 0.0)))


@primitive
class Where:
    no_edge = (0,)  # the condition
    jvp = "linear"  # in x and y together: where(cond, tx, ty)

    def forward(xp, cond, x, y):
        return xp.where(cond, x, y)

    def backward(grad, cond, x, y):
        zero = grad * 0
        return None, where(cond, grad, zero), where(cond, zero, grad)


@primitive
class ToCopy:
    jvp = "linear"

    def forward(xp, x, dtype):
        return x.astype(dtype.np)

    def backward(grad, x, dtype):
        return grad  # the registry casts it back to x's dtype


@primitive(saves=())
class Clone:
    jvp = "linear"

    def forward(xp, x, memory_format=None):
        return x.copy()

    def backward(grad, x, memory_format=None):
        return grad


@primitive(saves=())
class Fill:
    def forward(xp, x, value):
        return xp.full(x.shape, value, dtype=x.dtype)

    def backward(grad, x, value):
        return grad * 0

    def jvp(tangents, x, value):
        return tangents[0] * 0  # the result is a constant


@primitive(saves=())
class Copy:
    jvp = "linear"  # the result is src broadcast to x's shape

    def forward(xp, x, src):
        return xp.broadcast_to(src, x.shape).astype(x.dtype)

    def backward(grad, x, src):
        return grad * 0, grad


# --------------------------------------------------------------------------- non-differentiable
def _nondiff(name, fn):
    def forward(xp, *args):
        return fn(xp, *args)
    return primitive(type(name, (), {"forward": staticmethod(forward)}), elementwise=True)


_Eq = _nondiff("Eq", lambda xp, x, y: x == y)
_Ne = _nondiff("Ne", lambda xp, x, y: x != y)
_Lt = _nondiff("Lt", lambda xp, x, y: x < y)
_Le = _nondiff("Le", lambda xp, x, y: x <= y)
_Gt = _nondiff("Gt", lambda xp, x, y: x > y)
_Ge = _nondiff("Ge", lambda xp, x, y: x >= y)
_IsNan = _nondiff("IsNan", lambda xp, x: xp.isnan(x))
_IsInf = _nondiff("IsInf", lambda xp, x: xp.isinf(x))
_IsFinite = _nondiff("IsFinite", lambda xp, x: xp.isfinite(x))
_SignBit = _nondiff("SignBit", lambda xp, x: xp.signbit(x))
_LogicalAnd = _nondiff("LogicalAnd", lambda xp, x, y: xp.logical_and(x, y))
_LogicalOr = _nondiff("LogicalOr", lambda xp, x, y: xp.logical_or(x, y))
_LogicalXor = _nondiff("LogicalXor", lambda xp, x, y: xp.logical_xor(x, y))
_LogicalNot = _nondiff("LogicalNot", lambda xp, x: xp.logical_not(x))


def _not_implemented_for(kernel: str, arr, suffix: str = "_cpu"):
    from .._dtype import from_numpy_dtype
    from ._registry import _legacy_name
    return NotImplementedError(
        f'"{kernel}{suffix}" not implemented for \'{_legacy_name(from_numpy_dtype(arr.dtype))}\'')


def _bitwise(name, fn):
    def forward(xp, *args):
        if args[0].dtype.kind == "f":  # inputs are already promoted to the common dtype
            raise _not_implemented_for(name, args[0])
        return fn(xp, *args)
    return primitive(type(name, (), {"forward": staticmethod(forward)}), elementwise=True)


_BitAnd = _bitwise("bitwise_and", lambda xp, x, y: x & y)
_BitOr = _bitwise("bitwise_or", lambda xp, x, y: x | y)
_BitXor = _bitwise("bitwise_xor", lambda xp, x, y: x ^ y)
_BitNot = _bitwise("bitwise_not", lambda xp, x: ~x)


# --------------------------------------------------------------------------- public functions
@primitive(elementwise=True)
class PowScalar:
    """tensor ** number (torch's pow.Tensor_Scalar): backward needs x only, never the result."""
    grad_fn = "PowBackward0"
    scalar_edges = False

    def forward(xp, x, y):
        if x.dtype.kind == "f":  # (no integer-power checks needed)
            return x * x if float(y) == 2.0 else xp.power(x, y)  # x * x as torch does, exactly
        return Pow.forward(xp, x, y)

    def jvp(tangents, x, y):
        e = float(y)
        return tangents[0] * 0 if e == 0 else tangents[0] * (e * pow(x, e - 1))

    def backward(grad, x, y):
        e = float(y)
        if e == 2.0:  # x ** 1 is x exactly, so 2 * x is the same number with one op less
            return grad * (x * 2.0), None
        return (grad * 0 if e == 0 else grad * (e * pow(x, e - 1))), None

    @staticmethod
    def array_backward(grad, x, y):  # backward's numbers on arrays (pow as this op's own forward)
        e = float(y)
        if e == 2.0:
            return grad * (x * 2.0), None
        if e == 0:
            return grad * 0, None
        return grad * (e * Pow.forward(np, x, np.asarray(e - 1).astype(x.dtype))), None


def _check_operand(other, op: str):
    if not isinstance(other, (Tensor, int, float, bool)):
        raise TypeError(f"{op}(): argument 'other' must be Tensor or Number, not {type(other).__name__}")


def add(input, other, *, alpha=1, out=None):
    """input + alpha * other"""
    return Add.apply(input, other, alpha=alpha) if alpha != 1 else Add.apply(input, other)


def _check_bool_sub(a, b) -> None:
    def is_bool(v):
        return isinstance(v, bool) or getattr(getattr(v, "dtype", None), "name", None) == "bool"
    if is_bool(a) and is_bool(b):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use "
                           "the `^` or `logical_xor()` operator instead.")
    if is_bool(a) or is_bool(b):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you "
                           "are trying to invert a mask, use the `~` or `logical_not()` operator instead.")


def sub(input, other, *, alpha=1, out=None):
    """input - alpha * other"""
    _check_bool_sub(input, other)
    return Sub.apply(input, other, alpha=alpha) if alpha != 1 else Sub.apply(input, other)


subtract = sub


def rsub(input, other, *, alpha=1):
    """other - alpha * input"""
    _check_bool_sub(input, other)
    return Rsub.apply(input, other, alpha=alpha) if alpha != 1 else Rsub.apply(input, other)


def mul(input, other, *, out=None):
    return Mul.apply(input, other)


multiply = mul


def div(input, other, *, rounding_mode=None, out=None):
    """True division (integers give the default float dtype), or 'trunc' / 'floor' rounding."""
    if rounding_mode is None:
        return Div.apply(input, other)
    if rounding_mode == "trunc":
        return DivTrunc.apply(input, other)
    if rounding_mode == "floor":
        return FloorDivide.apply(input, other)
    raise RuntimeError(
        f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'"
    )


divide = true_divide = div


def floor_divide(input, other, *, out=None):
    return FloorDivide.apply(input, other)


def remainder(input, other, *, out=None):
    return Remainder.apply(input, other)


def fmod(input, other, *, out=None):
    return Fmod.apply(input, other)


def _is_bool(v) -> bool:
    return isinstance(v, bool) or getattr(getattr(v, "dtype", None), "name", None) == "bool"


def pow(input, exponent, *, out=None):
    """input ** exponent; either may be a Python number."""
    if _is_bool(input) and _is_bool(exponent):
        if isinstance(input, Tensor) and isinstance(exponent, bool):  # x ** True is x, x ** False is 1
            return clone(input) if exponent else input | True
        raise NotImplementedError('"pow" not implemented for \'Bool\'')
    return pow_tensor(input, exponent) if isinstance(input, Tensor) else Pow.apply(input, exponent)


def pow_tensor(input, exponent):
    """input ** exponent for a Tensor input (``x ** 2`` without pow()'s checks for bool operands)."""
    if type(exponent) is float or type(exponent) is int:
        return PowScalar.apply2(input, exponent)
    return Pow.apply(input, exponent)


def float_power(input, exponent, *, out=None):
    from .._dtype import float64
    x = input.to(float64) if isinstance(input, Tensor) else float(input)
    y = exponent.to(float64) if isinstance(exponent, Tensor) else float(exponent)
    return Pow.apply(x, y)


def neg(input, *, out=None):
    return Neg.apply(input)


negative = neg


def abs(input, *, out=None):
    return Abs.apply(input)


absolute = abs


def sign(input, *, out=None):
    return Sign.apply(input)


def exp(input, *, out=None):
    return Exp.apply(input)


def exp2(input, *, out=None):
    return Exp2.apply(input)


def expm1(input, *, out=None):
    return Expm1.apply(input)


def log(input, *, out=None):
    return Log.apply(input)


def log1p(input, *, out=None):
    return Log1p.apply(input)


def log2(input, *, out=None):
    return Log2.apply(input)


def log10(input, *, out=None):
    return Log10.apply(input)


def sqrt(input, *, out=None):
    return Sqrt.apply(input)


def rsqrt(input, *, out=None):
    return Rsqrt.apply(input)


def reciprocal(input, *, out=None):
    return Reciprocal.apply(input)


def square(input, *, out=None):
    return Pow.apply(input, 2)


def sin(input, *, out=None):
    return Sin.apply(input)


def cos(input, *, out=None):
    return Cos.apply(input)


def tan(input, *, out=None):
    return Tan.apply(input)


def asin(input, *, out=None):
    return Asin.apply(input)


def acos(input, *, out=None):
    return Acos.apply(input)


def atan(input, *, out=None):
    return Atan.apply(input)


arcsin, arccos, arctan = asin, acos, atan


def atan2(input, other, *, out=None):
    return Atan2.apply(input, other)


def sinh(input, *, out=None):
    return Sinh.apply(input)


def cosh(input, *, out=None):
    return Cosh.apply(input)


def tanh(input, *, out=None):
    return Tanh.apply(input)


def sigmoid(input, *, out=None):
    return Sigmoid.apply(input)


def relu(input):
    return Relu.apply(input)


def floor(input, *, out=None):
    return Floor.apply(input)


def ceil(input, *, out=None):
    return Ceil.apply(input)


def trunc(input, *, out=None):
    return Trunc.apply(input)


def frac(input, *, out=None):
    return Frac.apply(input)


def round(input, *, decimals=0, out=None):
    return Round.apply(input, decimals=decimals) if decimals else Round.apply(input)


def clamp(input, min=None, max=None, *, out=None):
    """Limit values to [min, max]; min/max may be numbers or tensors (then gradients reach them)."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out_t = input
        if min is not None:
            out_t = maximum(out_t, min) if isinstance(min, Tensor) else clamp(out_t, min=min)
        if max is not None:
            out_t = minimum(out_t, max) if isinstance(max, Tensor) else clamp(out_t, max=max)
        return out_t
    dt = result_type(input, *[v for v in (min, max) if v is not None])
    x = input if dt is input.dtype else input.to(dt)
    return Clamp.apply(x, min=min, max=max)


clip = clamp


def clamp_min(input, min):
    return clamp(input, min=min)


def clamp_max(input, max):
    return clamp(input, max=max)


def maximum(input, other, *, out=None):
    return Maximum.apply(input, other)


def minimum(input, other, *, out=None):
    return Minimum.apply(input, other)


def where(condition, input=None, other=None, *, out=None):
    """Elements of input where condition holds, else of other; where(condition) gives nonzero indices."""
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    if not isinstance(condition, Tensor):
        raise TypeError(f"where(): argument 'condition' must be Tensor, not {type(condition).__name__}")
    if condition.dtype.name not in ("bool", "uint8"):
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with "
                           f"dtype {condition.dtype.name.capitalize()}")
    dt = result_type(input, other)
    import numpy as np
    args = []
    for v in (input, other):
        if isinstance(v, Tensor):
            args.append(v if v.dtype is dt else v.to(dt))
        else:
            args.append(np.asarray(v).astype(dt.np))
    return Where.apply(condition, *args)


def eq(input, other, *, out=None):
    return _Eq.apply(input, other)


def ne(input, other, *, out=None):
    return _Ne.apply(input, other)


def lt(input, other, *, out=None):
    return _Lt.apply(input, other)


def le(input, other, *, out=None):
    return _Le.apply(input, other)


def gt(input, other, *, out=None):
    return _Gt.apply(input, other)


def ge(input, other, *, out=None):
    return _Ge.apply(input, other)


greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def equal(input, other) -> bool:
    """True if both have the same shape and elements."""
    return input.shape == other.shape and bool(_Eq.apply(input, other)._data.all())


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    import numpy as np

    a = input._data
    b = other._data if isinstance(other, Tensor) else other
    r = np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    return Tensor._wrap(np.asarray(r), _bool_dtype())


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def _bool_dtype():
    from .._dtype import bool as b
    return b


def isnan(input):
    return _IsNan.apply(input)


def isinf(input):
    return _IsInf.apply(input)


def isfinite(input):
    return _IsFinite.apply(input)


def signbit(input, *, out=None):
    return _SignBit.apply(input)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    import numpy as np
    big = np.finfo(input._data.dtype).max if input.dtype.is_floating_point else None
    x = where(isnan(input), nan, input)
    if big is not None:
        x = where(x == math.inf, big if posinf is None else posinf, x)
        x = where(x == -math.inf, -big if neginf is None else neginf, x)
    return x


def logical_and(input, other, *, out=None):
    return _LogicalAnd.apply(input, other)


def logical_or(input, other, *, out=None):
    return _LogicalOr.apply(input, other)


def logical_xor(input, other, *, out=None):
    return _LogicalXor.apply(input, other)


def logical_not(input, *, out=None):
    return _LogicalNot.apply(input)


def bitwise_and(input, other, *, out=None):
    return _BitAnd.apply(input, other)


def bitwise_or(input, other, *, out=None):
    return _BitOr.apply(input, other)


def bitwise_xor(input, other, *, out=None):
    return _BitXor.apply(input, other)


def bitwise_not(input, *, out=None):
    return _BitNot.apply(input)


def _fma(a, b, c):
    """a * b + c rounded once, as torch's CPU kernels fuse it: for float32 through float64 (the
    product of two float32 numbers is exact there); other dtypes unfused."""
    if np.result_type(a, b, c) == np.float32:
        return (np.multiply(a, b, dtype=np.float64) + c).astype(np.float32)
    return a * b + c


@primitive(elementwise=True)
class Lerp:
    """input + weight * (end - input), as torch's kernel rounds it (two fused forms, by |weight|)."""
    grad_fn = staticmethod(lambda x, end, weight: "LerpBackward1" if isinstance(weight, Tensor)
                           else "LerpBackward0")
    scalar_edges = False  # a Python-number weight has no edge

    def forward(xp, x, end, weight):
        diff = end - x
        near = _fma(weight, diff, x)  # |weight| < 0.5: start + w * (end - start)
        far = _fma(-diff, (1 - weight).astype(x.dtype), end)  # else end - (end - start) * (1 - w)
        return xp.where(xp.abs(weight) < 0.5, near, far).astype(x.dtype, copy=False)

    def backward(grad, x, end, weight):
        gw = grad * (end - x) if isinstance(weight, Tensor) else None
        return grad * (1 - weight), grad * weight, gw


@primitive(elementwise=True)
class Addcmul:
    def forward(xp, x, t1, t2, value=1):
        if x.dtype.kind != "f":
            return x + value * t1 * t2
        return _fma((t1 * value).astype(x.dtype), t2, x)  # torch: fma(value * t1, t2, input)

    def backward(grad, x, t1, t2, value=1):
        return grad, grad * t2 * value, grad * t1 * value


@primitive(elementwise=True)
class Addcdiv:
    def forward(xp, x, t1, t2, value=1):
        if x.dtype.kind in "iub" and t1.dtype.kind in "iub" and t2.dtype.kind in "iub":
            raise RuntimeError(
                "Integer division with addcdiv is no longer supported, and in a future  release addcdiv "
                "will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can "
                "be implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for "
                "integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The future "
                "addcdiv behavior is just the latter implementation: (input + value * tensor1 / tensor2), "
                "for all dtypes.")
        return x + (t1 * value).astype(x.dtype, copy=False) / t2  # torch: input + (value * t1) / t2

    def backward(grad, x, t1, t2, value=1):
        return grad, grad * value / t2, -grad * value * t1 / (t2 * t2)


def _same_dtype(input, other, what):
    if isinstance(other, Tensor) and other.dtype is not input.dtype:
        raise RuntimeError(f"expected dtype {cpp_name(input.dtype)} for `{what}` but got dtype "
                           f"{cpp_name(other.dtype)}")


def lerp(input, end, weight, *, out=None):
    """input + weight * (end - input); end and a tensor weight must have input's dtype, as in torch."""
    if not input.dtype.is_floating_point:
        kind = "tensor" if isinstance(weight, Tensor) else "scalar"
        raise _not_implemented_for(f"lerp_kernel_{kind}", input._data, suffix="")
    _same_dtype(input, end, "end")
    _same_dtype(input, weight, "weight")
    return Lerp.apply(input, end, weight)


def addcmul(input, tensor1, tensor2, *, value=1, out=None):
    """input + value * tensor1 * tensor2 (one fused multiply-add, as torch's CPU kernel)."""
    return Addcmul.apply(input, tensor1, tensor2, value=value)


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):
    """input + value * tensor1 / tensor2 (integer inputs refused, as in torch)."""
    return Addcdiv.apply(input, tensor1, tensor2, value=value)


def hypot(input, other, *, out=None):
    return sqrt(input * input + other * other)


def to_dtype(input, dtype):
    """A differentiable cast (grad_fn ToCopyBackward0)."""
    return ToCopy.apply(input, dtype=dtype)


def clone(input, *, memory_format=None):
    return Clone.apply(input)


def fill_(input, value):
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value.ndim} dimensions.")
        if value.requires_grad:
            return copy_(input, value)
        value = value.item()
    return apply_inplace(Fill.apply, input, value=value)


def zero_(input):
    return fill_(input, 0)


def copy_(input, src, non_blocking=False):
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'src' must be Tensor, not {type(src).__name__}")
    return apply_inplace(Copy.apply, input, src)

