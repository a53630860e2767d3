"""SGD: stochastic gradient descent with optional momentum, dampening, Nesterov and weight decay."""
from __future__ import annotations

from .._tensor import Tensor
from . import _kernels as K
from .optimizer import Optimizer, _bump, _check_range, _closure_loss, _grad_array

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent, ``torch.optim.SGD``.

    Per step: ``g = grad (+ weight_decay * p)``; with momentum ``buf = momentum * buf +
    (1 - dampening) * g`` (the first step takes ``buf = g``), and ``g = buf`` or, with Nesterov,
    ``g = g + momentum * buf``; then ``p -= lr * g``. ``maximize`` ascends instead.
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        _check_range("learning rate", lr)
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                        "nesterov": nesterov, "maximize": maximize, "foreach": foreach,
                        "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns the closure's loss if one is given."""
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            momentum, dampening = group["momentum"], group["dampening"]
            weight_decay, nesterov = group["weight_decay"], group["nesterov"]
            for p in self._params_with_grad(group):
                x = p._data
                g = _grad_array(p, group["maximize"])
                if weight_decay != 0:
                    g = K.added(g, x, weight_decay)
                if momentum != 0:
                    state = self.state[p]
                    buf_t = state.get("momentum_buffer")
                    if buf_t is None:
                        buf_t = Tensor._wrap(g.copy(), p.dtype)
                        state["momentum_buffer"] = buf_t
                    else:
                        buf = buf_t._data
                        K.mul_(buf, momentum)
                        K.add_(buf, g, 1 - dampening)
                        _bump(buf_t)
                    g = K.added(g, buf_t._data, momentum) if nesterov else buf_t._data
                K.add_(x, g, -lr)
                _bump(p)
        return loss
