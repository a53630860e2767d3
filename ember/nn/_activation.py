"""Part of ember.nn.functional: activation functions (relu, gelu, softmax, ...).

Stable or fused activations are primitives in ember/ops/nn_ops.py; the ones torch itself builds from
other ops (softsign, tanhshrink, softmin) are compositions here, so their graphs match torch's too.
``inplace=True`` and the ``*_`` forms write into the input through the registry's ``apply_inplace``.
"""
from __future__ import annotations

from .. import ops as _ops
from .._tensor import Tensor
from ..ops import nn_ops as _nn
from ..ops import pointwise as _pw
from ..ops._registry import apply_inplace

__all__ = [
    "celu",
    "celu_",
    "elu",
    "elu_",
    "gelu",
    "glu",
    "hardsigmoid",
    "hardswish",
    "hardtanh",
    "hardtanh_",
    "leaky_relu",
    "leaky_relu_",
    "log_softmax",
    "logsigmoid",
    "mish",
    "relu",
    "relu6",
    "relu_",
    "selu",
    "selu_",
    "sigmoid",
    "silu",
    "softmax",
    "softmin",
    "softplus",
    "softsign",
    "tanh",
    "tanhshrink",
    "threshold",
    "threshold_",
]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _maybe_inplace(fn, input: Tensor, inplace: bool, *args, **kwargs) -> Tensor:
    return apply_inplace(fn, input, *args, **kwargs) if inplace else fn(input, *args, **kwargs)


# --------------------------------------------------------------------------- relu family
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(input, 0)."""
    return _maybe_inplace(_pw.relu, input, inplace)


def relu_(input: Tensor) -> Tensor:
    """In-place relu."""
    return apply_inplace(_pw.relu, input)


def _hardtanh(input, min_val, max_val):
    return _nn.Hardtanh.apply(input, min_val=min_val, max_val=max_val)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """input clamped to [min_val, max_val] (gradient 0 outside, and at the edges, as in torch)."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _maybe_inplace(_hardtanh, input, inplace, min_val, max_val)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """In-place hardtanh."""
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(input, 0), 6): hardtanh(input, 0, 6), as torch computes it."""
    return hardtanh(input, 0.0, 6.0, inplace)


def _leaky(input, negative_slope):
    return _nn.LeakyRelu.apply(input, negative_slope=negative_slope)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """input where positive, negative_slope * input elsewhere."""
    return _maybe_inplace(_leaky, input, inplace, negative_slope)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """In-place leaky_relu."""
    return leaky_relu(input, negative_slope, inplace=True)


def _threshold(input, threshold, value):
    return _nn.Threshold.apply(input, threshold=threshold, value=value)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """input where input > threshold, value elsewhere."""
    return _maybe_inplace(_threshold, input, inplace, threshold, value)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """In-place threshold."""
    return apply_inplace(_threshold, input, threshold, value)


# --------------------------------------------------------------------------- exponential units
def _elu(input, alpha, scale=1.0, input_scale=1.0):
    return _nn.Elu.apply(input, alpha=alpha, scale=scale, input_scale=input_scale)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """input where positive, alpha * (exp(input) - 1) elsewhere."""
    return _maybe_inplace(_elu, input, inplace, alpha)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place elu."""
    return elu(input, alpha, inplace=True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(input, alpha) with the self-normalising constants."""
    return _maybe_inplace(_elu, input, inplace, _SELU_ALPHA, _SELU_SCALE)


def selu_(input: Tensor) -> Tensor:
    """In-place selu."""
    return selu(input, inplace=True)


def _celu(input, alpha):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _nn.Celu.apply(input, alpha=alpha, input_scale=1.0 / alpha)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    return _maybe_inplace(_celu, input, inplace, alpha)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place celu."""
    return celu(input, alpha, inplace=True)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) (Phi the standard normal CDF); approximate='tanh' uses torch's tanh formula."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return _nn.Gelu.apply(input, approximate=approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (also called swish)."""
    return _maybe_inplace(_nn.Silu.apply, input, inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""
    return _maybe_inplace(_nn.Mish.apply, input, inplace)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6."""
    return _maybe_inplace(_nn.Hardsigmoid.apply, input, inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6."""
    return _maybe_inplace(_nn.Hardswish.apply, input, inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold."""
    return _nn.Softplus.apply(input, beta=beta, threshold=threshold)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)), finite even where sigmoid(x) rounds to 0."""
    return _nn.LogSigmoid.apply(input)


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x)) (the same op as ember.sigmoid)."""
    return _pw.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    """The hyperbolic tangent (the same op as ember.tanh)."""
    return _pw.tanh(input)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x)."""
    return input - _pw.tanh(input)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b), where a and b are the two halves of ``input`` along ``dim``."""
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    return _nn.Glu.apply(input, dim=_ops._utils.normalize_dim(dim, input.ndim))


# --------------------------------------------------------------------------- softmax family
def _dim_or_implicit(name, input, dim, stacklevel):
    if dim is None:
        return _nn.implicit_softmax_dim(name, input.ndim, stacklevel + 1)
    return dim


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim`` (stable for any logits). dim=None is deprecated, as in torch."""
    return _nn.softmax(input, _dim_or_implicit("softmax", input, dim, _stacklevel), dtype=dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(-x) along ``dim``."""
    dim = _dim_or_implicit("softmin", input, dim, _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return _nn.softmax(-input, dim)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """log(softmax(x)) along ``dim``, without forming softmax (so it stays finite at +-1e4)."""
    return _nn.log_softmax(input, _dim_or_implicit("log_softmax", input, dim, _stacklevel), dtype=dtype)
