"""Convolution (conv1d/2d/3d), unfold/fold; re-exports pooling from _pooling.py (the same family).

Convolution is im2col + one (batched over groups) matrix product: the padded input is viewed as
sliding windows with ``as_strided`` (no copy), the windows are laid out as rows of a matrix (the one
copy), and a single BLAS call multiplies them by the flattened kernels.

The three products of a convolution are one trilinear form ``<conv(x, w), g>``, so each one's
gradients are the other two: ``conv`` (forward), ``_ConvInputGrad`` (a transposed convolution: the
gradient of the input) and ``_ConvWeightGrad`` (the gradient of the kernels). Each primitive's backward
calls the other two, which is why double backward works. Pooling is the same idea: a pooling op and
its adjoint (scatter back into the input) are each other's backward.
"""
from __future__ import annotations

from typing import NamedTuple

from ._pooling import (
    adaptive_avg_pool1d,
    adaptive_max_pool1d,
    avg_pool1d,
    max_pool1d,
    max_pool1d_with_indices,
    max_pool2d,
)
from ._registry import primitive
from ._windows import _col2im, _im2col, _out_size, _pad, _prod, _rows, _shape_str, _tuple, _windows

# What torch has at top level (torch.conv2d, ...); the 2-D pooling variants, fold and unfold are
# reached through ember.nn.functional only, as in torch.
__all__ = ["adaptive_avg_pool1d", "adaptive_max_pool1d", "avg_pool1d", "conv1d", "conv2d", "conv3d",
           "max_pool1d", "max_pool1d_with_indices", "max_pool2d"]


# --------------------------------------------------------------------------- convolution primitives
class Geom(NamedTuple):
    """Everything about a convolution's shapes; padding is ((lo, hi), ...) per spatial dim."""
    in_shape: tuple
    kernel: tuple
    stride: tuple
    padding: tuple
    dilation: tuple
    groups: int

    def out(self) -> tuple:
        return tuple(_out_size(self.in_shape[2 + i], k, self.stride[i], *self.padding[i],
                               self.dilation[i]) for i, k in enumerate(self.kernel))


@primitive
class Convolution:
    """conv(x, w) + b for any number of spatial dims."""
    grad_fn = "ConvolutionBackward0"
    needed_for = (("x", ("weight",)), ("weight", ("x",)))

    def forward(xp, x, weight, bias, geom):
        n, o, g = x.shape[0], weight.shape[0], geom.groups
        out = geom.out()
        cols = _im2col(xp, x, geom.kernel, geom.stride, geom.padding, geom.dilation, g, out)
        y = weight.reshape(g, o // g, -1) @ cols  # (g, O/g, N * L): one BLAS call per group
        y = y.reshape((o, n, _prod(out))).transpose(1, 0, 2).reshape((n, o) + out)
        if bias is not None:
            y += bias.reshape((o,) + (1,) * len(out))
        return y

    def backward(grad, x, weight, bias, geom):
        gx = None if weight is None else _ConvInputGrad.apply(grad, weight, geom=geom)
        gw = None if x is None else _ConvWeightGrad.apply(x, grad, geom=geom)
        gb = None if bias is None else grad.sum(dim=(0,) + tuple(range(2, grad.ndim)))
        return gx, gw, gb

    def jvp(tangents, x, weight, bias, geom):
        # bilinear in (x, weight) plus the bias: each tangent through the part it enters
        tx, tw, tb = tangents
        out = None
        if tx is not None:
            out = Convolution.apply(tx, weight, None, geom=geom)
        if tw is not None:
            term = Convolution.apply(x, tw, None, geom=geom)
            out = term if out is None else out + term
        if tb is not None:
            term = tb.reshape((-1,) + (1,) * len(geom.kernel))
            out = term if out is None else out + term
        return out


@primitive
class _ConvInputGrad:
    """The gradient of a convolution's input: a transposed convolution of grad by the kernels."""
    grad_fn = "ConvolutionBackwardBackward0"
    needed_for = (("grad", ("weight",)), ("weight", ("grad",)))
    jvp = "multilinear"

    def forward(xp, grad, weight, geom):
        kernel, g, nd = geom.kernel, geom.groups, len(geom.kernel)
        n, c = geom.in_shape[:2]
        o, out = grad.shape[1], tuple(grad.shape[2:])
        wt = weight.reshape(g, o // g, -1).transpose(0, 2, 1)
        # the batch innermost: (g, O/g, L * N), so each kernel tap _col2im adds is rows of out[-1] * N
        # contiguous numbers (with N outer they would be rows of out[-1], a few each)
        rows = grad.reshape(n, g, o // g, -1).transpose(1, 2, 3, 0).reshape(g, o // g, -1)
        cols = (wt @ rows).reshape((c,) + tuple(kernel) + out + (n,))  # (C, *kernel, *out, N)
        img = _col2im(xp, cols, (c,) + tuple(geom.in_shape[2:]) + (n,), kernel, geom.stride,
                      geom.padding, geom.dilation, out, trail=1)  # (C, *spatial, N)
        return xp.ascontiguousarray(img.transpose((1 + nd, 0) + tuple(range(1, 1 + nd))))

    def backward(gg, grad, weight, geom):
        d_grad = None if weight is None else Convolution.apply(gg, weight, None, geom=geom)
        d_weight = None if grad is None else _ConvWeightGrad.apply(gg, grad, geom=geom)
        return d_grad, d_weight


@primitive
class _ConvWeightGrad:
    """The gradient of a convolution's kernels: windows of x (im2col) times grad."""
    grad_fn = "ConvolutionBackwardBackward0"
    needed_for = (("x", ("grad",)), ("grad", ("x",)))
    jvp = "multilinear"

    def forward(xp, x, grad, geom):
        g = geom.groups
        out = grad.shape[2:]
        cols = _im2col(xp, x, geom.kernel, geom.stride, geom.padding, geom.dilation, g, out)
        # (g, O/g, C/g * K) as the transpose of cols @ rowsᵀ: the same sums, and OpenBLAS runs this
        # skinny product with its long inner dim about twice as fast that way round
        gw = (cols @ _rows(grad, g).transpose(0, 2, 1)).transpose(0, 2, 1)
        return gw.reshape((grad.shape[1], x.shape[1] // g) + tuple(geom.kernel))

    def backward(gg, x, grad, geom):
        d_x = None if grad is None else _ConvInputGrad.apply(grad, gg, geom=geom)
        d_grad = None if x is None else Convolution.apply(x, gg, None, geom=geom)
        return d_x, d_grad


# --------------------------------------------------------------------------- convolution functions


# --------------------------------------------------------------------------- convolution functions
def _conv(nd, input, weight, bias, stride, padding, dilation, groups):
    name = f"conv{nd}d"
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but "
                           f"got input of size: {_shape_str(input.shape)}")
    unbatched = input.ndim == nd + 1
    if unbatched:
        input = input.unsqueeze(0)
    if weight.ndim != nd + 2:
        raise RuntimeError(f"weight should have {nd + 2} dimensions, got {weight.ndim}")
    stride = _tuple(stride, nd)
    dilation = _tuple(dilation, nd, "dilation")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    kernel = tuple(weight.shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0),) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            # torch puts the odd extra pixel of an even kernel on the right
            pads = tuple((d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2)
                         for k, d in zip(kernel, dilation))
        else:
            raise ValueError(f"Invalid padding string '{padding}', should be one of ['valid', 'same']")
    else:
        pads = tuple((p, p) for p in _tuple(padding, nd, "padding"))
        if any(p < 0 for p, _ in pads):
            raise RuntimeError("negative padding is not supported")
    c = input.shape[1]
    o = weight.shape[0]
    if o % groups != 0:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at "
                           f"dimension 0, but got weight of size {_shape_str(weight.shape)} instead")
    if weight.shape[1] * groups != c:
        raise RuntimeError(f"Given groups={groups}, weight of size {_shape_str(weight.shape)}, expected "
                           f"input{_shape_str(input.shape)} to have {weight.shape[1] * groups} channels, "
                           f"but got {c} channels instead")
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != o):
        raise RuntimeError(f"Given weight of size {_shape_str(weight.shape)}, expected bias to be "
                           f"1-dimensional with {o} elements, but got bias of size "
                           f"{_shape_str(bias.shape)} instead")
    padded = tuple(input.shape[2 + i] + lo + hi for i, (lo, hi) in enumerate(pads))
    eff = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(p < e for p, e in zip(padded, eff)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
                           f"Kernel size: ({' x '.join(map(str, eff))}). Kernel size can't be greater "
                           "than actual input size")
    if input.dtype is not weight.dtype or (bias is not None and bias.dtype is not input.dtype):
        other = weight if input.dtype is not weight.dtype else bias
        raise RuntimeError(f"Input type ({_type(input)}) and weight type ({_type(other)}) should be "
                           "the same or input should be a MKLDNN tensor and weight is a dense tensor")
    geom = Geom(tuple(input.shape), kernel, stride, pads, dilation, int(groups))
    out = Convolution.apply(input, weight, bias, geom=geom)
    return out.squeeze(0) if unbatched else out


def _type(t) -> str:
    names = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor"}
    return "torch." + names.get(t.dtype.name, t.dtype.name)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution over (N, C, L) or (C, L) input with weight (O, C/groups, K)."""
    return _conv(1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution over (N, C, H, W) or (C, H, W) input with weight (O, C/groups, kH, kW).

    padding: an int, a pair, 'valid' (none) or 'same' (output size = input size; stride 1 only).
    """
    return _conv(2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution over (N, C, D, H, W) or (C, D, H, W) input."""
    return _conv(3, input, weight, bias, stride, padding, dilation, groups)


# --------------------------------------------------------------------------- unfold / fold
class _Im2ColGeom(NamedTuple):
    in_shape: tuple    # (N, C, H, W)
    kernel: tuple
    stride: tuple
    padding: tuple     # ((lo, hi), (lo, hi))
    dilation: tuple
    out: tuple         # the number of window positions per spatial dim


@primitive(saves=())
class Im2Col:
    """Every window as a column: (N, C, H, W) -> (N, C * kH * kW, L)."""
    grad_fn = "Im2ColBackward0"
    jvp = "linear"

    def forward(xp, x, geom):
        n, c = x.shape[:2]
        win = _windows(xp, _pad(xp, x, geom.padding), geom.kernel, geom.stride, geom.dilation, geom.out)
        cols = win.transpose(0, 1, 4, 5, 2, 3)  # (N, C, kH, kW, oH, oW)
        return xp.ascontiguousarray(cols).reshape(n, c * _prod(geom.kernel), _prod(geom.out))

    def backward(grad, x, geom):
        return Col2Im.apply(grad, geom=geom)


@primitive(saves=())
class Col2Im:
    """Columns summed back into their windows' places (the adjoint of Im2Col): fold."""
    grad_fn = "Col2ImBackward0"
    jvp = "linear"

    def forward(xp, cols, geom):
        n, c = geom.in_shape[:2]
        cols = cols.reshape((n, c) + tuple(geom.kernel) + tuple(geom.out))
        return xp.ascontiguousarray(_col2im(xp, cols, geom.in_shape, geom.kernel, geom.stride,
                                            geom.padding, geom.dilation, geom.out))

    def backward(grad, cols, geom):
        return Im2Col.apply(grad, geom=geom)


def _im2col_geom(spatial, n, c, kernel_size, dilation, padding, stride):
    kernel = _tuple(kernel_size, 2, "kernel_size")
    dil, pad, st = _tuple(dilation, 2, "dilation"), _tuple(padding, 2, "padding"), _tuple(stride, 2)
    if any(s <= 0 for s in st) or any(d <= 0 for d in dil) or any(k <= 0 for k in kernel):
        raise RuntimeError("im2col: kernel size, dilation and stride should be greater than zero")
    out = tuple(_out_size(spatial[i], kernel[i], st[i], pad[i], pad[i], dil[i]) for i in range(2))
    if any(o < 1 for o in out):
        raise RuntimeError(f"Given input with spatial size ({spatial[0]}, {spatial[1]}), "
                           f"kernel_size={kernel}, dilation={dil}, padding={pad}, calculated shape of the "
                           f"array of sliding blocks as ({out[0]}, {out[1]}), but its components must be "
                           "at least one.")
    return _Im2ColGeom((n, c) + tuple(spatial), kernel, st, tuple((p, p) for p in pad), dil, out)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding local blocks: (N, C, H, W) -> (N, C * prod(kernel_size), L) (im2col)."""
    if input.ndim not in (3, 4):
        raise NotImplementedError(f"Input Error: Only 3D or 4D input Tensors are supported (got "
                                  f"{input.ndim}D)")
    unbatched = input.ndim == 3
    x = input.unsqueeze(0) if unbatched else input
    geom = _im2col_geom(tuple(x.shape[2:]), x.shape[0], x.shape[1], kernel_size, dilation, padding, stride)
    out = Im2Col.apply(x, geom=geom)
    return out.squeeze(0) if unbatched else out


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum sliding local blocks back into an image: (N, C * prod(kernel_size), L) -> (N, C, *output_size)
    (col2im, the adjoint of unfold)."""
    if input.ndim not in (2, 3):
        raise NotImplementedError(f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are "
                                  f"supported (got {input.ndim}D)")
    unbatched = input.ndim == 2
    x = input.unsqueeze(0) if unbatched else input
    size = _tuple(output_size, 2, "output_size")
    k = _prod(_tuple(kernel_size, 2, "kernel_size"))
    if x.shape[1] % k != 0:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of "
                           f"kernel_size, but got input.size(1)={x.shape[1]} and kernel_size="
                           f"{_tuple(kernel_size, 2, 'kernel_size')}")
    geom = _im2col_geom(size, x.shape[0], x.shape[1] // k, kernel_size, dilation, padding, stride)
    if x.shape[2] != _prod(geom.out):
        raise RuntimeError(f"Given output_size={size}, kernel_size={geom.kernel}, dilation={geom.dilation}, "
                           f"padding={tuple(p for p, _ in geom.padding)}, stride={geom.stride}, expected "
                           f"size of input's dimension 2 to match the calculated number of sliding blocks "
                           f"{geom.out[0]} * {geom.out[1]} = {_prod(geom.out)}, but got input.size(2)="
                           f"{x.shape[2]}.")
    out = Col2Im.apply(x, geom=geom)
    return out.squeeze(0) if unbatched else out


def bind(T) -> None:
    """torch has these as functions only: undo the generic binding of input-first functions."""
    for name in __all__:
        if getattr(T, name, None) is globals()[name]:
            delattr(T, name)
