"""RAdam: Adam whose adaptive step is switched on gradually (variance rectification)."""
from __future__ import annotations

import numpy as np

from . import _kernels as K
from .adam import _check_adam_args
from .optimizer import Optimizer, _bump, _closure_loss, _grad_array, _scalar_state, _zeros_like

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """RAdam, ``torch.optim.RAdam``.

    While the approximated length of the SMA ``rho_t`` is at most 5 the update is plain momentum
    ``lr * m / (1 - beta1**t)``; after that it is Adam's, scaled by the rectification term.
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "decoupled_weight_decay": decoupled_weight_decay, "differentiable": differentiable}
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
                    state["exp_avg_sq"] = _zeros_like(p)
                x = p._data
                g = _grad_array(p, group["maximize"])
                state["step"]._data += 1
                step = float(state["step"]._data)
                if weight_decay != 0:
                    if group["decoupled_weight_decay"]:
                        K.mul_(x, 1 - lr * weight_decay)
                    else:
                        g = K.added(g, x, weight_decay)
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                K.lerp_(m, g, 1 - beta1)
                K.mul_(v, beta2)
                K.addcmul_(v, g, g, 1 - beta2)
                _bump(state["exp_avg"])
                _bump(state["exp_avg_sq"])
                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                update = np.divide(m, K.scalar(bias_correction1, m))
                np.multiply(update, K.scalar(lr, m), out=update)
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
                if rho_t > 5.0:
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                            / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    denom = K.sqrt(v)
                    np.add(denom, K.scalar(eps, denom), out=denom)
                    # torch computes scalar / tensor as reciprocal(tensor) * scalar
                    adaptive = np.reciprocal(denom)
                    np.multiply(adaptive, K.scalar(bias_correction2 ** 0.5, m), out=adaptive)
                    np.multiply(update, adaptive, out=update)
                    np.multiply(update, K.scalar(rect, m), out=update)
                np.subtract(x, update, out=x)
                _bump(p)
        return loss
