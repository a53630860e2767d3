"""ember.autograd: the reverse-mode engine, grad mode, and the graph's building blocks."""
from . import grad_mode, graph
from .engine import backward, grad
from .grad_mode import (
                        enable_grad,
                        inference_mode,
                        is_grad_enabled,
                        is_inference_mode_enabled,
                        no_grad,
                        set_grad_enabled,
)

__all__ = [
                        "backward",
                        "enable_grad",
                        "grad",
                        "grad_mode",
                        "graph",
                        "inference_mode",
                        "is_grad_enabled",
                        "is_inference_mode_enabled",
                        "no_grad",
                        "set_grad_enabled",
]
