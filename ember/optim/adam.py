"""Adam (and, with decoupled weight decay, AdamW): adaptive moment estimation."""
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

__all__ = ["Adam"]


def _check_adam_args(lr, betas, eps, weight_decay) -> None:
    _check_range("learning rate", lr)
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


class Adam(Optimizer):
    """Adam, ``torch.optim.Adam``.

    Per step t: ``m = lerp(m, g, 1 - beta1)``, ``v = beta2 * v + (1 - beta2) * g * g``,
    ``p -= lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)``. ``amsgrad`` uses the
    running maximum of v; ``weight_decay`` adds ``wd * p`` to the gradient (L2), or with
    ``decoupled_weight_decay`` multiplies p by ``1 - lr * wd`` first (AdamW).
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False) -> None:
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad,
                        "maximize": maximize, "foreach": foreach, "capturable": capturable,
                        "differentiable": differentiable, "fused": fused,
                        "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("amsgrad", False)
            group.setdefault("maximize", False)
            group.setdefault("decoupled_weight_decay", False)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns the closure's loss if one is given."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            beta1, beta2 = (float(b) for b in group["betas"])
            eps, weight_decay = group["eps"], group["weight_decay"]
            amsgrad, decoupled = group["amsgrad"], group["decoupled_weight_decay"]
            for p in self._params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_state()
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_avg_sq"] = _zeros_like(p)
                    if amsgrad:
                        state["max_exp_avg_sq"] = _zeros_like(p)
                x = p._data
                g = _grad_array(p, group["maximize"])
                step_t = state["step"]
                step_t._data += 1
                _bump(step_t)
                if weight_decay != 0:
                    if decoupled:
                        K.mul_(x, 1 - lr * weight_decay)
                        _bump(p)
                    else:
                        g = K.added(g, x, weight_decay)
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                K.lerp_(m, g, 1 - beta1)
                K.mul_(v, beta2)
                K.addcmul_(v, g, g, 1 - beta2)
                _bump(state["exp_avg"])
                _bump(state["exp_avg_sq"])

                step = float(step_t._data)
                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                step_size = lr / bias_correction1
                bias_correction2_sqrt = bias_correction2 ** 0.5
                if amsgrad:
                    vmax = state["max_exp_avg_sq"]._data
                    np.maximum(vmax, v, out=vmax)
                    _bump(state["max_exp_avg_sq"])
                    v = vmax
                denom = K.sqrt(v)
                np.divide(denom, K.scalar(bias_correction2_sqrt, denom), out=denom)
                np.add(denom, K.scalar(eps, denom), out=denom)
                K.addcdiv_(x, m, denom, -step_size)
                _bump(p)
        return loss
