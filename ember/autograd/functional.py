"""Higher-level derivatives of a whole function: jacobian, hessian, vjp, jvp, hvp, vhp.

Each takes a function of tensors and the point(s) to differentiate at, and returns derivatives with
torch's structure: a Tensor where torch gives a Tensor (the inputs and outputs were single tensors),
a tuple where the user passed or returned a tuple, and a tuple of tuples for a Jacobian of several
outputs with respect to several inputs (indexed ``[output][input]``).

Everything is built on the reverse-mode engine (``autograd.grad``). The two forward-mode style
products (``jvp``, ``hvp``) use the "double backward trick": the vector-Jacobian product
``u -> J^T u`` is linear in ``u``, so differentiating ``<J^T u, v>`` with respect to ``u`` gives
``J v``. A Jacobian with ``strategy="forward-mode"`` instead pushes one tangent per input element
through the function with ``forward_ad``.

How the inputs are prepared (``_grad_preprocess``): each input is detached and made to require grad
so the function's graph starts from it, unless ``create_graph=True`` and the input already requires
grad, in which case an alias (``view_as``) keeps it attached to the caller's graph so the returned
derivatives are themselves differentiable.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import forward_ad as fwAD
from .engine import grad as _grad
from .grad_mode import enable_grad, set_grad_enabled

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]


# --------------------------------------------------------------------------- shared helpers
def _as_tuple(inp, arg_name: str, fn_name: str):
    """(was it a tuple, the tensors as a tuple); anything but Tensors is torch's TypeError."""
    from .._tensor import Tensor
    is_tuple = isinstance(inp, tuple)  # a list is one (wrong) value, as in torch
    items = inp if is_tuple else (inp,)
    for i, el in enumerate(items):
        if not isinstance(el, Tensor):
            if is_tuple:
                raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple "
                                f"of Tensors but the value at index {i} has type {type(el)}.")
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of "
                            f"Tensors but the given {arg_name} has type {type(el)}.")
    return is_tuple, items


def _tuple_postprocess(res, to_unpack):
    """Undo _as_tuple: unwrap one level (or two, for a Jacobian) where the user gave single tensors."""
    if isinstance(to_unpack, tuple):
        out_tuple, in_tuple = to_unpack
        if not in_tuple:
            res = tuple(el[0] for el in res)
        if not out_tuple:
            res = res[0]
    elif not to_unpack:
        res = res[0]
    return res


def _grad_preprocess(inputs, create_graph: bool, need_graph: bool):
    res = []
    for inp in inputs:
        if create_graph and inp.requires_grad:
            res.append(inp.view_as(inp))  # stays attached to the caller's graph
        else:
            res.append(inp.detach().requires_grad_(need_graph))
    return tuple(res)


def _grad_postprocess(inputs, create_graph: bool):
    """Detach the results unless the caller asked for a graph through them."""
    from .._tensor import Tensor
    if isinstance(inputs[0], Tensor):
        return inputs if create_graph else tuple(inp.detach() for inp in inputs)
    return tuple(_grad_postprocess(inp, create_graph) for inp in inputs)


def _validate_v(v, other, is_other_tuple: bool) -> None:
    if len(other) != len(v):
        if is_other_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for idx, (el_v, el_other) in enumerate(zip(v, other)):
        if el_v.shape != el_other.shape:
            prepend = f"Entry {idx} in " if is_other_tuple else ""
            raise RuntimeError(f"{prepend}v has invalid size: should be {el_other.shape} but got "
                               f"{el_v.shape}.")


_STRICT_MESSAGES = {
    "hessian": ("The hessian of the user-provided function with respect to input {i} is independent of "
                "the input. This is not allowed in strict mode. You should ensure that your function is "
                "thrice differentiable and that the hessian depends on the inputs."),
    "jacobian": ("While computing the hessian, found that the jacobian of the user-provided function with "
                 "respect to input {i} is independent of the input. This is not allowed in strict mode. "
                 "You should ensure that your function is twice differentiable and that the jacobian "
                 "depends on the inputs (this would be violated by a linear function for example)."),
    "grad_inputs": ("The gradient with respect to input {i} is independent of the inputs of the "
                    "user-provided function. This is not allowed in strict mode."),
    "outputs": ("Output {i} of the user-provided function does not require gradients. The outputs must "
                "be computed in a differentiable manner from the input when running in strict mode."),
}


def _check_requires_grad(inputs, input_type: str, strict: bool) -> None:
    """strict mode: every tensor of ``inputs`` must be part of a graph."""
    if not strict:
        return
    for i, inp in enumerate(inputs):
        if inp is None:
            raise RuntimeError(f"The output of the user-provided function is independent of input {i}. "
                               "This is not allowed in strict mode.")
        if not inp.requires_grad:
            raise RuntimeError(_STRICT_MESSAGES[input_type].format(i=i))


def _autograd_grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None,
                   is_grads_batched=False):
    """autograd.grad that skips outputs outside the graph and gives None for unreached inputs."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(out, g) for out, g in zip(outputs, grad_outputs) if out is not None and out.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    outs, gos = zip(*pairs)
    return _grad(outs, inputs, gos, allow_unused=True, create_graph=create_graph,
                 retain_graph=retain_graph, is_grads_batched=is_grads_batched)


_ZERO_MESSAGES = {
    "back": ("The output of the user-provided function is independent of input {i}. This is not allowed "
             "in strict mode."),
    "back_trick": ("The gradient with respect to the input is independent of entry {i} in the "
                   "grad_outputs when using the double backward trick to compute forward mode "
                   "gradients. This is not allowed in strict mode."),
    "double_back": ("The jacobian of the user-provided function is independent of input {i}. This is "
                    "not allowed in strict mode."),
    "double_back_trick": ("The hessian of the user-provided function is independent of entry {i} in the "
                          "grad_jacobian. This is not allowed in strict mode as it prevents from using "
                          "the double backward trick to replace forward mode AD."),
}


def _fill_in_zeros(grads, refs, strict: bool, create_graph: bool, stage: str):
    """Replace None gradients by zeros shaped like ``refs`` (an error in strict mode)."""
    from .._creation import zeros_like
    res = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_ZERO_MESSAGES[stage].format(i=i))
            g = zeros_like(refs[i])
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of input {i}. "
                               "This is not allowed in strict mode when create_graph=True.")
        res.append(g)
    return tuple(res)


# --------------------------------------------------------------------------- vjp / jvp
def vjp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T J): the vector-Jacobian product at ``inputs``, one backward pass.

    ``v`` may be None only when func returns a single one-element tensor.
    """
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "vjp")
        _check_requires_grad(outputs, "outputs", strict=strict)
        if v is not None:
            _, v = _as_tuple(v, "v", "vjp")
            v = _grad_preprocess(v, create_graph=create_graph, need_graph=False)
            _validate_v(v, outputs, is_outputs_tuple)
        elif len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function returns a "
                               "single Tensor with a single element.")
    with set_grad_enabled(create_graph):
        grad_res = _autograd_grad(outputs, inputs, v, create_graph=create_graph)
        result = _fill_in_zeros(grad_res, inputs, strict, create_graph, "back")
    outputs = _grad_postprocess(outputs, create_graph)
    result = _grad_postprocess(result, create_graph)
    return _tuple_postprocess(outputs, is_outputs_tuple), _tuple_postprocess(result, is_inputs_tuple)


def jvp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), J v): the Jacobian-vector product, by the double backward trick (as torch does).

    ``v`` may be None only when the single input has a single element.
    """
    from .._creation import zeros_like
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        if v is not None:
            _, v = _as_tuple(v, "v", "jvp")
            v = _grad_preprocess(v, create_graph=create_graph, need_graph=False)
            _validate_v(v, inputs, is_inputs_tuple)
        elif len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided function "
                               "is a single Tensor with a single element.")
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "jvp")
        _check_requires_grad(outputs, "outputs", strict=strict)
        # u -> J^T u is linear in u; its derivative along v (w.r.t. u) is J v.
        grad_outputs = tuple(zeros_like(out).requires_grad_(True) for out in outputs)
        grad_inputs = _autograd_grad(outputs, inputs, grad_outputs, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict=strict)
    with set_grad_enabled(create_graph):
        grad_res = _autograd_grad(grad_inputs, grad_outputs, v, create_graph=create_graph)
        result = _fill_in_zeros(grad_res, outputs, strict, create_graph, "back_trick")
    outputs = _grad_postprocess(outputs, create_graph)
    result = _grad_postprocess(result, create_graph)
    return _tuple_postprocess(outputs, is_outputs_tuple), _tuple_postprocess(result, is_outputs_tuple)


# --------------------------------------------------------------------------- jacobian
def _jacfwd(func, inputs, strict: bool, vectorize: bool):
    """Forward-mode Jacobian: one forward pass per input element, each with a one-hot tangent."""
    from .._creation import zeros_like
    from ..ops._join import stack
    if strict:
        raise RuntimeError('torch.autograd.functional.jacobian: `strict=True` and `strategy="forward-mode"` '
                           'are not supported together (yet). Please either set `strict=False` or '
                           '`strategy="reverse-mode"`.')
    if not vectorize:
        raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
                                  "only implemented for `vectorize=True`.")
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    columns = []  # columns[k][i]: tangent of output i for the k-th input element
    is_outputs_tuple, outputs = False, None
    for j, inp in enumerate(inputs):
        for k in range(inp.numel()):
            with fwAD.dual_level():
                duals = []
                for jj, other in enumerate(inputs):
                    tangent = zeros_like(other)
                    if jj == j:
                        tangent.view(-1)[k] = 1
                    duals.append(fwAD.make_dual(other, tangent))
                out = func(*duals)
                is_outputs_tuple, outs = _as_tuple(out, "outputs of the user-provided function",
                                                   "jacobian")
                unpacked = [fwAD.unpack_dual(o) for o in outs]
                outputs = tuple(u.primal.detach() for u in unpacked)
                columns.append([zeros_like(p) if u.tangent is None else u.tangent
                                for u, p in zip(unpacked, outputs)])
    if outputs is None:  # every input is empty: run once to learn the outputs' shapes
        is_outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function",
                                              "jacobian")
    result, start = [], 0
    for i, out in enumerate(outputs):
        row, start = [], 0
        for inp in inputs:
            n = inp.numel()
            cols = [c[i] for c in columns[start:start + n]]
            start += n
            block = stack(cols, dim=-1) if cols else zeros_like(out).reshape(*out.shape, 0)
            row.append(block.reshape(*out.shape, *inp.shape))
        result.append(row)
    # lists, not tuples, here: torch's forward-mode path returns lists and users may see the type
    return _tuple_postprocess(result, (is_outputs_tuple, is_inputs_tuple))


def jacobian(func: Callable, inputs, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: entry ``[i][j]`` has shape
    ``outputs[i].shape + inputs[j].shape``; single tensors instead of tuples where the user gave them.

    reverse-mode runs one backward pass per output element, forward-mode (needs ``vectorize=True``)
    one forward pass per input element: pick the mode whose count is smaller.
    """
    from .._creation import eye as _eye
    from .._creation import zeros as _zeros
    from .._creation import zeros_like
    from ..ops._join import stack
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If '
                             'your function has more outputs than inputs, "forward-mode" tends to be more '
                             'performant. Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError('torch.autograd.functional.jacobian: `create_graph=True` and '
                                      '`strategy="forward-mode"` are not supported together (yet). Please '
                                      'either set `create_graph=False` or `strategy="reverse-mode"`.')
        return _jacfwd(func, inputs, strict, vectorize)

    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function",
                                              "jacobian")
        _check_requires_grad(outputs, "outputs", strict=strict)

        if vectorize:
            if strict:
                raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and "
                                   "`vectorized=True` are not supported together. Please either set "
                                   "`strict=False` or `vectorize=False`.")
            # One batched call: row r of the identity picks output element r of all outputs together.
            numels = [out.numel() for out in outputs]
            total = sum(numels)
            eye = _eye(total, dtype=outputs[0].dtype)
            seeds, start = [], 0
            for out, n in zip(outputs, numels):
                seeds.append(eye[:, start:start + n].reshape(total, *out.shape))
                start += n
            grads = _autograd_grad(outputs, inputs, tuple(seeds), create_graph=create_graph,
                                   is_grads_batched=True) if total else (None,) * len(inputs)
            result = []
            start = 0
            for out, n in zip(outputs, numels):
                row = []
                for inp, g in zip(inputs, grads):
                    if g is None:
                        block = zeros_like(inp).expand(n, *inp.shape)
                    else:
                        block = g[start:start + n]
                    row.append(block.reshape(*out.shape, *inp.shape))
                start += n
                result.append(tuple(row))
            result = _grad_postprocess(tuple(result), create_graph)
            return _tuple_postprocess(result, (is_outputs_tuple, is_inputs_tuple))

        result = []
        for i, out in enumerate(outputs):
            rows = [[] for _ in inputs]
            flat = out.reshape(-1)
            for k in range(out.numel()):
                vj = _autograd_grad((flat[k],), inputs, retain_graph=True, create_graph=create_graph)
                for j, (col, g, inp) in enumerate(zip(rows, vj, inputs)):
                    if g is not None:
                        if strict and create_graph and not g.requires_grad:
                            raise RuntimeError("The jacobian of the user-provided function is independent "
                                               f"of input {i}. This is not allowed in strict mode when "
                                               "create_graph=True.")
                        col.append(g)
                    else:
                        if strict:
                            raise RuntimeError(f"Output {i} of the user-provided function is independent "
                                               f"of input {j}. This is not allowed in strict mode.")
                        col.append(zeros_like(inp))
            result.append(tuple(
                (stack(col, dim=0) if col else _zeros((0, *inp.shape), dtype=inp.dtype))
                .reshape(*out.shape, *inp.shape)
                for col, inp in zip(rows, inputs)))
        result = _grad_postprocess(tuple(result), create_graph)
        return _tuple_postprocess(result, (is_outputs_tuple, is_inputs_tuple))


def _single_scalar_output(func, name: str, strict: bool):
    """func, checked to return one one-element Tensor (hessian, hvp and vhp need a scalar)."""
    from .._tensor import Tensor

    def wrapped(*inp):
        out = func(*inp)
        is_out_tuple, t_out = _as_tuple(out, "outputs of the user-provided function", name)
        _check_requires_grad(t_out, "outputs", strict=strict)
        if is_out_tuple or not isinstance(out, Tensor):
            raise RuntimeError(f"The function given to {name} should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError(f"The Tensor returned by the function given to {name} should contain a "
                               "single element")
        return out
    return wrapped


def hessian(func: Callable, inputs, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of a scalar function: the Jacobian of its gradient, entry ``[i][j]`` of shape
    ``inputs[i].shape + inputs[j].shape``. The inner gradient is always reverse mode; the outer
    Jacobian uses ``outer_jacobian_strategy`` (forward-over-reverse needs ``vectorize=True``)."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    scalar_func = _single_scalar_output(func, "hessian", strict)

    def jac_func(*inp):
        if outer_jacobian_strategy == "forward-mode":
            # the duals do not require grad; the inner jacobian must still build a graph from them
            inp = tuple(t.requires_grad_(True) for t in inp)
        jac = jacobian(lambda *a: scalar_func(*a).reshape(()), inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict=strict)
        return jac

    res = jacobian(jac_func, inputs, create_graph=create_graph, strict=strict, vectorize=vectorize,
                   strategy=outer_jacobian_strategy)
    return _tuple_postprocess(res, (is_inputs_tuple, is_inputs_tuple))


def _hessian_product(func, inputs, v, create_graph: bool, strict: bool, name: str):
    """vhp and hvp share everything but the last step (a Hessian is symmetric only when smooth)."""
    from .._creation import zeros_like
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", name)
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        if v is not None:
            _, v = _as_tuple(v, "v", name)
            v = _grad_preprocess(v, create_graph=create_graph, need_graph=False)
            _validate_v(v, inputs, is_inputs_tuple)
        elif len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided function "
                               "is a single Tensor with a single element.")
        outputs = _single_scalar_output(func, name, strict)(*inputs)
        outputs = (outputs,)
        jac = _autograd_grad(outputs, inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict=strict)
        if name == "hvp":
            # H v through the double backward trick: differentiate (u -> H^T u) along v w.r.t. u.
            grad_jac = tuple(zeros_like(inp).requires_grad_(True) for inp in inputs)
            double_back = _autograd_grad(jac, inputs, grad_jac, create_graph=True)
            _check_requires_grad(jac, "hessian", strict=strict)
    with set_grad_enabled(create_graph):
        if name == "hvp":
            grad_res = _autograd_grad(double_back, grad_jac, v, create_graph=create_graph)
            result = _fill_in_zeros(grad_res, inputs, strict, create_graph, "double_back_trick")
        else:
            grad_res = _autograd_grad(jac, inputs, v, create_graph=create_graph)
            result = _fill_in_zeros(grad_res, inputs, strict, create_graph, "double_back")
    outputs = _grad_postprocess(outputs, create_graph)
    result = _grad_postprocess(result, create_graph)
    return _tuple_postprocess(outputs, False), _tuple_postprocess(result, is_inputs_tuple)


def vhp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False) -> Any:
    """(func(inputs), v^T H): vector-Hessian product of a scalar function, two backward passes."""
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


def hvp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False) -> Any:
    """(func(inputs), H v): Hessian-vector product of a scalar function (double backward trick)."""
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")
