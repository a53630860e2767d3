"""Adamax: Adam with the infinity norm of past gradients in place of their root mean square."""
from __future__ import annotations

import numpy as np

from . import _kernels as K
from .adam import _check_adam_args
from .optimizer import Optimizer, _bump, _closure_loss, _grad_array, _scalar_state, _zeros_like

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax, ``torch.optim.Adamax``.

    Per step t: ``m = lerp(m, g, 1 - beta1)``, ``u = max(beta2 * u, |g| + eps)``,
    ``p -= lr / (1 - beta1**t) * m / u``.
    """

    def __init__(self, params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns the closure's loss if one is given."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            beta1, beta2 = group["betas"]
            eps, weight_decay = group["eps"], group["weight_decay"]
            for p in self._params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_state()
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_inf"] = _zeros_like(p)
                x = p._data
                g = _grad_array(p, group["maximize"])
                state["step"]._data += 1
                if weight_decay != 0:
                    g = K.added(g, x, weight_decay)
                m, u = state["exp_avg"]._data, state["exp_inf"]._data
                K.lerp_(m, g, 1 - beta1)
                K.mul_(u, beta2)
                a = np.abs(g)
                np.add(a, K.scalar(eps, a), out=a)
                np.maximum(u, a, out=u)
                _bump(state["exp_avg"])
                _bump(state["exp_inf"])
                clr = lr / (1 - beta1 ** float(state["step"]._data))
                K.addcdiv_(x, m, u, -clr)
                _bump(p)
        return loss
