"""NAdam: Adam with Nesterov momentum (and a momentum schedule)."""
from __future__ import annotations

import numpy as np

from . import _kernels as K
from .adam import _check_adam_args
from .optimizer import Optimizer, _bump, _closure_loss, _grad_array, _scalar_state, _zeros_like

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """NAdam, ``torch.optim.NAdam``.

    The momentum coefficient at step t is ``mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))``;
    the update mixes the current gradient and the next step's momentum, each divided by
    ``sqrt(v / (1 - beta2**t)) + eps``.
    """

    def __init__(self, params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _check_adam_args(lr, betas, eps, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns the closure's loss if one is given."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            beta1, beta2 = group["betas"]
            eps, weight_decay = group["eps"], group["weight_decay"]
            momentum_decay = group["momentum_decay"]
            for p in self._params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _scalar_state()
                    state["mu_product"] = _scalar_state(1.0)
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_avg_sq"] = _zeros_like(p)
                x = p._data
                g = _grad_array(p, group["maximize"])
                state["step"]._data += 1
                step = float(state["step"]._data)
                bias_correction2 = 1 - beta2 ** step
                if weight_decay != 0:
                    if group["decoupled_weight_decay"]:
                        K.mul_(x, 1 - lr * weight_decay)
                    else:
                        g = K.added(g, x, weight_decay)
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
                mu_product = state["mu_product"]._data  # float32, like torch's 0-d state tensor
                K.mul_(mu_product, mu)
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                K.lerp_(m, g, 1 - beta1)
                K.mul_(v, beta2)
                K.addcmul_(v, g, g, 1 - beta2)
                for name in ("mu_product", "exp_avg", "exp_avg_sq"):
                    _bump(state[name])
                denom = np.divide(v, K.scalar(bias_correction2, v))
                K.sqrt(denom, out=denom)
                np.add(denom, K.scalar(eps, denom), out=denom)
                mu_prod = float(mu_product)
                mu_product_next = mu_prod * mu_next
                K.addcdiv_(x, g, denom, -lr * (1.0 - mu) / (1.0 - mu_prod))
                K.addcdiv_(x, m, denom, (-lr * mu_next) / (1.0 - mu_product_next))
                _bump(p)
        return loss
