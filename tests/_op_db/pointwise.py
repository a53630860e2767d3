"""op_db entries for ember/ops/pointwise.py."""
import numpy as np

from tests.op_db import OpInfo, Sample, arr


def unary_samples(low=-2.0, high=2.0):
    def make():
        return [Sample((arr(3, 4, low=low, high=high),)),
                Sample((arr(5, low=low, high=high, seed=1),)),
                Sample((np.array(arr(1, low=low, high=high, seed=2)[0]),), name="0d"),
                Sample((arr(2, 1, 3, low=low, high=high, seed=3),))]
    return make


def binary_samples(low=-2.0, high=2.0, low2=None, high2=None):
    low2 = low if low2 is None else low2
    high2 = high if high2 is None else high2

    def make():
        return [Sample((arr(3, 4, low=low, high=high), arr(3, 4, low=low2, high=high2, seed=5))),
                Sample((arr(3, 1, low=low, high=high), arr(4, low=low2, high=high2, seed=6)),
                       name="broadcast"),
                Sample((arr(2, 3, low=low, high=high),
                        np.array(arr(1, low=low2, high=high2, seed=7)[0])), name="0d-other"),
                Sample((arr(2, 3, low=low, high=high), 1.5), name="scalar")]
    return make


def _u(name, fn, low=-2.0, high=2.0, **kw):
    return OpInfo(name, fn, unary_samples(low, high), **kw)


def _b(name, fn, low=-2.0, high=2.0, low2=None, high2=None, **kw):
    return OpInfo(name, fn, binary_samples(low, high, low2, high2), **kw)


OPS = [
    _b("add", lambda lib, x, y: lib.add(x, y)),
    _b("add_alpha", lambda lib, x, y: lib.add(x, y, alpha=2)),
    _b("sub", lambda lib, x, y: lib.sub(x, y)),
    _b("rsub_op", lambda lib, x, y: 3.0 - x + 0 * y if not isinstance(y, float) else 3.0 - x),
    _b("mul", lambda lib, x, y: lib.mul(x, y)),
    _b("div", lambda lib, x, y: lib.div(x, y), low2=0.5, high2=2.0),
    _b("rdiv_op", lambda lib, x, y: 2.0 / y if not isinstance(y, float) else 2.0 / x, low=0.5, high=2,
       low2=0.5, high2=2.0),
    _b("pow", lambda lib, x, y: lib.pow(x, y), low=0.5, high=2.0),
    OpInfo("pow_scalar_exp", lambda lib, x: x ** 3, unary_samples()),
    OpInfo("pow_square", lambda lib, x: x ** 2, unary_samples()),
    OpInfo("rpow", lambda lib, x: 2.0 ** x, unary_samples()),
    _b("maximum", lambda lib, x, y: lib.maximum(x, y) if not isinstance(y, float) else lib.maximum(
        x, lib.tensor(y, dtype=x.dtype))),
    _b("minimum", lambda lib, x, y: lib.minimum(x, y) if not isinstance(y, float) else lib.minimum(
        x, lib.tensor(y, dtype=x.dtype))),
    _b("atan2", lambda lib, x, y: lib.atan2(x, y) if not isinstance(y, float) else lib.atan2(
        x, lib.tensor(y, dtype=x.dtype)), low2=0.5),
    _b("floor_divide", lambda lib, x, y: lib.floor_divide(x, y), low2=0.5, high2=2.0,
       differentiable=False),
    _b("remainder", lambda lib, x, y: lib.remainder(x, y), low2=0.5, high2=2.0, gradcheck=False),
    _u("neg", lambda lib, x: -x),
    _u("abs", lambda lib, x: lib.abs(x)),
    _u("sign", lambda lib, x: lib.sign(x)),
    _u("exp", lambda lib, x: lib.exp(x)),
    _u("expm1", lambda lib, x: lib.expm1(x)),
    _u("log", lambda lib, x: lib.log(x), low=0.1),
    _u("log1p", lambda lib, x: lib.log1p(x), low=-0.5),
    _u("log2", lambda lib, x: lib.log2(x), low=0.1),
    _u("log10", lambda lib, x: lib.log10(x), low=0.1),
    _u("sqrt", lambda lib, x: lib.sqrt(x), low=0.1),
    _u("rsqrt", lambda lib, x: lib.rsqrt(x), low=0.1),
    _u("square", lambda lib, x: lib.square(x)),
    _u("reciprocal", lambda lib, x: lib.reciprocal(x), low=0.5),
    _u("sin", lambda lib, x: lib.sin(x)),
    _u("cos", lambda lib, x: lib.cos(x)),
    _u("tan", lambda lib, x: lib.tan(x), low=-1.2, high=1.2),
    _u("asin", lambda lib, x: lib.asin(x), low=-0.9, high=0.9),
    _u("acos", lambda lib, x: lib.acos(x), low=-0.9, high=0.9),
    _u("atan", lambda lib, x: lib.atan(x)),
    _u("sinh", lambda lib, x: lib.sinh(x)),
    _u("cosh", lambda lib, x: lib.cosh(x)),
    _u("tanh", lambda lib, x: lib.tanh(x)),
    _u("sigmoid", lambda lib, x: lib.sigmoid(x)),
    _u("relu", lambda lib, x: lib.relu(x)),
    _u("floor", lambda lib, x: lib.floor(x)),
    _u("ceil", lambda lib, x: lib.ceil(x)),
    _u("round", lambda lib, x: lib.round(x)),
    _u("trunc", lambda lib, x: lib.trunc(x)),
    _u("frac", lambda lib, x: lib.frac(x)),
    _u("clamp", lambda lib, x: lib.clamp(x, -0.5, 0.7)),
    _u("clamp_min", lambda lib, x: lib.clamp(x, min=-0.3)),
    _u("clamp_max", lambda lib, x: x.clamp(max=0.3)),
    _u("clip", lambda lib, x: lib.clip(x, -1.0, 1.0)),
    _u("to_float64", lambda lib, x: x.to(lib.float64) * 2),
    _u("to_float32", lambda lib, x: x.float() * 2, gradcheck=False),  # float32 rounding defeats FD
    _u("clone", lambda lib, x: x.clone() * 1),
    OpInfo("where", lambda lib, c, x, y: lib.where(c, x, y),
           lambda: [Sample((arr(3, 4) > 0, arr(3, 4, seed=1), arr(3, 4, seed=2)), bool_args=(0,)),
                    Sample((arr(3, 1) > 0, arr(1, 4, seed=1), arr(4, seed=2)), bool_args=(0,),
                           name="broadcast")]),
    OpInfo("where_scalar", lambda lib, c, x: lib.where(c, x, 0.0),
           lambda: [Sample((arr(3, 4) > 0, arr(3, 4, seed=1)), bool_args=(0,))]),
    OpInfo("lerp", lambda lib, x, y: lib.lerp(x, y, 0.3), lambda: binary_samples()()[:3]),
    OpInfo("lerp_tensor_weight", lambda lib, x, y: lib.lerp(x, y, (y * 0.7).sigmoid()),
           lambda: binary_samples()()[:3]),
    OpInfo("addcmul", lambda lib, x, y: lib.addcmul(x, y, y, value=0.5), lambda: binary_samples()()[:3]),
    OpInfo("addcdiv", lambda lib, x, y: lib.addcdiv(x, y, y + 3, value=0.5),
           lambda: binary_samples(low2=0.5)()[:3]),
]

_CMP = [("eq", lambda lib, x, y: x == y), ("ne", lambda lib, x, y: x != y),
        ("lt", lambda lib, x, y: x < y), ("le", lambda lib, x, y: x <= y),
        ("gt", lambda lib, x, y: lib.gt(x, y)), ("ge", lambda lib, x, y: lib.ge(x, y)),
        ("logical_and", lambda lib, x, y: lib.logical_and(x > 0, y > 0) if not isinstance(y, float)
         else lib.logical_and(x > 0, x < y)),
        ("logical_or", lambda lib, x, y: lib.logical_or(x > 0, x < 1)),
        ("logical_xor", lambda lib, x, y: lib.logical_xor(x > 0, x < 1)),
        ("logical_not", lambda lib, x, y: lib.logical_not(x > 0)),
        ("isnan", lambda lib, x, y: lib.isnan(lib.log(x))),
        ("isinf", lambda lib, x, y: lib.isinf(1 / lib.floor(x))),
        ("isfinite", lambda lib, x, y: lib.isfinite(1 / lib.floor(x)))]
OPS += [OpInfo(n, f, binary_samples(), differentiable=False) for n, f in _CMP]
