"""Forward-mode automatic differentiation: dual tensors and each op's jvp rule.

Inside a ``dual_level``, ``make_dual(primal, tangent)`` gives a tensor that carries a tangent (a
directional derivative). Every primitive op that sees an input with a tangent also computes the tangent
of its output, from the op's jvp rule (``Primitive.apply`` calls :func:`propagate`), so after running a
function ``unpack_dual(out).tangent`` is the Jacobian-vector product J @ tangent, found in one pass.

Where a jvp rule comes from (the op class's ``jvp`` attribute):

- ``"linear"``: the op is linear in its floating-point tensor inputs taken together (view, sum, cat,
  slicing, gather, where(cond, x, y), ...). The jvp is the op applied to the tangents, with zeros for
  inputs that have none.
- ``"multilinear"``: linear in each input separately (mul, mm, einsum, ...). The jvp is the sum over
  inputs with a tangent of the op with that one input replaced by its tangent.
- a function ``jvp(tangents, *inputs, [result,] **params)``: an explicit rule, written in ember ops.
- ``"transpose"``: the backward is linear in the gradient u, so <backward(u), t> differentiated with
  respect to u is J @ t. For ops whose direct rule would be long (cumprod, with its zeros).
- none, for an ``elementwise`` op: derived from its backward. An elementwise op's Jacobian is diagonal,
  so it equals its own transpose: backward(tangent) restricted to input i is the jvp of input i.

Tangents are ember tensors and the rules are ember ops, so forward mode composes with reverse mode: a
tangent that requires grad gives a differentiable jvp (reverse-over-forward), and a backward pass run on
dual tensors carries tangents too (forward-over-reverse, e.g. Hessian-vector products). Tangents flow
under ``no_grad`` as well, as in torch.
"""
from __future__ import annotations

import weakref
from collections import namedtuple

__all__ = ["UnpackedDualTensor", "dual_level", "enter_dual_level", "exit_dual_level", "make_dual",
           "unpack_dual"]


class _State:
    """Process-wide forward-AD state (torch's levels are global, not per thread).

    ``active`` is what the registry checks on every op: True only inside a level and not while a jvp
    rule itself is running (the rule's own ops must not propagate tangents of their inputs again).
    ``generation`` tags every stored tangent, so tangents left on tensors from a level that has been
    exited are ignored without having to find and clear them.
    """

    __slots__ = ("active", "generation", "level")

    def __init__(self):
        self.level = None
        self.active = False
        self.generation = 0


STATE = _State()

UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])
UnpackedDualTensor.__doc__ = "What unpack_dual returns: the primal (a view) and the tangent (or None)."

_KEY = "fw_grad"
_NODE_TANGENTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def enter_dual_level() -> int:
    """Start a forward-AD level (only one at a time, as in torch) and return its number."""
    if STATE.level is not None:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    STATE.generation += 1
    STATE.level = 0
    STATE.active = True
    return 0


def exit_dual_level(*, level: int | None = None) -> None:
    """End the current level: every tangent made inside it is dropped."""
    if STATE.level is None or (level is not None and level != STATE.level):
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was "
                           "created. This is not supported.")
    STATE.level = None
    STATE.active = False
    STATE.generation += 1


class dual_level:
    """Context manager for a forward-AD level: ``with dual_level(): ...``.

    Tangents live only inside the level; on exit every dual tensor made in it loses its tangent.
    """

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc) -> None:
        exit_dual_level()


def _check_level(level, what: str) -> None:
    if STATE.level is None:
        raise RuntimeError(f"Trying to {what} for forward AD but no level exists, make sure to "
                           "enter_dual_level() first.")
    if level is not None and level != STATE.level:
        raise RuntimeError(f"Trying to {what} for forward AD at level {level} but the current level "
                           f"is {STATE.level}.")


def make_dual(tensor, tangent, *, level: int | None = None):
    """A view of ``tensor`` carrying ``tangent`` as its forward gradient at the current level.

    The result shares memory with ``tensor`` and is differentiable through it in reverse mode.
    """
    from .._tensor import Tensor
    from ..ops.movement import View
    _check_level(level, "create a dual Tensor")
    if not isinstance(tensor, Tensor) or not isinstance(tangent, Tensor):
        raise TypeError("make_dual(): expected tensor and tangent to be Tensors")
    if not tensor.dtype.is_floating_point:
        raise ValueError(f"Expected primal to be floating point or complex, but got: {tensor.dtype}")
    if not tangent.dtype.is_floating_point:
        raise ValueError(f"Expected tangent to be floating point or complex, but got: {tangent.dtype}")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the original "
            f"Tensor, this is not supported. Tensor is of size {list(tensor.shape)} while the given "
            f"forward gradient is of size {list(tangent.shape)}.")
    shape = tuple(tensor.shape)
    prev = STATE.active
    STATE.active = False  # the view must not pick up a tangent tensor may already have
    try:
        dual = View.apply(tensor, shape=shape, in_shape=shape)
    finally:
        STATE.active = prev
    if tangent.dtype is not tensor.dtype:
        tangent = tangent.to(tensor.dtype)
    set_tangent(dual, tangent)
    return dual


def unpack_dual(tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """(primal, tangent) of a tensor: the primal is a view without the tangent; the tangent is the
    forward gradient at the current level, or None when none flowed into ``tensor``."""
    from .._tensor import Tensor
    from ..ops.movement import View
    if STATE.level is None:
        return UnpackedDualTensor(tensor, None)
    if not isinstance(tensor, Tensor):
        return UnpackedDualTensor(tensor, None)
    tangent = get_tangent(tensor)
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    shape = tuple(tensor.shape)
    prev = STATE.active
    STATE.active = False
    try:
        primal = View.apply(tensor, shape=shape, in_shape=shape)
    finally:
        STATE.active = prev
    return UnpackedDualTensor(primal, tangent)


# --------------------------------------------------------------------------- tangent storage
def get_tangent(t):
    """t's tangent at the live level, or None."""
    extra = t._extra
    if not extra:
        return None
    stored = extra.get(_KEY)
    if stored is None:
        return None
    if stored[0] != STATE.generation or STATE.level is None:
        del extra[_KEY]  # left over from a level that has ended
        return None
    return stored[1]


def set_tangent(t, tangent) -> None:
    t._extras()[_KEY] = (STATE.generation, tangent)


def move_tangent(src, dst) -> None:
    """After an in-place op wrote src's values into dst: dst's tangent becomes src's (or none)."""
    tangent = get_tangent(src)
    if tangent is not None:
        _attach(dst, tangent)
    elif dst._extra:
        dst._extra.pop(_KEY, None)


# --------------------------------------------------------------------------- propagation
def propagate(prim, args, params, out) -> None:
    """Give ``out`` (a result Tensor or a tuple of them) the tangent prim's jvp rule computes.

    Called by Primitive.apply while a level is active. Cheap when no input has a tangent.
    """
    from .._tensor import Tensor
    if prim.jvp is None and prim.backward is None:
        return  # not differentiable (comparisons, argmax, integer ops): no tangent, as in torch
    tangents = None
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            extra = a._extra
            if extra and _KEY in extra:
                tan = get_tangent(a)
                if tan is not None:
                    if tangents is None:
                        tangents = [None] * len(args)
                    tangents[i] = tan
    if tangents is None:
        return
    multi = type(out) is tuple
    STATE.active = False  # the rule's own ops carry no tangents (torch has one level at a time)
    try:
        result = out
        if multi and prim.n_diff_outputs:
            result = out[:prim.n_diff_outputs]
        out_t = _jvp(prim, tangents, args, params, result)
    finally:
        STATE.active = True
    outs = out if multi else (out,)
    if not multi or type(out_t) is not tuple:
        out_t = (out_t,)
    for r, t in zip(outs, out_t):
        _attach(r, t)
    node = outs[0].grad_fn
    if node is not None and getattr(node, "result", None) is not None:
        # backward rebuilds saved outputs from bare arrays; keep their tangents for it
        _NODE_TANGENTS[node] = (STATE.generation, tuple(get_tangent(r) for r in outs))


def restore_result_tangents(node, results) -> None:
    """Put back the tangents of a node's saved outputs when backward unpacks them."""
    stored = _NODE_TANGENTS.get(node)
    if stored is None or stored[0] != STATE.generation:
        return
    for r, t in zip(results, stored[1]):
        if t is not None:
            set_tangent(r, t)


def _attach(result, tangent) -> None:
    if tangent is None or not result.dtype.is_floating_point:
        return
    if tangent.dtype is not result.dtype:
        tangent = tangent.to(result.dtype)
    if tuple(tangent.shape) != tuple(result.shape):
        tangent = tangent.expand(tuple(result.shape))
    set_tangent(result, tangent)


def _is_diff(a) -> bool:
    from .._tensor import Tensor
    return isinstance(a, Tensor) and a.dtype.is_floating_point


def _zeros_like(a):
    from .._creation import zeros
    return zeros(tuple(a.shape), dtype=a.dtype)


def _jvp(prim, tangents, args, params, result):
    rule = prim.jvp
    if rule == "linear":
        new = [(t if t is not None else _zeros_like(a)) if _is_diff(a) else a
               for a, t in zip(args, tangents)]
        return prim.apply(*new, **params)
    if rule == "multilinear":
        total = None
        for i, t in enumerate(tangents):
            if t is None:
                continue
            new = list(args)
            new[i] = t
            term = prim.apply(*new, **params)
            total = term if total is None else _add(total, term)
        return total
    if rule == "transpose":
        return _transpose_jvp(prim, tangents, args, params, result)
    if rule is not None:
        if prim.uses_result:
            return rule(tuple(tangents), *args, result, **params)
        return rule(tuple(tangents), *args, **params)
    if prim.elementwise and prim.backward is not None:
        return _elementwise_jvp(prim, tangents, args, params, result)
    raise NotImplementedError(
        f"Trying to use forward AD with {prim.name} that does not support it because it has not "
        "been implemented yet (no jvp rule).")


def _add(a, b):
    if type(a) is tuple:
        return tuple(None if x is None else (y if y is None else x + y) for x, y in zip(a, b))
    return a + b


def _elementwise_jvp(prim, tangents, args, params, result):
    """Sum over inputs of backward(tangent_i) restricted to input i (the Jacobian is diagonal)."""
    shape, dt = tuple(result.shape), result.dtype
    total = None
    for i, t in enumerate(tangents):
        if t is None:
            continue
        if t.dtype is not dt:
            t = t.to(dt)
        if tuple(t.shape) != shape:
            t = t.expand(shape)
        if prim.uses_result:
            grads = prim.backward(t, *args, result, **params)
        else:
            grads = prim.backward(t, *args, **params)
        g = grads[i] if type(grads) is tuple else grads
        if g is None:
            continue
        total = g if total is None else total + g
    return total


def _transpose_jvp(prim, tangents, args, params, result):
    """J @ t as the gradient, with respect to u, of <backward(u), t> (backward is J^T u)."""
    from .._tensor import Tensor
    from ..ops._utils import sum_to
    from . import grad_mode
    from .engine import grad
    keep_graph = grad_mode.STATE.enabled and any(
        isinstance(a, Tensor) and a.requires_grad for a in (*args, *tangents))
    u = _zeros_like(result).requires_grad_(True)
    with grad_mode.enable_grad():
        if prim.uses_result:
            grads = prim.backward(u, *args, result, **params)
        else:
            grads = prim.backward(u, *args, **params)
        if type(grads) is not tuple:
            grads = (grads,)
        total = None
        for g, t in zip(grads, tangents):
            if g is None or t is None:
                continue
            if tuple(g.shape) != tuple(t.shape):
                g = sum_to(g, tuple(t.shape))
            term = (g * t).sum()
            total = term if total is None else total + term
        (jv,) = grad(total, u, create_graph=keep_graph, allow_unused=True)
    return jv if jv is not None else _zeros_like(result)
