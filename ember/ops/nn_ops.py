"""Fused, numerically careful neural-network ops: softmax, log_softmax, the losses, the activations.

These are primitives (rather than compositions in ember.nn.functional) for one of two reasons, named
at each class: numerical stability (softmax at logits of +-1e4, softplus / logsigmoid / BCE-with-logits
for large inputs), or a graph users see (torch prints ``NllLossBackward0``, ``MseLossBackward0`` ...).
Losses take their ``reduction`` ('none' | 'mean' | 'sum') as a parameter so the reduced result is the
op's own output, as in torch.

Only ``softmax`` and ``log_softmax`` are public here (``ember.softmax``, ``Tensor.softmax``); the
functional API in ember/nn/_activation.py and _loss.py applies the other primitives.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from .. import _dtype
from ._cascade import nll_sum, softmax_sum, torch_sum
from ._precise import precise
from ._registry import primitive
from ._utils import broadcast_shapes, normalize_dim
from .pointwise import Exp, _not_implemented_for, exp, sigmoid, where
from .reduction import Sum

__all__ = ["log_softmax", "softmax"]

_SQRT1_2 = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TANH_K = math.sqrt(2.0 / math.pi)


def _require_float(kernel: str, x) -> None:
    if x.dtype.kind != "f":
        raise _not_implemented_for(kernel, x)


def _stable_softplus(xp, z):
    """log(1 + exp(z)) without overflow: max(z, 0) + log1p(exp(-|z|))."""
    return xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))


# --------------------------------------------------------------------------- softmax family
def _along(x, dim):
    """(array to work on, axis): a 0-d tensor is treated as one element along dim 0."""
    return (x.reshape(1), 0) if x.ndim == 0 else (x, dim)


def _max_along(xp, a, ax):
    """amax over ``ax`` (kept). Rows of a few classes ((N, C) logits) go through a transposed copy:
    NumPy reduces a short contiguous axis row by row, about ten times slower here."""
    if a.ndim == 2 and ax == 1 and a.shape[1] <= 64 and a.shape[0] >= 8:
        return xp.ascontiguousarray(a.T).max(axis=0).reshape(a.shape[0], 1)
    return xp.amax(a, axis=ax, keepdims=True)


@primitive(saves=("result",))
class Softmax:
    """Stability: exp of (x - max) cannot overflow, so logits of +-1e4 give exact 0s and 1s."""

    def forward(xp, x, dim):
        if x.dtype.kind != "f":
            raise NotImplementedError(
                f"\"softmax_lastdim_kernel_impl\" not implemented for '{_legacy(x)}'")
        a, ax = _along(x, dim)
        if a.size == 0:
            return x.copy()
        e = precise(xp, xp.exp, a - _max_along(xp, a, ax))
        # along the last dim torch multiplies by the reciprocal of the sum (one division per row),
        # along another it divides; doing the same (and summing in its order) matches its rounding
        total = softmax_sum(xp, e, ax)
        return (e * (1 / total) if ax == a.ndim - 1 else e / total).reshape(x.shape)

    def backward(grad, x, result, dim):
        return result * (grad - (grad * result).sum(dim=dim, keepdim=True))

    def jvp(tangents, x, result, dim):
        return result * (tangents[0] - (tangents[0] * result).sum(dim=dim, keepdim=True))


@primitive(saves=("result",))
class LogSoftmax:
    """Stability: log(sum(exp(x - max))) is at most log(n), so the result never over/underflows."""

    def forward(xp, x, dim):
        if x.dtype.kind != "f":
            raise NotImplementedError(
                f"\"log_softmax_lastdim_kernel_impl\" not implemented for '{_legacy(x)}'")
        a, ax = _along(x, dim)
        if a.size == 0:
            return x.copy()
        s = a - _max_along(xp, a, ax)
        return (s - precise(xp, xp.log, softmax_sum(xp, precise(xp, xp.exp, s), ax))).reshape(x.shape)

    def backward(grad, x, result, dim):
        return grad - exp(result) * grad.sum(dim=dim, keepdim=True)

    @staticmethod
    def array_backward(grad, x, result, dim):  # backward's numbers on arrays (its ops' forwards)
        dims = (dim,) if grad.ndim else None  # (a 0-d tensor's dim 0 is every dim)
        return grad - Exp.cls.forward(np, result) * Sum.cls.forward(np, grad, dim=dims, keepdim=True)

    def jvp(tangents, x, result, dim):
        return tangents[0] - (exp(result) * tangents[0]).sum(dim=dim, keepdim=True)


def _legacy(arr) -> str:
    from ._registry import _legacy_name
    return _legacy_name(_dtype.from_numpy_dtype(arr.dtype))


def _softmax_args(input, dim, dtype):
    if dtype is not None:
        input = input.to(dtype)
    return input, normalize_dim(dim, input.ndim)


def softmax(input, dim, dtype=None):
    """exp(input) / exp(input).sum(dim), computed stably; ``dtype`` casts the input first."""
    input, d = _softmax_args(input, dim, dtype)
    return Softmax.apply(input, dim=d)


def log_softmax(input, dim, dtype=None):
    """log(softmax(input, dim)), computed without taking the log of a rounded probability."""
    input, d = _softmax_args(input, dim, dtype)
    return LogSoftmax.apply(input, dim=d)


def implicit_softmax_dim(name: str, ndim: int, stacklevel: int = 3) -> int:
    """torch's deprecated choice of dim when F.softmax & co. are called without one (with its warning)."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
                  "dim=X as an argument.", UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


# --------------------------------------------------------------------------- erf (for exact GELU)
@primitive(elementwise=True, to_float=True)
class Erf:
    """The error function; NumPy has none, so it is evaluated here (series / continued fraction)."""

    def forward(xp, x):
        return _erf(xp, x)

    def backward(grad, x):
        return grad * (2.0 / math.sqrt(math.pi)) * exp(-(x * x))


# Maclaurin coefficients of erf(x) * sqrt(pi) / (2 x) as a polynomial in x^2: (-1)^n / (n! (2n + 1))
_ERF_SERIES = [(-1) ** n / (math.factorial(n) * (2 * n + 1)) for n in range(36)]
# (upper bound of |x|, terms needed there for float64 accuracy: the last term is below 1e-17)
_ERF_BANDS = ((0.5, 13), (1.0, 19), (2.0, 33))


def _erf(xp, x):
    """erf to float64 accuracy: its Maclaurin series for |x| < 2 (fewer terms for smaller |x|, each
    band evaluated by Horner's rule), erfc's continued fraction for 2 <= |x| < 6, and +-1 beyond
    (erfc(6) < 1e-16). Every branch is vectorised over its own elements."""
    a = xp.abs(x.astype("float64"))
    out = xp.ones_like(a)
    low = 0.0
    for high, n_terms in _ERF_BANDS:
        band = (a >= low) & (a < high)
        low = high
        s = a[band]
        if not s.size:
            continue
        s2 = s * s
        poly = xp.full_like(s, _ERF_SERIES[n_terms - 1])
        for c in reversed(_ERF_SERIES[:n_terms - 1]):
            poly *= s2
            poly += c
        out[band] = poly * s * (2.0 / math.sqrt(math.pi))
    mid = (a >= 2.0) & (a < 6.0)
    b = a[mid]
    if b.size:
        f = b.copy()
        for k in range(60, 0, -1):  # erfc(b) = exp(-b^2)/sqrt(pi) / (b + (1/2)/(b + 1/(b + (3/2)/(b + ...))))
            f = b + (k / 2.0) / f
        out[mid] = 1.0 - xp.exp(-b * b) / (math.sqrt(math.pi) * f)
    out = xp.where(xp.isnan(a), a, out)
    return (xp.sign(x) * out).astype(x.dtype)


# --------------------------------------------------------------------------- activations
@primitive(elementwise=True)
class Softplus:
    """Stability: log1p(exp(-|bx|)) + max(bx, 0) never overflows, whatever the threshold."""

    def forward(xp, x, beta=1.0, threshold=20.0):
        _require_float("softplus", x)
        bx = x * beta
        return xp.where(bx > threshold, x, _stable_softplus(xp, bx) / beta).astype(x.dtype)

    def backward(grad, x, beta=1.0, threshold=20.0):
        bx = x * beta
        return where(bx > threshold, grad, grad * sigmoid(bx))


@primitive(elementwise=True)
class LogSigmoid:
    """Stability: min(x, 0) - log1p(exp(-|x|)) is finite for every finite x."""

    def forward(xp, x):
        _require_float("log_sigmoid_forward", x)
        return (xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))).astype(x.dtype)

    def backward(grad, x):
        return grad * sigmoid(-x)


class _EluBase:
    def forward(xp, x, alpha=1.0, scale=1.0, input_scale=1.0):
        _require_float("elu", x)
        # min(x, 0) keeps exp from overflowing on the branch where() throws away
        neg = xp.expm1(xp.minimum(x, 0) * input_scale) * (alpha * scale)
        return xp.where(x > 0, x * scale, neg).astype(x.dtype)

    def backward(grad, x, alpha=1.0, scale=1.0, input_scale=1.0):
        neg = exp(x.clamp(max=0) * input_scale) * (alpha * scale * input_scale)
        return grad * where(x > 0, scale, neg)


@primitive(elementwise=True)
class Elu(_EluBase):
    """elu and selu (torch prints EluBackward0 for both)."""


@primitive(elementwise=True)
class Celu(_EluBase):
    """celu(x, alpha) = elu(x, alpha, input_scale=1/alpha); a primitive of its own for its grad_fn."""


@primitive(elementwise=True)
class Gelu:
    def forward(xp, x, approximate="none"):
        _require_float("GeluKernelImpl", x)
        if approximate == "tanh":
            return (0.5 * x * (1 + xp.tanh(_TANH_K * (x + 0.044715 * x * x * x)))).astype(x.dtype)
        return (0.5 * x * (1 + _erf(xp, x * _SQRT1_2))).astype(x.dtype)

    def backward(grad, x, approximate="none"):
        if approximate == "tanh":
            x2 = x * x
            t = (_TANH_K * (x + 0.044715 * x2 * x)).tanh()
            dt = (1 - t * t) * (_TANH_K * (1 + 3 * 0.044715 * x2))
            return grad * (0.5 * (1 + t) + 0.5 * x * dt)
        cdf = 0.5 * (1 + Erf.apply(x * _SQRT1_2))
        return grad * (cdf + x * exp(-0.5 * x * x) * _INV_SQRT_2PI)


@primitive(elementwise=True)
class Silu:
    def forward(xp, x):
        _require_float("silu", x)
        return (x / (1 + xp.exp(-x))).astype(x.dtype)

    def backward(grad, x):
        s = sigmoid(x)
        return grad * (s * (1 + x * (1 - s)))


@primitive(elementwise=True)
class Mish:
    """x * tanh(softplus(x)), with the stable softplus inside."""

    def forward(xp, x):
        _require_float("mish", x)
        return (x * xp.tanh(_stable_softplus(xp, x))).astype(x.dtype)

    def backward(grad, x):
        t = Softplus.apply(x).tanh()
        return grad * (t + x * sigmoid(x) * (1 - t * t))


@primitive(elementwise=True)
class Hardtanh:
    """hardtanh and relu6 (torch prints HardtanhBackward0 for both)."""

    def forward(xp, x, min_val=-1.0, max_val=1.0):
        if x.dtype.kind == "b":
            raise _not_implemented_for("hardtanh", x)
        return xp.clip(x, min_val, max_val).astype(x.dtype)

    def backward(grad, x, min_val=-1.0, max_val=1.0):
        return grad * ((x > min_val) & (x < max_val))


@primitive(elementwise=True)
class LeakyRelu:
    def forward(xp, x, negative_slope=0.01):
        _require_float("leaky_relu", x)
        return xp.where(x > 0, x, x * negative_slope).astype(x.dtype)

    def backward(grad, x, negative_slope=0.01):
        return where(x > 0, grad, grad * negative_slope)


@primitive(elementwise=True)
class Hardsigmoid:
    def forward(xp, x):
        _require_float("hardsigmoid", x)
        return (xp.clip(x + 3, 0, 6) / 6).astype(x.dtype)

    def backward(grad, x):
        return grad * (((x > -3) & (x < 3)) * (1.0 / 6))


@primitive(elementwise=True)
class Hardswish:
    def forward(xp, x):
        _require_float("hardswish", x)
        return (x * xp.clip(x + 3, 0, 6) / 6).astype(x.dtype)

    def backward(grad, x):
        return grad * where(x <= -3, 0.0, where(x < 3, x / 3 + 0.5, 1.0))  # torch's edges: 0 at -3, 1 at 3


@primitive(elementwise=True)
class Threshold:
    def forward(xp, x, threshold, value):
        if x.dtype.kind == "b":
            raise _not_implemented_for("threshold", x)
        return xp.where(x > threshold, x, xp.asarray(value).astype(x.dtype))

    def backward(grad, x, threshold, value):
        return grad * (x > threshold)


@primitive
class Glu:
    """a * sigmoid(b) for the two halves of ``dim``; fused so the graph is one GluBackward0 node."""

    jvp = "transpose"  # backward is linear in grad, so forward mode comes from it

    def forward(xp, x, dim):
        _require_float("glu", x)
        n = x.shape[dim]
        if n % 2:
            raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size {n}")
        a, b = xp.split(x, 2, axis=dim)
        return a / (1 + xp.exp(-b))

    def backward(grad, x, dim):
        from .movement import cat
        a, b = x.chunk(2, dim=dim)
        s = sigmoid(b)
        return cat([grad * s, grad * a * s * (1 - s)], dim=dim)


# --------------------------------------------------------------------------- losses: shared pieces
def _reduce(xp, loss, reduction, denom=None, total_fn=torch_sum):
    if reduction == "none":
        return loss
    total = total_fn(xp, loss)  # torch's order of additions (sum's, or nll_loss's own cascade)
    if reduction == "sum":
        return total
    return total / (loss.size if denom is None else denom)


def _reduce_grad(grad, reduction, n):
    """d(reduced)/d(elementwise loss): grad itself ('none'), broadcast ('sum'), or grad / n ('mean')."""
    return grad / n if reduction == "mean" else grad


def _loss_size(x, t) -> int:
    """How many elementwise losses a 'mean' divides by: the broadcast size of input and target."""
    return math.prod(broadcast_shapes(tuple(x.shape), tuple(t.shape)))


@primitive
class MseLoss:
    jvp = "transpose"  # backward is linear in grad, so forward mode comes from it

    def forward(xp, x, t, reduction="mean"):
        if x.dtype.kind != "f":
            raise _not_implemented_for("mse", x)
        d = x - t
        return _reduce(xp, d * d, reduction)

    def backward(grad, x, t, reduction="mean"):
        g = _reduce_grad(grad, reduction, _loss_size(x, t)) * (2 * (x - t))
        return g, -g


@primitive
class SmoothL1Loss:
    jvp = "transpose"  # backward is linear in grad, so forward mode comes from it

    def forward(xp, x, t, reduction="mean", beta=1.0):
        _require_float("smooth_l1", x)
        d = xp.abs(x - t)
        loss = d - 0.5 * beta if beta == 0 else xp.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)
        return _reduce(xp, loss, reduction)

    def backward(grad, x, t, reduction="mean", beta=1.0):
        d = x - t
        slope = d.sign() if beta == 0 else where(d.abs() < beta, d / beta, d.sign())
        g = _reduce_grad(grad, reduction, _loss_size(x, t)) * slope
        return g, -g


@primitive
class HuberLoss:
    jvp = "transpose"  # backward is linear in grad, so forward mode comes from it

    def forward(xp, x, t, reduction="mean", delta=1.0):
        _require_float("huber", x)
        d = xp.abs(x - t)
        return _reduce(xp, xp.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta)), reduction)

    def backward(grad, x, t, reduction="mean", delta=1.0):
        g = _reduce_grad(grad, reduction, _loss_size(x, t)) * (x - t).clamp(-delta, delta)
        return g, -g


@primitive
class SoftMarginLoss:
    """log(1 + exp(-y x)) through the stable softplus, so large margins give 0 (not log(1 + inf))."""

    jvp = "transpose"  # backward is linear in grad, so forward mode comes from it

    def forward(xp, x, y, reduction="mean"):
        return _reduce(xp, _stable_softplus(xp, -y * x).astype(x.dtype), reduction)

    def backward(grad, x, y, reduction="mean"):
        return _reduce_grad(grad, reduction, _loss_size(x, y)) * (-y) * sigmoid(-y * x), None


@primitive
class BinaryCrossEntropy:
    """-(t log x + (1 - t) log(1 - x)), each log clamped at -100 as torch does (so x = 0 or 1 is finite)."""

    jvp = "transpose"  # backward is linear in grad, so forward mode comes from it

    def forward(xp, x, t, weight=None, reduction="mean"):
        if ((x < 0) | (x > 1)).any():
            raise RuntimeError("all elements of input should be between 0 and 1")
        log_x = xp.maximum(xp.log(x), -100)
        log_1mx = xp.maximum(xp.log(1 - x), -100)
        loss = -(t * log_x + (1 - t) * log_1mx)
        if weight is not None:
            loss = loss * weight
        return _reduce(xp, loss.astype(x.dtype, copy=False), reduction)

    def backward(grad, x, t, weight=None, reduction="mean"):
        g = _reduce_grad(grad, reduction, x.numel())
        if weight is not None:
            g = g * weight
        gx = g * (x - t) / ((1 - x) * x).clamp(min=1e-12)  # torch's epsilon keeps x = 0 / 1 finite
        gt = g * ((1 - x).log().clamp(min=-100) - x.log().clamp(min=-100))
        return gx, gt, None


@primitive
class BinaryCrossEntropyWithLogits:
    """BCE on logits: (1 - t) x + lw * softplus(-x), with lw = 1 + (pos_weight - 1) t.

    Stability: softplus(-x) = max(-x, 0) + log1p(exp(-|x|)) is exact for logits of +-1e4, where
    log(sigmoid(x)) would be log(0).
    """

    jvp = "transpose"  # backward is linear in grad, so forward mode comes from it

    def forward(xp, x, t, weight=None, pos_weight=None, reduction="mean"):
        sp = _stable_softplus(xp, -x)
        lw = 1 if pos_weight is None else 1 + (pos_weight - 1) * t
        loss = (1 - t) * x + lw * sp
        if weight is not None:
            loss = loss * weight
        return _reduce(xp, loss.astype(x.dtype, copy=False), reduction)

    def backward(grad, x, t, weight=None, pos_weight=None, reduction="mean"):
        g = _reduce_grad(grad, reduction, x.numel())
        if weight is not None:
            g = g * weight
        s_neg = sigmoid(-x)
        if pos_weight is None:
            return g * (1 - t - s_neg), g * (-x), None, None
        lw = 1 + (pos_weight - 1) * t
        gx = g * ((1 - t) - lw * s_neg)
        gt = g * ((pos_weight - 1) * Softplus.apply(-x) - x)
        return gx, gt, None, None


# --------------------------------------------------------------------------- nll_loss
def _class_axis(x) -> int:
    return 1 if x.ndim >= 2 else 0


@primitive
class NllLoss:
    """-input[n, target[n], ...] * weight[target], reduced; targets equal to ignore_index count for
    nothing (and not in the 'mean' denominator, so an all-ignored batch gives 0/0 = nan, as in torch).
    A primitive so users see NllLossBackward0 and so picking one class needs no one-hot in forward."""

    jvp = "transpose"  # backward is linear in grad, so forward mode comes from it

    def forward(xp, x, target, weight=None, ignore_index=-100, reduction="mean"):
        cax = 1 if x.ndim >= 2 else 0
        n_classes = x.shape[cax]
        lo_hi = (target.min(), target.max()) if target.size else (0, 0)
        if (weight is None and x.ndim == 2 and 0 <= lo_hi[0] and lo_hi[1] < n_classes
                and not 0 <= ignore_index < n_classes and x.shape[0] < 2 ** 24):
            # the common case: (N, C), every target a class and none ignored: -x[n, t[n]] summed
            loss = -x[xp.arange(x.shape[0]), target]
            denom = x.dtype.type(target.shape[0]) if reduction == "mean" else None
            return _reduce(xp, loss.astype(x.dtype, copy=False), reduction, denom=denom,
                           total_fn=nll_sum)
        valid = target != ignore_index
        if target.size and (lo_hi[0] < 0 or lo_hi[1] >= n_classes):  # (or ignore_index)
            bad = valid & ((target < 0) | (target >= n_classes))
            if bad.any():
                raise IndexError(f"Target {int(target[bad].reshape(-1)[0])} is out of bounds.")
        safe = xp.where(valid, target, 0)
        if x.ndim == 2:  # (N, C): one fancy index instead of take_along_axis's general machinery
            picked = x[xp.arange(x.shape[0]), safe]
        else:
            picked = xp.squeeze(xp.take_along_axis(x, xp.expand_dims(safe, cax), axis=cax), axis=cax)
        if weight is None:
            w = valid.astype(x.dtype)
            loss = xp.where(valid, -picked, 0).astype(x.dtype)  # (-picked * 1 is -picked exactly)
        else:
            w = xp.where(valid, weight[safe], 0).astype(x.dtype)
            loss = xp.where(valid, -picked * w, 0).astype(x.dtype)
        if reduction != "mean":
            denom = None
        elif weight is None and valid.size < 2 ** 24:  # a sum of ones: exact in any order
            denom = x.dtype.type(xp.count_nonzero(valid))
        else:
            denom = nll_sum(xp, w)
        return _reduce(xp, loss, reduction, denom=denom, total_fn=nll_sum)

    def backward(grad, x, target, weight=None, ignore_index=-100, reduction="mean"):
        cax = _class_axis(x)
        w = _target_weights(target, weight, ignore_index, x.dtype)
        g = grad / w.sum() if reduction == "mean" else grad
        # ignored targets get 0 even when every target is ignored ('mean' then divides by 0)
        per_target = where(target != ignore_index, -(g * w), 0.0)
        classes = _arange_along(x.shape[cax], cax, x.ndim)
        return per_target.unsqueeze(cax) * (target.unsqueeze(cax) == classes), None, None

    @staticmethod
    def array_backward(grad, x, target, weight=None, ignore_index=-100, reduction="mean"):
        # backward's steps on arrays (no graph to build), each computed as its Tensor op computes it
        cax = _class_axis(x)
        valid = target != ignore_index
        if weight is None:
            w = valid.astype(x.dtype)
        else:
            picked = weight[np.where(valid, target, 0).reshape(-1)].reshape(target.shape)
            w = picked.astype(x.dtype) * valid
        g = grad / Sum.cls.forward(np, w) if reduction == "mean" else grad
        per_target = np.where(valid, -(g * w), 0.0)
        shape = [1] * x.ndim
        shape[cax] = x.shape[cax]
        classes = np.arange(x.shape[cax]).reshape(shape)
        return np.expand_dims(per_target, cax) * (np.expand_dims(target, cax) == classes), None, None


def _target_weights(target, weight, ignore_index, dtype):
    """weight[target] (1 without weights), 0 where target == ignore_index: as an ember Tensor."""
    valid = target != ignore_index
    if weight is None:
        return valid.to(dtype)
    safe = where(valid, target, 0)
    return weight.index_select(0, safe.reshape(-1)).reshape(target.shape).to(dtype) * valid


def _arange_along(n, axis, ndim):
    from .._creation import arange
    shape = [1] * ndim
    shape[axis] = n
    return arange(n).reshape(shape)
