"""Primitives behind ember.nn.functional's layers: normalisation, embedding lookup, padding.

Each is a primitive for speed and for torch's grad_fn names (``NativeBatchNormBackward0``, ...); every
backward is written in ember ops, so double backward works. The argument checking and the public
signatures live in ember/nn/_layers.py.
"""
from __future__ import annotations

from ._registry import primitive
from ._utils import sum_to

__all__ = ["ConstantPadNd", "Embedding", "IndexPad", "Normalize"]


# --------------------------------------------------------------------------- normalisation
def _norm_name(x, weight, bias, mean, var, **params):
    return params["name"]


def _batch_norm_like_torch(xp, x, weight, bias, mean, var, axes, w_shape, eps):
    """float32 batch norm rounded as torch's CPU kernel rounds it: statistics accumulated in float64,
    then y = fma(x, alpha, beta) with alpha = invstd * weight and beta = bias - mean * alpha in float32."""
    from .._vec_math import fma32
    f32 = xp.float32
    if mean is None:
        x64 = x.astype(xp.float64)
        mu64 = x64.mean(axis=axes, keepdims=True)
        centred = x64 - mu64
        v64 = (centred * centred).mean(axis=axes, keepdims=True)
        mu = mu64.astype(f32)
        invstd = (1.0 / xp.sqrt(v64 + eps)).astype(f32)
        v = v64.astype(f32)
    else:
        mu, v = mean.reshape(w_shape), var.reshape(w_shape)
        invstd = (1.0 / xp.sqrt(v.astype(xp.float64) + eps)).astype(f32)
    alpha = invstd if weight is None else invstd * weight.reshape(w_shape)
    beta = -(mu * alpha) if bias is None else bias.reshape(w_shape) - mu * alpha
    y = fma32(x, xp.broadcast_to(alpha, x.shape), xp.broadcast_to(beta, x.shape))
    return y.astype(f32, copy=False), mu.ravel(), v.ravel()


@primitive(outputs=1)
class Normalize:
    """(x - mean) / sqrt(var + eps) * weight + bias: batch, layer and group norm in one op.

    Statistics are taken over ``axes`` of x viewed as ``stat_shape`` (group norm views channels as
    groups), or given (``mean``/``var``: batch norm's running statistics in eval mode). weight and bias
    broadcast as ``w_shape``. Returns (y, mean, biased var); only y is differentiable.
    """
    grad_fn = staticmethod(_norm_name)

    def forward(xp, x, weight, bias, mean, var, stat_shape, axes, w_shape, eps, name):
        if name == "NativeBatchNormBackward0" and x.dtype == xp.float32 and x.ndim > 2:  # (N, C) differs
            return _batch_norm_like_torch(xp, x, weight, bias, mean, var, axes, w_shape, eps)
        if mean is None:
            xs = x.reshape(stat_shape)
            mu = xs.mean(axis=axes, keepdims=True)
            centred = xs - mu
            v = (centred * centred).mean(axis=axes, keepdims=True)
            y = (centred / xp.sqrt(v + eps)).reshape(x.shape)
        else:
            mu, v = mean.reshape(w_shape), var.reshape(w_shape)
            y = (x - mu) / xp.sqrt(v + eps)
        if weight is not None:
            y = y * weight.reshape(w_shape)
        if bias is not None:
            y = y + bias.reshape(w_shape)
        return y.astype(x.dtype, copy=False), mu.ravel(), v.ravel()

    def backward(grad, x, weight, bias, mean, var, stat_shape, axes, w_shape, eps, name):
        g = grad[0] if isinstance(grad, tuple) else grad
        gy = g if weight is None else g * weight.reshape(w_shape)
        if mean is None:  # the statistics depend on x: the full formula, in ember ops
            xs = x.reshape(stat_shape)
            centred = xs - xs.mean(dim=axes, keepdim=True)
            rstd = ((centred * centred).mean(dim=axes, keepdim=True) + eps).rsqrt()
            xhat = centred * rstd
            gs = gy.reshape(stat_shape)
            gx = rstd * (gs - gs.mean(dim=axes, keepdim=True)
                         - xhat * (gs * xhat).mean(dim=axes, keepdim=True))
            gx, xhat = gx.reshape(x.shape), xhat.reshape(x.shape)
        else:  # fixed statistics: an affine map of x
            rstd = (var.reshape(w_shape) + eps).rsqrt()
            xhat = (x - mean.reshape(w_shape)) * rstd
            gx = gy * rstd
        gw = None if weight is None else sum_to(g * xhat, w_shape).reshape(weight.shape)
        gb = None if bias is None else sum_to(g, w_shape).reshape(bias.shape)
        return gx, gw, gb, None, None

    def jvp(tangents, x, weight, bias, mean, var, stat_shape, axes, w_shape, eps, name):
        tx, tw, tb = tangents[:3]
        if mean is None:
            xs = x.reshape(stat_shape)
            centred = xs - xs.mean(dim=axes, keepdim=True)
            rstd = ((centred * centred).mean(dim=axes, keepdim=True) + eps).rsqrt()
            xhat = centred * rstd
            t_xhat = None
            if tx is not None:  # d xhat = rstd * (t - mean(t) - xhat * mean(t * xhat))
                ts = tx.reshape(stat_shape)
                t_xhat = rstd * (ts - ts.mean(dim=axes, keepdim=True)
                                 - xhat * (ts * xhat).mean(dim=axes, keepdim=True))
                t_xhat = t_xhat.reshape(x.shape)
            xhat = xhat.reshape(x.shape)
        else:
            rstd = (var.reshape(w_shape) + eps).rsqrt()
            xhat = (x - mean.reshape(w_shape)) * rstd
            t_xhat = None if tx is None else tx * rstd
        out = None
        if t_xhat is not None:
            out = t_xhat if weight is None else t_xhat * weight.reshape(w_shape)
        if tw is not None:
            term = xhat * tw.reshape(w_shape)
            out = term if out is None else out + term
        if tb is not None:
            term = tb.reshape(w_shape).expand(x.shape)
            out = term if out is None else out + term
        return out, None, None


# --------------------------------------------------------------------------- embedding
@primitive(saves=("indices",))
class Embedding:
    """Rows of weight picked by integer indices; the gradient adds rows back (padding_idx: none)."""
    grad_fn = "EmbeddingBackward0"
    jvp = "linear"

    def forward(xp, weight, indices, num_weights, padding_idx):
        return weight[indices]

    def backward(grad, weight, indices, num_weights, padding_idx):
        from .._creation import zeros
        dim = grad.shape[-1]
        rows = grad.reshape(-1, dim)
        flat = indices.reshape(-1)
        if padding_idx is not None:  # the padding row is a constant: it gets no gradient
            rows = rows * (flat != padding_idx).unsqueeze(-1).to(rows.dtype)
        return zeros(num_weights, dim, dtype=grad.dtype).index_add(0, flat, rows), None


# --------------------------------------------------------------------------- padding
def _key(pads, shape, out_side: bool):
    """Slices of the kept region, in the output (out_side) or the input, for (lo, hi) pads of the
    trailing dims; negative pads crop."""
    nd = len(pads)
    key = [slice(None)] * (len(shape) - nd)
    for i, (lo, hi) in enumerate(pads):
        size = shape[len(shape) - nd + i]
        if out_side:
            key.append(slice(max(lo, 0), max(lo, 0) + size + min(lo, 0) + min(hi, 0)))
        else:
            key.append(slice(max(-lo, 0), size - max(-hi, 0)))
    return tuple(key)


@primitive(saves=())
class ConstantPadNd:
    """Pad the trailing dims with a constant; negative pads crop. Its own adjoint with pads negated."""
    grad_fn = "ConstantPadNdBackward0"

    def forward(xp, x, pads, value):
        nd = len(pads)
        lead = x.shape[:x.ndim - nd]
        new = lead + tuple(x.shape[x.ndim - nd + i] + lo + hi for i, (lo, hi) in enumerate(pads))
        out = xp.full(new, value, dtype=x.dtype)
        out[_key(pads, x.shape, True)] = x[_key(pads, x.shape, False)]
        return out

    def backward(grad, x, pads, value):
        return ConstantPadNd.apply(grad, pads=tuple((-lo, -hi) for lo, hi in pads), value=0)

    def jvp(tangents, x, pads, value):
        return ConstantPadNd.apply(tangents[0], pads=pads, value=0)  # the fill value is a constant


def _index_pad_name(x, indices, sizes):
    return indices[0]


@primitive(saves=())
class IndexPad:
    """Reflect / replicate / circular padding: each padded trailing dim gathers input positions.

    ``indices`` is (grad_fn name, one index tuple per trailing dim); ``sizes`` the input's sizes there.
    """
    grad_fn = staticmethod(_index_pad_name)
    jvp = "linear"

    def forward(xp, x, indices, sizes):
        nd = len(sizes)
        for i, idx in enumerate(indices[1]):
            x = xp.take(x, xp.asarray(idx), axis=x.ndim - nd + i)
        return x

    def backward(grad, x, indices, sizes):
        return _IndexPadAdjoint.apply(grad, indices=indices, sizes=sizes)


@primitive(saves=())
class _IndexPadAdjoint:
    """Sum each padded position's gradient back into the input position it copied."""
    grad_fn = "PadBackwardBackward0"
    jvp = "linear"

    def forward(xp, grad, indices, sizes):
        nd = len(sizes)
        for i, idx in enumerate(indices[1]):
            # a 0/1 matrix (padded, size): a matmul sums every copy of a position at once
            onehot = (xp.asarray(idx)[:, None] == xp.arange(sizes[i])).astype(grad.dtype)
            axis = grad.ndim - nd + i
            grad = xp.moveaxis(xp.moveaxis(grad, axis, -1) @ onehot, -1, axis)
        return xp.ascontiguousarray(grad)

    def backward(gg, grad, indices, sizes):
        return IndexPad.apply(gg, indices=indices, sizes=sizes)
