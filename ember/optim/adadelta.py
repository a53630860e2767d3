"""Adadelta: step sizes from running averages of squared gradients and squared updates."""
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

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta, ``torch.optim.Adadelta``.

    Per step: ``v = rho * v + (1 - rho) * g * g``, ``delta = sqrt(u + eps) / sqrt(v + eps) * g``,
    ``u = rho * u + (1 - rho) * delta * delta``, ``p -= lr * delta``.
    """

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: bool | None = None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False) -> None:
        _check_range("learning rate", lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                        "capturable": capturable, "foreach": foreach, "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns the closure's loss if one is given."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            rho, eps, weight_decay = group["rho"], group["eps"], group["weight_decay"]
            for p in self._params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_state()
                    state["square_avg"] = _zeros_like(p)
                    state["acc_delta"] = _zeros_like(p)
                x = p._data
                g = _grad_array(p, group["maximize"])
                state["step"]._data += 1
                if weight_decay != 0:
                    g = K.added(g, x, weight_decay)
                v, u = state["square_avg"]._data, state["acc_delta"]._data
                K.mul_(v, rho)
                K.addcmul_(v, g, g, 1 - rho)
                std = np.add(v, K.scalar(eps, v))
                K.sqrt(std, out=std)
                delta = np.add(u, K.scalar(eps, u))
                K.sqrt(delta, out=delta)
                np.divide(delta, std, out=delta)
                np.multiply(delta, g, out=delta)
                K.mul_(u, rho)
                K.addcmul_(u, delta, delta, 1 - rho)
                _bump(state["square_avg"])
                _bump(state["acc_delta"])
                K.add_(x, delta, -lr)
                _bump(p)
        return loss
