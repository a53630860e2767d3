"""gradcheck and gradgradcheck: compare autograd's Jacobian with central finite differences.

For every input that requires grad and every element of it, the numerical Jacobian column is
``(f(x + eps) - f(x - eps)) / (2 eps)``; the analytical Jacobian row for each output element comes
from one backward pass with a one-hot ``grad_output``. Use float64 inputs: in float32 the differences
are too noisy for the default tolerances (torch warns, and so does ember).
"""
from __future__ import annotations

import warnings

import numpy as np

from . import grad_mode
from .engine import grad as autograd_grad

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck / gradgradcheck when the gradients do not match."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _is_tensor(x) -> bool:
    from .._tensor import Tensor
    return isinstance(x, Tensor)


def _diff_outputs(outputs):
    return [o for o in outputs if _is_tensor(o) and o.dtype.is_floating_point]


def _numerical_jacobian(func, inputs, diff_idx, eps):
    """J[o][i]: an array of shape (numel of input i, numel of output o), by central differences."""
    with grad_mode.no_grad():
        outs = _diff_outputs(_as_tuple(func(*inputs)))
    jac = [[np.zeros((inputs[i].numel(), o.numel())) for i in diff_idx] for o in outs]
    for col, i in enumerate(diff_idx):
        arr = inputs[i]._data  # perturbed in place, element by element, then restored
        for k, pos in enumerate(np.ndindex(arr.shape)):
            orig = arr[pos].item()
            arr[pos] = orig + eps
            with grad_mode.no_grad():
                plus = [o._data.astype(np.float64, copy=True) for o in _diff_outputs(_as_tuple(func(*inputs)))]
            arr[pos] = orig - eps
            with grad_mode.no_grad():
                minus = [o._data.astype(np.float64, copy=True) for o in _diff_outputs(_as_tuple(func(*inputs)))]
            arr[pos] = orig
            for o, (p, m) in enumerate(zip(plus, minus)):
                jac[o][col][k] = ((p - m) / (2 * eps)).reshape(-1)
    return jac


def _analytical_jacobian(outputs, inputs, diff_idx):
    """J[o][i] from one backward pass per output element (a one-hot grad_output)."""
    from .._creation import zeros_like
    diff_inputs = [inputs[i] for i in diff_idx]
    jac = [[np.zeros((inputs[i].numel(), o.numel())) for i in diff_idx] for o in outputs]
    for o, out in enumerate(outputs):
        if not out.requires_grad:
            continue  # an output that does not require grad has a zero Jacobian
        for k in range(out.numel()):
            onehot = zeros_like(out)
            onehot._data.reshape(-1)[k] = 1
            grads = autograd_grad(out, diff_inputs, onehot, retain_graph=True, allow_unused=True)
            for col, g in enumerate(grads):
                if g is not None:
                    jac[o][col][:, k] = g.detach()._data.astype(np.float64).reshape(-1)
    return jac


def _fail(msg: str, raise_exception: bool) -> bool:
    if raise_exception:
        raise GradcheckError(msg)
    return False


def _fmt(a):
    from .._creation import tensor
    return repr(tensor(a, dtype=_float64()))


def _float64():
    from .._dtype import float64
    return float64


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, nondet_tol: float = 0.0, check_undefined_grad: bool = True,
              check_grad_dtypes: bool = False, check_batched_grad: bool = False,
              check_batched_forward_grad: bool = False, check_forward_ad: bool = False,
              check_backward_ad: bool = True, fast_mode: bool = False, masked=None) -> bool:
    """Check the gradients of ``func`` at ``inputs`` against finite differences (True if they match).

    ``fast_mode`` is accepted and runs the full check. Inputs should be float64 tensors; the ones with
    ``requires_grad=True`` are checked.
    """
    inputs = _as_tuple(inputs)
    diff_idx = [i for i, t in enumerate(inputs) if _is_tensor(t) and t.requires_grad]
    if not diff_idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of "
                         "the them have requires_grad=True.")
    for i in diff_idx:
        if inputs[i].dtype.name != "float64":
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point or "
                          "complex. This check will likely fail if all the inputs are not of double "
                          "precision floating point or complex. ", UserWarning, stacklevel=2)
    if not check_backward_ad:
        return True
    with grad_mode.enable_grad():
        outputs = _diff_outputs(_as_tuple(func(*inputs)))
    numerical = _numerical_jacobian(func, inputs, diff_idx, eps)
    analytical = _analytical_jacobian(outputs, inputs, diff_idx)
    for o in range(len(outputs)):
        for col, i in enumerate(diff_idx):
            a, n = analytical[o][col], numerical[o][col]
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                return _fail(f"Jacobian mismatch for output {o} with respect to input {i},\n"
                             f"numerical:{_fmt(n)}\nanalytical:{_fmt(a)}\n", raise_exception)
    if check_undefined_grad and not _undefined_grad_ok(outputs, inputs, diff_idx):
        return _fail("Expected backward function to handle undefined output grads. Please look at "
                     "\"Notes about undefined output gradients\" in \"tools/autograd/derivatives.yaml\"",
                     raise_exception)
    return True


def _undefined_grad_ok(outputs, inputs, diff_idx) -> bool:
    """Backward fed all-zero output gradients must give zero (or no) input gradients."""
    from .._creation import zeros_like
    outs = [o for o in outputs if o.requires_grad]
    if not outs:
        return True
    grads = autograd_grad(outs, [inputs[i] for i in diff_idx], [zeros_like(o) for o in outs],
                          retain_graph=True, allow_unused=True)
    return all(g is None or not np.any(g.detach()._data) for g in grads)


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
                  raise_exception: bool = True, nondet_tol: float = 0.0, check_undefined_grad: bool = True,
                  check_grad_dtypes: bool = False, check_batched_grad: bool = False,
                  check_fwd_over_rev: bool = False, check_rev_over_rev: bool = True,
                  fast_mode: bool = False, masked: bool = False) -> bool:
    """Check second derivatives: gradcheck of the function ``(inputs, v) -> vjp(func, inputs, v)``.

    Random ``grad_outputs`` (fixed seed, float64, requiring grad) are made when none are given.
    """
    from .._tensor import Tensor
    inputs = _as_tuple(inputs)
    diff_idx = [i for i, t in enumerate(inputs) if _is_tensor(t) and t.requires_grad]
    if grad_outputs is None:
        with grad_mode.enable_grad():
            outs = _diff_outputs(_as_tuple(func(*inputs)))
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            Tensor._wrap(rng.standard_normal(o.shape).astype(o._data.dtype), o.dtype).requires_grad_()
            for o in outs if o.requires_grad)
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)

    def first_derivative(*args):
        ins, vs = args[:n_in], args[n_in:]
        with grad_mode.enable_grad():
            outs = [o for o in _diff_outputs(_as_tuple(func(*ins))) if o.requires_grad]
            grads = autograd_grad(outs, [ins[i] for i in diff_idx], vs, create_graph=True,
                                  allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivative, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, check_undefined_grad=check_undefined_grad,
                     fast_mode=fast_mode)
