"""Part of ember.nn.functional: linear maps, convolution, pooling, normalisation, embedding, dropout,
padding.

The heavy lifting is in ember/ops/conv.py (convolution, pooling) and ember/ops/_nn_layers.py
(normalisation, embedding, padding primitives); this file checks arguments in torch's words and
composes the rest (linear, bilinear, dropout, one_hot, normalize) from ember ops.
"""
from __future__ import annotations

from .. import _creation
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..ops import linalg, movement, pointwise
from ..ops._nn_layers import ConstantPadNd, Embedding, IndexPad, Normalize
from ..ops._pooling import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool1d_with_indices,
    max_pool2d,
    max_pool2d_with_indices,
)
from ..ops.conv import conv1d, conv2d, conv3d, fold, unfold

__all__ = ["adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
           "avg_pool1d", "avg_pool2d", "batch_norm", "bilinear", "conv1d", "conv2d", "conv3d", "dropout",
           "dropout1d", "dropout2d", "embedding", "fold", "group_norm", "interpolate", "layer_norm",
           "linear", "max_pool1d", "max_pool1d_with_indices", "max_pool2d", "max_pool2d_with_indices",
           "normalize", "one_hot", "pad", "unfold"]


def _shape(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


# --------------------------------------------------------------------------- linear maps
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = input @ weight.T + bias, over any number of leading dims (torch's dispatch: addmm for
    2-D input with a bias, a matmul otherwise)."""
    if input.ndim == 0 or weight.ndim not in (1, 2):
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are "
                           f"{input.ndim}D and {weight.ndim}D")
    if bias is None:
        return linalg.matmul(input, weight.t())
    if input.ndim == 2 and weight.ndim == 2:
        return linalg.addmm(bias, input, weight.t())
    if weight.ndim == 2 and input.shape[-1] == weight.shape[1]:
        lead = tuple(input.shape[:-1])
        flat = linalg.addmm(bias, input.reshape(-1, input.shape[-1]), weight.t())
        return flat.view(lead + (weight.shape[0],))
    return linalg.matmul(input, weight.t()) + bias


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y[..., o] = input1[..., i] * weight[o, i, j] * input2[..., j] + bias[o]."""
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got "
                           f"{_shape(input1.shape[:-1])} and {_shape(input2.shape[:-1])}")
    if weight.ndim != 3 or input1.shape[-1] != weight.shape[1] or input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input and weight sizes do not match: got input1 "
                           f"{_shape(input1.shape)}, input2 {_shape(input2.shape)}, weight "
                           f"{_shape(weight.shape)}")
    y = linalg.einsum("...i,oij,...j->...o", input1, weight, input2)
    return y if bias is None else y + bias


# --------------------------------------------------------------------------- dropout
def _check_p(p) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout_with(input, p, inplace, noise_shape):
    """input * mask / (1 - p), the mask drawn as torch draws it (one bernoulli_ over noise_shape)."""
    if p == 1.0:  # every unit dropped: torch multiplies by zero rather than dividing by zero
        zero = _creation.zeros((), dtype=input.dtype)
        return input.mul_(zero) if inplace else input * zero
    noise = _creation.empty(noise_shape, dtype=input.dtype)
    with no_grad():
        noise.bernoulli_(1 - p)
        noise.div_(1 - p)
    return input.mul_(noise) if inplace else input * noise


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) (identity when not training)."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    return _dropout_with(input, p, inplace, tuple(input.shape))


def _channel_dropout(name, nd, input, p, training, inplace):
    _check_p(p)
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}: Expected {nd + 1}D or {nd + 2}D input, but received a "
                           f"{input.ndim}D input. Note that {name} exists to provide channel-wise "
                           f"dropout on inputs with {nd} spatial dimension{'s' if nd > 1 else ''}, a "
                           f"channel dimension, and an optional batch dimension (i.e. {nd + 1}D or "
                           f"{nd + 2}D inputs).")
    if not training or p == 0.0:
        return input
    lead = 2 if input.ndim == nd + 2 else 1  # whole channels (of each sample) are dropped together
    return _dropout_with(input, p, inplace, tuple(input.shape[:lead]) + (1,) * nd)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) input with probability p."""
    return _channel_dropout("dropout1d", 1, input, p, training, inplace)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) or (C, H, W) input with probability p."""
    return _channel_dropout("dropout2d", 2, input, p, training, inplace)


# --------------------------------------------------------------------------- encodings
def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot vectors along a new last dim; num_classes=-1 means max(tensor) + 1."""
    if tensor.dtype.name != "int64":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if tensor.numel() and int(tensor.min()) < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        if tensor.numel() == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(tensor.max()) + 1
    elif tensor.numel() and int(tensor.max()) >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    classes = _creation.arange(num_classes)
    return pointwise.eq(tensor.unsqueeze(-1), classes).long()


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    """input / max(||input||_p along dim, eps)."""
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    return input / denom


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of weight picked by the integer indices in input.

    padding_idx: that row gets no gradient. max_norm: rows looked up are first renormalised in place
    to norm at most max_norm (torch's embedding_renorm_).
    """
    if input.dtype.name not in ("int64", "int32"):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar "
                           f"types: Long, Int; but got {_legacy(input)} instead (while checking "
                           "arguments for embedding)")
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    n = weight.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= n:
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -n:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx += n
    if input.numel() and (int(input.min()) < 0 or int(input.max()) >= n):
        raise IndexError("index out of range in self")
    if scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: scale_grad_by_freq and sparse are not supported")
    if max_norm is not None:
        _renorm_rows(weight, input, max_norm, norm_type)
    return Embedding.apply(weight, input, num_weights=n, padding_idx=padding_idx)


def _renorm_rows(weight, indices, max_norm, norm_type):
    """Scale the looked-up rows whose norm exceeds max_norm down to max_norm, in place."""
    with no_grad():
        rows = movement.flatten(indices)  # a repeated row is rescaled once: same value written twice
        picked = weight[rows]
        norms = picked.norm(norm_type, dim=1, keepdim=True)
        scale = pointwise.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).to(weight.dtype)
        weight[rows] = picked * scale


def _legacy(t) -> str:
    names = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
             "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}
    return f"torch.{names.get(t.dtype.name, t.dtype.name)}Tensor"


# --------------------------------------------------------------------------- normalisation
def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float | None = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel (dim 1) by the batch's statistics (training) or the running ones.

    In training the running statistics are updated in place: running = (1 - momentum) * running +
    momentum * batch, with the unbiased batch variance, as torch does.
    """
    if input.ndim < 2:
        raise ValueError(f"expected 2D or 3D input (got {input.ndim}D input)")
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")
    w_shape = (1, c) + (1,) * (input.ndim - 2)
    axes = (0,) + tuple(range(2, input.ndim))
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError(f"{'running_mean' if running_mean is None else 'running_var'} must be "
                           "defined in evaluation mode")
    use_batch = training
    if training:
        count = input.numel() // c
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"{input.shape}")
    y, mean, var = Normalize.apply(
        input, weight, bias, None if use_batch else running_mean, None if use_batch else running_var,
        stat_shape=tuple(input.shape), axes=axes, w_shape=w_shape, eps=eps,
        name="NativeBatchNormBackward0")
    if training and running_mean is not None and running_var is not None:
        m = 0.0 if momentum is None else momentum
        n = input.numel() // c
        with no_grad():
            running_mean.mul_(1 - m).add_(mean.to(running_mean.dtype) * m)
            running_var.mul_(1 - m).add_(var.to(running_var.dtype) * (m * n / (n - 1)))
    return y


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing dims given by normalized_shape, then scale and shift elementwise."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or tuple(input.shape[input.ndim - k:]) != shape or input.ndim < k:
        raise RuntimeError(f"Given normalized_shape={_shape(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size"
                           f"{_shape(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} "
                               f"of shape {_shape(t.shape)} and normalized_shape = {_shape(shape)}")
    axes = tuple(range(input.ndim - k, input.ndim))
    return Normalize.apply(input, weight, bias, None, None, stat_shape=tuple(input.shape), axes=axes,
                           w_shape=shape, eps=eps, name="NativeLayerNormBackward0")[0]


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise each group of channel_count / num_groups channels of each sample, then scale per
    channel."""
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.ndim}")
    n, c = input.shape[:2]
    if c % num_groups != 0:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got "
                           f"input of shape {_shape(input.shape)} and num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.ndim != 1 or t.numel() != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels "
                               f"in input, but got {name} of shape {_shape(t.shape)} and input of shape "
                               f"{_shape(input.shape)}")
    per_group = input.numel() // max(n * num_groups, 1)
    return Normalize.apply(input, weight, bias, None, None, stat_shape=(n, num_groups, per_group),
                           axes=(2,), w_shape=(1, c) + (1,) * (input.ndim - 2), eps=eps,
                           name="NativeGroupNormBackward0")[0]


# --------------------------------------------------------------------------- padding
def _pad_index(mode, lo, hi, size):
    """For each padded position, the input position it copies (reflect / replicate / circular)."""
    out = []
    for j in range(-lo, size + hi):
        if mode == "reflect":
            period = 2 * (size - 1)
            r = j % period if period else 0
            out.append(r if r < size else period - r)
        elif mode == "replicate":
            out.append(min(max(j, 0), size - 1))
        else:
            out.append(j % size)
    return tuple(out)


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad the last len(pad) // 2 dims: pad = (last_lo, last_hi, second_last_lo, ...).

    mode: 'constant' (with value; negative pads crop), 'reflect', 'replicate' or 'circular'.
    """
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    k = len(pad) // 2
    if k > input.ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{input.ndim}")
    pairs = tuple((pad[2 * i], pad[2 * i + 1]) for i in reversed(range(k)))  # first dim first
    if mode == "constant":
        for i, (lo, hi) in enumerate(pairs):
            size = input.shape[input.ndim - k + i]
            if size + lo + hi < 0:
                raise RuntimeError(f"The input size {size}, plus negative padding {lo} and {hi} resulted "
                                   f"in a negative output size, which is invalid. Check dimension "
                                   f"{input.ndim - k + i} of your input.")
        return ConstantPadNd.apply(input, pads=pairs, value=0.0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    if not (k + 1 <= input.ndim <= k + 2) or k > 3:
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor.\nSupported "
            "combinations for non-constant padding:\n  - 2D or 3D input: padding size = 2 (pads last "
            "dimension)\n  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n  - 4D or 5D "
            "input: padding size = 6 (pads last 3 dimensions)")
    sizes = tuple(input.shape[input.ndim - k:])
    for i, ((lo, hi), size) in enumerate(zip(pairs, sizes)):
        dim = input.ndim - k + i
        if mode == "reflect" and (lo >= size or hi >= size):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input "
                               f"dimension, but got: padding ({lo}, {hi}) at dimension {dim} of input "
                               f"{_shape(input.shape)}")
        if mode == "circular" and (lo > size or hi > size):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if min(lo, hi) < 0 and mode != "circular":
            raise RuntimeError("negative padding is not supported for reflect/replicate padding")
    name = {"reflect": f"ReflectionPad{k}DBackward0", "replicate": f"ReplicationPad{k}DBackward0",
            "circular": "CopySlices"}[mode]
    indices = (name, tuple(_pad_index(mode, lo, hi, size) for (lo, hi), size in zip(pairs, sizes)))
    return IndexPad.apply(input, indices=indices, sizes=sizes)



# --------------------------------------------------------------------------- resampling
def _nearest_index(out_size, in_size, scale, exact):
    """Input position each output position copies, computed in float32 as torch's kernel does."""
    import numpy as np
    o = np.arange(out_size, dtype=np.float32)
    s = np.float32(scale)
    src = np.floor((o + np.float32(0.5)) * s) if exact else np.floor(o * s)
    return tuple(int(i) for i in np.minimum(src, in_size - 1))


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                recompute_scale_factor=None, antialias: bool = False) -> Tensor:
    """Resize the trailing 1-3 spatial dims of (N, C, ...) input; modes 'nearest' and 'nearest-exact'."""
    nd = input.ndim - 2
    if nd not in (1, 2, 3):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got "
                                  f"{input.ndim}D) for the modes: nearest | linear | bilinear | bicubic | "
                                  f"trilinear | area | nearest-exact (got {mode})")
    if mode not in ("nearest", "nearest-exact"):
        raise NotImplementedError(f"interpolate: mode {mode!r} is not supported by ember yet "
                                  "(only 'nearest' and 'nearest-exact')")
    if align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined" if size is not None
                         else "either size or scale_factor should be defined")
    sizes = tuple(input.shape[2:])
    if size is not None:
        out = tuple(size) if isinstance(size, (list, tuple)) else (size,) * nd
        if len(out) != nd:
            raise ValueError(f"Input and output must have the same number of spatial dimensions, but got "
                             f"input with spatial dimensions of {list(sizes)} and output size of "
                             f"{list(out)}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                             "and output size in (o1, o2, ...,oK) format.")
        scales = [i / o for i, o in zip(sizes, out)]
    else:
        factors = tuple(scale_factor) if isinstance(scale_factor, (list, tuple)) else (scale_factor,) * nd
        out = tuple(int(i * f) for i, f in zip(sizes, factors))
        # torch uses the given factor itself unless asked to recompute it from the sizes
        scales = [i / o if recompute_scale_factor else 1.0 / f
                  for i, o, f in zip(sizes, out, factors)]
    table = tuple(_nearest_index(o, i, s, mode == "nearest-exact") for o, i, s in zip(out, sizes, scales))
    name = f"UpsampleNearest{'Exact' if mode == 'nearest-exact' else ''}{nd}DBackward0"
    return IndexPad.apply(input, indices=(name, table), sizes=sizes)
