"""Adagrad: per-coordinate step sizes shrinking with the sum of squared past gradients."""
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

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad, ``torch.optim.Adagrad``.

    Per step t: ``clr = lr / (1 + (t - 1) * lr_decay)``, ``s += g * g``, ``p -= clr * g / (sqrt(s) +
    eps)``. The sum starts at ``initial_accumulator_value``; the state exists from construction.
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10,
                 foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        _check_range("learning rate", lr)
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                        "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                        "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        # torch creates Adagrad's state up front, so state_dict() shows it before the first step
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = _scalar_state()
                state["sum"] = _zeros_like(p, group["initial_accumulator_value"])

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns the closure's loss if one is given."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            lr_decay, eps, weight_decay = group["lr_decay"], group["eps"], group["weight_decay"]
            for p in self._params_with_grad(group):
                state = self.state[p]
                x = p._data
                g = _grad_array(p, group["maximize"])
                state["step"]._data += 1
                step = float(state["step"]._data)
                if weight_decay != 0:
                    g = K.added(g, x, weight_decay)
                clr = lr / (1 + (step - 1) * lr_decay)
                s = state["sum"]._data
                K.addcmul_(s, g, g, 1)
                _bump(state["sum"])
                std = K.sqrt(s)
                np.add(std, K.scalar(eps, std), out=std)
                K.addcdiv_(x, g, std, -clr)
                _bump(p)
        return loss
