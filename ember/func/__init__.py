"""ember.func: composable function transforms (torch.func).

``grad``, ``grad_and_value``, ``vjp``, ``jvp``, ``jacrev``, ``jacfwd``, ``hessian`` differentiate a
function and return a function; ``vmap`` maps a function over a batch dimension; ``functional_call``
runs a module with parameters and buffers given in a dict. They nest: ``vmap(grad(f))`` gives
per-sample gradients, ``jacfwd(jacrev(f))`` a Hessian.
"""
from ._transforms import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, vjp
from ._vmap import functional_call, vmap

__all__ = ["functional_call", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp", "vjp",
           "vmap"]
