"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""
from __future__ import annotations

import numpy as np

from . import _kernels as K
from .optimizer import (
    Optimizer,
    _bump,
    _check_range,
    _closure_loss,
    _grad_array,
    _scalar_state,
    _zeros_like,
)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop, ``torch.optim.RMSprop``.

    Per step: ``v = alpha * v + (1 - alpha) * g * g``; the denominator is ``sqrt(v) + eps`` or,
    ``centered``, ``sqrt(v - mean_g**2) + eps`` with ``mean_g`` a running mean of g. With momentum
    ``buf = momentum * buf + g / denom`` and ``p -= lr * buf``; without, ``p -= lr * g / denom``.
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        _check_range("learning rate", lr)
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                        "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach,
                        "maximize": maximize, "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns the closure's loss if one is given."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            alpha, eps = group["alpha"], group["eps"]
            weight_decay, momentum, centered = group["weight_decay"], group["momentum"], group["centered"]
            for p in self._params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_state()
                    state["square_avg"] = _zeros_like(p)
                    if momentum > 0:
                        state["momentum_buffer"] = _zeros_like(p)
                    if centered:
                        state["grad_avg"] = _zeros_like(p)
                x = p._data
                g = _grad_array(p, group["maximize"])
                state["step"]._data += 1
                if weight_decay != 0:
                    g = K.added(g, x, weight_decay)
                v = state["square_avg"]._data
                K.mul_(v, alpha)
                K.addcmul_(v, g, g, 1 - alpha)
                _bump(state["square_avg"])
                if centered:
                    gbar = state["grad_avg"]._data
                    K.lerp_(gbar, g, 1 - alpha)
                    _bump(state["grad_avg"])
                    avg = K.addcmul_(v.copy(), gbar, gbar, -1)
                    K.sqrt(avg, out=avg)
                else:
                    avg = K.sqrt(v)
                np.add(avg, K.scalar(eps, avg), out=avg)
                if momentum > 0:
                    buf = state["momentum_buffer"]._data
                    K.mul_(buf, momentum)
                    K.addcdiv_(buf, g, avg)
                    _bump(state["momentum_buffer"])
                    K.add_(x, buf, -lr)
                else:
                    K.addcdiv_(x, g, avg, -lr)
                _bump(p)
        return loss
