"""Part of ember.nn.functional: loss functions.

The ones torch runs as one kernel (mse, bce, bce_with_logits, nll, smooth_l1, huber, soft_margin) are
primitives in ember/ops/nn_ops.py, so values, stability and grad_fn names match torch; the ones torch
composes in Python (l1, cross_entropy = log_softmax + nll_loss, kl_div, the margin losses) are
composed here the same way. Every loss takes ``reduction`` ('none' | 'mean' | 'sum') and the legacy
``size_average`` / ``reduce`` flags.
"""
from __future__ import annotations

import warnings

from .. import _dtype
from .._tensor import Tensor
from ..autograd import grad_mode
from ..ops import nn_ops as _nn
from ..ops import pointwise as _pw
from ..ops._registry import _legacy_name
from ..ops._utils import broadcast_shapes

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cosine_similarity",
    "cross_entropy",
    "hinge_embedding_loss",
    "huber_loss",
    "kl_div",
    "l1_loss",
    "margin_ranking_loss",
    "mse_loss",
    "nll_loss",
    "pairwise_distance",
    "poisson_nll_loss",
    "smooth_l1_loss",
    "soft_margin_loss",
    "triplet_margin_loss",
]

_REDUCTIONS = ("none", "mean", "sum")


# --------------------------------------------------------------------------- shared argument handling
def _legacy_reduction(size_average, reduce) -> str:
    """torch's mapping of the deprecated size_average / reduce flags onto ``reduction``."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
                  UserWarning, stacklevel=4)
    return ret


def _reduction(reduction: str, size_average=None, reduce=None) -> str:
    if size_average is not None or reduce is not None:
        return _legacy_reduction(size_average, reduce)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _warn_broadcast(input: Tensor, target: Tensor) -> None:
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size "
                      f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", UserWarning, stacklevel=3)


def _promote(input: Tensor, target: Tensor):
    """Both at their promoted dtype, after torch's check that their shapes broadcast."""
    broadcast_shapes(tuple(input.shape), tuple(target.shape))
    dt = _dtype.result_type(input, target)
    return (input if input.dtype is dt else input.to(dt)), (target if target.dtype is dt else target.to(dt))


def _check_weight_no_grad(fn: str, weight) -> None:
    if isinstance(weight, Tensor) and weight.requires_grad and grad_mode.STATE.enabled:
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to argument 'weight'. "
                           "This input cannot have requires_grad True.")


def _weighted(loss: Tensor, input: Tensor, weight, reduction: str, mean_by_weight: bool = True) -> Tensor:
    """torch's Python path for the ``weight=`` of mse / l1 / huber: weight the elementwise loss, then
    reduce ('mean' divides by weight.sum() for mse and l1, by the element count for huber)."""
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / weight.sum() if mean_by_weight else loss.mean()


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


# --------------------------------------------------------------------------- regression losses
def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    """Mean squared error (input - target)^2, reduced; broadcasting shapes warn, as in torch."""
    _warn_broadcast(input, target)
    reduction = _reduction(reduction, size_average, reduce)
    input, target = _promote(input, target)
    if weight is not None:
        return _weighted(_nn.MseLoss.apply(input, target, reduction="none"), input, weight, reduction)
    return _nn.MseLoss.apply(input, target, reduction=reduction)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    """Mean absolute error |input - target|, reduced (composed, as torch does: MeanBackward0)."""
    _warn_broadcast(input, target)
    reduction = _reduction(reduction, size_average, reduce)
    loss = (input - target).abs()
    if weight is not None:
        return _weighted(loss, input, weight, reduction)
    if reduction == "mean" and not loss.dtype.is_floating_point:
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating "
                           f"point or complex dtype. Got: {_legacy_name(loss.dtype)}")
    return _reduce(loss, reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere (d = input - target)."""
    _warn_broadcast(input, target)
    reduction = _reduction(reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return l1_loss(input, target, reduction=reduction)
    input, target = _promote(input, target)
    return _nn.SmoothL1Loss.apply(input, target, reduction=reduction, beta=beta)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """0.5 d^2 where |d| < delta, delta (|d| - 0.5 delta) elsewhere (d = input - target)."""
    _warn_broadcast(input, target)
    reduction = _reduction(reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    input, target = _promote(input, target)
    if weight is not None:
        loss = _nn.HuberLoss.apply(input, target, reduction="none", delta=delta)
        return _weighted(loss, input, weight, reduction, mean_by_weight=False)
    return _nn.HuberLoss.apply(input, target, reduction=reduction, delta=delta)


# --------------------------------------------------------------------------- binary classification
def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """-(t log p + (1 - t) log(1 - p)) for probabilities p, each log clamped at -100 as in torch."""
    reduction = _reduction(reduction, size_average, reduce)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size "
                         f"({input.shape}) is deprecated. Please ensure they have the same size.")
    if target.dtype is not input.dtype:
        raise RuntimeError(f"Found dtype {_legacy_name(target.dtype)} but expected "
                           f"{_legacy_name(input.dtype)}")
    _check_weight_no_grad("binary_cross_entropy", weight)
    if weight is not None:
        weight = weight.expand(*input.shape) if tuple(weight.shape) != tuple(input.shape) else weight
    return _nn.BinaryCrossEntropy.apply(input, target, weight, reduction=reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """binary_cross_entropy(sigmoid(input), target), computed from the logits without overflow;
    pos_weight scales the positive term (broadcast along the last, class, dim)."""
    reduction = _reduction(reduction, size_average, reduce)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    _check_weight_no_grad("binary_cross_entropy_with_logits", weight)
    if not target.dtype.is_floating_point:
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{_legacy_name(target.dtype)}")
    input, target = _promote(input, target)
    return _nn.BinaryCrossEntropyWithLogits.apply(input, target, weight, pos_weight, reduction=reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """log(1 + exp(-target * input)), reduced (targets are +-1)."""
    reduction = _reduction(reduction, size_average, reduce)
    input, target = _promote(input, target)
    return _nn.SoftMarginLoss.apply(input, target, reduction=reduction)


# --------------------------------------------------------------------------- classification
def _check_class_target(input: Tensor, target: Tensor) -> Tensor:
    """torch's checks on class-index targets (dims, batch size, dtype) before nll_loss runs; returns the
    target, a one-element 1-d target of a 1-d input taken as 0-d as torch does."""
    if input.ndim == 0:
        raise ValueError("Expected 1 or more dimensions (got 0)")
    if input.ndim == 1 and target.ndim == 1:
        if target.shape[0] != 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {target.shape[0]}")
        target = target.reshape(())
    if input.ndim >= 2 and (target.ndim == 0 or input.shape[0] != target.shape[0]):
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                         f"({target.shape[0] if target.ndim else 0}).")
    if target.dtype.name not in ("int64", "uint8"):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_legacy_name(target.dtype)}")
    if input.ndim <= 2:
        if target.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        return target
    expected = (input.shape[0],) + tuple(input.shape[2:])
    if tuple(target.shape) != expected:
        raise RuntimeError(f"Expected target size [{', '.join(map(str, expected))}], got "
                           f"[{', '.join(map(str, target.shape))}]")
    return target


def _check_class_weight(input: Tensor, weight, prefix: str = "") -> None:
    n_classes = input.shape[1 if input.ndim >= 2 else 0]
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != n_classes):
        raise RuntimeError(f"{prefix}weight tensor should be defined either for all {n_classes} classes or "
                           f"no classes but got weight tensor of shape: [{', '.join(map(str, weight.shape))}]")


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log likelihood: -input[n, target[n]] * weight[target[n]], for log-probabilities
    ``input`` of shape (C,), (N, C) or (N, C, d1, ...). 'mean' divides by the summed target weights."""
    reduction = _reduction(reduction, size_average, reduce)
    target = _check_class_target(input, target)
    _check_class_weight(input, weight)
    _check_weight_no_grad("nll_loss_forward", weight)
    return _nn.NllLoss.apply(input, target, weight, ignore_index=ignore_index, reduction=reduction)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
                  ignore_index: int = -100, reduce=None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy between logits ``input`` (C,), (N, C) or (N, C, d1, ...) and either class
    indices or class probabilities (a float ``target`` shaped like ``input``).

    For indices it is nll_loss(log_softmax(input)), as torch computes it; label_smoothing mixes in the
    mean over all classes of -log p.
    """
    reduction = _reduction(reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if input.ndim == 0:
        raise ValueError("Expected 1 or more dimensions (got 0)")
    cax = 1 if input.ndim >= 2 else 0
    n_classes = input.shape[cax]
    if tuple(target.shape) == tuple(input.shape) and target.dtype.is_floating_point:
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing, cax, n_classes)
    target = _check_class_target(input, target)
    _check_class_weight(input, weight)
    _check_weight_no_grad("nll_loss_forward", weight)
    logp = _nn.log_softmax(input, cax)
    nll = _nn.NllLoss.apply(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing == 0.0:
        return nll
    # -sum_c w_c log p_c, with ignored positions dropped and 'mean' normalised like nll_loss
    smooth = -(logp * _class_view(weight, input.ndim, cax) if weight is not None else logp).sum(cax)
    valid = target != ignore_index
    smooth = smooth * valid
    if reduction == "mean":
        denom = (_nn._target_weights(target, weight, ignore_index, input.dtype).sum()
                 if weight is not None else valid.sum())
        smooth = smooth.sum() / denom
    elif reduction == "sum":
        smooth = smooth.sum()
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / n_classes)


def _class_view(weight: Tensor, ndim: int, cax: int) -> Tensor:
    shape = [1] * ndim
    shape[cax] = weight.shape[0]
    return weight.reshape(shape)


def _cross_entropy_probs(input, target, weight, reduction, label_smoothing, cax, n_classes):
    input, target = _promote(input, target)
    _check_class_weight(input, weight, "cross_entropy: ")
    logp = _nn.log_softmax(input, cax)
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    terms = logp * target
    if weight is not None:
        terms = terms * _class_view(weight, input.ndim, cax)
    if reduction == "none":
        return -terms.sum(cax)
    if reduction == "sum":
        return -terms.sum()
    return -terms.sum() / (input.numel() // n_classes)


def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """KL(target || exp(input)) pointwise: target * (log target - input), with 0 where target is 0;
    'batchmean' divides the sum by the batch size (the mathematically right mean)."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math "
                      "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
                      "major release.", UserWarning, stacklevel=2)
    elif reduction not in _REDUCTIONS + ("batchmean",):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_target:
        loss = _pw.exp(target) * (target - input)
    else:
        positive = target > 0
        safe = _pw.where(positive, target, 1.0)  # keeps log(0) = -inf out of the graph
        loss = _pw.where(positive, target * safe.log(), 0.0) - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.shape[0] if input.ndim != 0 else total
    return _reduce(loss, reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None, reduction: str = "mean") -> Tensor:
    """Poisson negative log likelihood: exp(input) - target * input (log_input), or
    input - target * log(input + eps); ``full`` adds Stirling's term for target > 1."""
    reduction = _reduction(reduction, size_average, reduce)
    if log_input:
        loss = _pw.exp(input) - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        big = target > 1
        safe = _pw.where(big, target, 2.0)
        stirling = safe * safe.log() - safe + 0.5 * (2 * 3.141592653589793 * safe).log()
        loss = loss + _pw.where(big, stirling, 0.0)
    return _reduce(loss, reduction)


# --------------------------------------------------------------------------- margin losses
def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                        size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, -target * (input1 - input2) + margin), reduced."""
    reduction = _reduction(reduction, size_average, reduce)
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got "
                           f"sizes: input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} ")
    return _reduce((-target * (input1 - input2) + margin).clamp_min(0), reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """input where target == 1, max(0, margin - input) where target == -1, reduced."""
    reduction = _reduction(reduction, size_average, reduce)
    zero = input * 0
    margin_part = _pw.where(target == 1, zero, (margin - input).clamp_min(0))
    self_part = _pw.where(target == -1, zero, input)
    return _reduce(margin_part + self_part, reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean") -> Tensor:
    """max(d(a, p) - d(a, n) + margin, 0) with d the pairwise p-norm distance; ``swap`` uses the
    smaller of d(a, n) and d(p, n) as the negative distance."""
    reduction = _reduction(reduction, size_average, reduce)
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = _pw.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce((margin + d_pos - d_neg).clamp_min(0), reduction)


# --------------------------------------------------------------------------- distances
def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """Cosine of the angle between x1 and x2 along ``dim`` (broadcast); each vector is divided by its
    norm clamped to at least ``eps`` first, as torch does, so near-zero vectors give small values."""
    shape = broadcast_shapes(tuple(x1.shape), tuple(x2.shape))  # dim counts in the broadcast shape
    x1, x2 = x1.expand(*shape), x2.expand(*shape)
    n1 = _clamp_value_only(x1.norm(dim=dim, keepdim=True), eps)
    n2 = _clamp_value_only(x2.norm(dim=dim, keepdim=True), eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def _clamp_value_only(norm: Tensor, eps: float) -> Tensor:
    """norm clamped to >= eps in value, with the unclamped norm's gradient: torch clamps the norm in
    place under no_grad, so its backward never sees the clamp."""
    return norm + (norm.clamp_min(eps) - norm).detach()


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """The p-norm of x1 - x2 + eps over the last dim (eps keeps the norm's gradient finite at 0)."""
    return (x1 - x2 + eps).norm(p=p, dim=-1, keepdim=keepdim)
