"""The differentiation transforms of ``ember.func``: grad, grad_and_value, vjp, jvp, jacrev, jacfwd,
hessian.

Each transform turns a function into another function, so they compose: ``grad(grad(f))`` is the
second derivative, ``jacfwd(jacrev(f))`` the Hessian, ``vmap(grad(f))`` per-sample gradients.

How composition works without torch's transform levels:

- reverse mode (grad, vjp, jacrev) runs ``f`` on *aliases* of the differentiated inputs: a fresh leaf
  that requires grad when the input is a plain tensor, or a ``view_as`` of it when the input is itself
  being differentiated by an outer transform (or by the user's own ``backward``). Gradients are asked of
  the aliases only, so an outer transform's use of the same tensor is never confused with ours.
  The backward pass builds a graph of its own (``create_graph``) only when the output reaches some
  leaf that is not one of our aliases, i.e. when someone outside could differentiate the result.
- forward mode (jvp, jacfwd) carries tangents with ``autograd.forward_ad``. ember has one dual level at
  a time, so a jvp nested inside another one (``jacfwd(jacfwd(f))``) uses the double backward trick
  instead: ``u -> J^T u`` is linear in u, and its derivative along v with respect to u is ``J v``.
  Aliases keep the tangent of an outer forward transform, so forward-over-reverse (``hessian``) works.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ..autograd import forward_ad as fwAD
from ..autograd.engine import grad as _autograd_grad
from ..autograd.grad_mode import enable_grad
from ..autograd.graph import AccumulateGrad
from ._pytree import tree_flatten, tree_unflatten

__all__ = ["grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp", "vjp"]


# --------------------------------------------------------------------------- shared machinery
def _tensor_cls():
    from .._tensor import Tensor
    return Tensor


def _level_active() -> bool:
    return fwAD.STATE.level is not None


def _tangent(t):
    return fwAD.unpack_dual(t).tangent if _level_active() else None


def _alias(t, own: set | None = None):
    """A tensor equal to t that we may differentiate with respect to (see the module docstring).
    The ids of the new leaf (and of the alias) go into ``own``."""
    Tensor = _tensor_cls()
    if not isinstance(t, Tensor):
        raise ValueError(f"Thing passed to transform API must be Tensor, got {type(t)}")  # noqa: TRY004
    if t.requires_grad:
        return t.view_as(t)  # stays on the outer graph; the view also carries any tangent along
    tangent = _tangent(t)
    alias = t.detach().requires_grad_(True)
    if own is not None:
        own.add(id(alias))
    if tangent is not None:
        alias = fwAD.make_dual(alias, tangent)  # a view of the leaf, carrying the outer tangent
    if own is not None:
        own.add(id(alias))
    return alias


def _detach(t, own: set = frozenset()):
    """Cut t from our graph but keep an outer forward transform's tangent on it. The tangent itself
    was computed from our aliases too (forward-over-reverse); it is cut from them the same way."""
    Tensor = _tensor_cls()
    if not isinstance(t, Tensor):
        return t
    tangent = _tangent(t)
    cut_tangent = tangent is not None and tangent.requires_grad and not _reaches_outer([tangent], own)
    if not t.requires_grad and not cut_tangent:
        return t
    out = t.detach()
    if tangent is None:
        return out
    return fwAD.make_dual(out, tangent.detach() if cut_tangent else tangent)


def _reaches_outer(tensors, own: set) -> bool:
    """Whether the graph behind ``tensors`` reaches a leaf other than our aliases (ids in ``own``):
    then an outer differentiation needs our gradients to be differentiable themselves."""
    seen, stack = set(), []
    for t in tensors:
        if t is None or not t.requires_grad:
            continue
        if t.grad_fn is None:
            if id(t) not in own:
                return True
            continue
        stack.append(t.grad_fn)
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if type(node) is AccumulateGrad:
            if id(node.variable) not in own:
                return True
            continue
        stack.extend(n for n, _ in node.next_functions if n is not None)
    return False


def _normalize_argnums(argnums, nargs: int):
    """argnums as given (int or tuple), with negatives resolved; torch's errors otherwise."""
    if isinstance(argnums, tuple):
        if not argnums:
            raise RuntimeError("argnums must be non-empty")
        for a in argnums:
            if not isinstance(a, int) or isinstance(a, bool):
                raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")  # noqa: TRY004
        if len(set(argnums)) != len(argnums):
            raise RuntimeError(f"argnums elements must be unique, got {argnums}")
        return tuple(_normalize_argnums(a, nargs) for a in argnums)
    if not isinstance(argnums, int) or isinstance(argnums, bool):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")  # noqa: TRY004
    if not -nargs <= argnums < nargs:
        raise RuntimeError(f"Got argnum={argnums}, but only {nargs} positional inputs")
    return argnums % nargs


def _split_args(args, argnums):
    """(the differentiated arguments as one pytree, a function putting replacements back)."""
    argnums = _normalize_argnums(argnums, len(args))
    chosen = tuple(args[a] for a in argnums) if isinstance(argnums, tuple) else args[argnums]

    def rebuild(new):
        out = list(args)
        if isinstance(argnums, tuple):
            for a, v in zip(argnums, new):
                out[a] = v
        else:
            out[argnums] = new
        return tuple(out)

    return chosen, rebuild


def _zeros_like(t):
    from .._creation import zeros_like
    return zeros_like(t)


def _check_aux(out, api: str):
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(f"{api}: output of function f should be a tuple: (output, aux) if has_aux is True")
    Tensor = _tensor_cls()
    for x in tree_flatten(out[1])[0]:
        if not isinstance(x, Tensor):
            raise RuntimeError(f"Expected tensors, got unsupported type {type(x)}")  # noqa: TRY004
    return out


def _clean_aux(aux, own: set):
    """aux as the caller sees it: cut from our aliases unless it also depends on an outer graph."""
    if aux is None:
        return None
    leaves, spec = tree_flatten(aux)
    return tree_unflatten([x if _reaches_outer([x], own) else _detach(x, own) for x in leaves], spec)


def _check_tensor_outputs(leaves, api: str) -> None:
    Tensor = _tensor_cls()
    for x in leaves:
        if not isinstance(x, Tensor):
            raise RuntimeError(f"{api}: expected f(*primals) to return only tensors, got unsupported type "  # noqa: TRY004
                               f"{type(x)}")


def _reverse(func, primals, has_aux: bool, api: str, kwargs=None):
    """Run func on aliases of primals (a pytree of tensors) with grad on; everything a vjp needs."""
    leaves, spec = tree_flatten(primals)
    own: set = set()
    with enable_grad():
        aliases = [_alias(x, own) for x in leaves]
        out = func(*tree_unflatten(aliases, spec), **(kwargs or {}))
    aux = None
    if has_aux:
        out, aux = _check_aux(out, api)
    return leaves, spec, aliases, own, out, aux


def _vjp_from(outs, aliases, leaves, cotangents, create_graph: bool):
    """Gradients of outs (tensors) w.r.t. aliases along cotangents; zeros where nothing flows."""
    pairs = [(o, c) for o, c in zip(outs, cotangents) if o.requires_grad]
    if not pairs:
        return [_zeros_like(x) for x in leaves]
    os_, cs = zip(*pairs)
    create = create_graph or any(c.requires_grad for c in cs)
    grads = _autograd_grad(os_, aliases, cs, retain_graph=True, create_graph=create, allow_unused=True)
    return [_zeros_like(x) if g is None else g for g, x in zip(grads, leaves)]


# --------------------------------------------------------------------------- grad / vjp
def grad_and_value(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> Callable:
    """A function returning ``(gradient, value)`` of a scalar-valued ``func`` (``(gradient, (value,
    aux))`` with ``has_aux``). The gradient has the structure of the ``argnums`` arguments."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        api = "grad_and_value(f)(*args)"
        chosen, rebuild = _split_args(args, argnums)
        leaves, spec, aliases, own, out, aux = _reverse(
            lambda *new: func(*rebuild(new if isinstance(argnums, tuple) else new[0]), **kwargs),
            chosen if isinstance(argnums, tuple) else (chosen,), has_aux, api)
        if not isinstance(out, _tensor_cls()):
            raise RuntimeError(f"{api}: Expected f(*args) to return a Tensor, got {type(out)}")  # noqa: TRY004
        if out.dim() != 0:
            raise RuntimeError(f"{api}: Expected f(*args) to return a scalar Tensor, got tensor with "
                               f"{out.dim()} dims. Maybe you wanted to use the vjp or jacrev APIs instead?")
        create = _reaches_outer([out], own)
        grads = _vjp_from([out], aliases, leaves, [_ones_like(out)], create)
        if not create:
            grads = [_detach(g, own) for g in grads]
            out = _detach(out, own)
        grads = tree_unflatten(grads, spec)
        if not isinstance(argnums, tuple):
            grads = grads[0]
        return (grads, (out, _clean_aux(aux, own))) if has_aux else (grads, out)
    return wrapper


def _ones_like(t):
    from .._creation import ones_like
    return ones_like(t)


def grad(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> Callable:
    """The gradient of a scalar-valued ``func`` as a function: ``grad(f)(x)`` is df/dx at x (with
    ``has_aux``, ``(gradient, aux)``)."""
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        grads, value = gv(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads
    return wrapper


def vjp(func: Callable, *primals, has_aux: bool = False):
    """``(func(*primals), vjp_fn)`` (plus ``aux``): ``vjp_fn(cotangents)`` gives the tuple of
    vector-Jacobian products, one per primal; it may be called many times."""
    leaves, spec, aliases, own, out, aux = _reverse(func, primals, has_aux, "vjp(f, *primals)")
    out_leaves, out_spec = tree_flatten(out)
    _check_tensor_outputs(out_leaves, "vjp(f, *primals)")
    create = _reaches_outer(out_leaves, own)

    def vjp_fn(cotangents):
        cot_leaves, cot_spec = tree_flatten(cotangents)
        if cot_spec != out_spec:
            raise RuntimeError("Expected pytree structure of cotangents to be the same as pytree structure "
                               f"of outputs to the function. cotangents: {cot_spec!r}, primal output: "
                               f"{out_spec!r}")
        for i, (c, o) in enumerate(zip(cot_leaves, out_leaves)):
            if tuple(c.shape) != tuple(o.shape):
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {c.shape} and "
                                   f"output[{i}] has a shape of {o.shape}.")
        grads = _vjp_from(out_leaves, aliases, leaves, cot_leaves, create)
        if not create and not any(c.requires_grad for c in cot_leaves):
            grads = [_detach(g, own) for g in grads]
        return tree_unflatten(grads, spec)

    shown = out if create else tree_unflatten([_detach(o, own) for o in out_leaves], out_spec)
    return (shown, vjp_fn, _clean_aux(aux, own)) if has_aux else (shown, vjp_fn)


# --------------------------------------------------------------------------- jvp
def jvp(func: Callable, primals: Any, tangents: Any, *, strict: bool = False, has_aux: bool = False):
    """``(func(*primals), J @ tangents)`` (plus ``aux``): the Jacobian-vector product in one forward
    pass with dual tensors."""
    api = "jvp(f, primals, tangents)"
    if not isinstance(primals, (tuple, list)):
        raise RuntimeError(f"{api}: Expected primals to be a tuple. E.g. it should be valid to call "  # noqa: TRY004
                           "f(*primals).")
    p_leaves, p_spec = tree_flatten(tuple(primals))
    t_leaves, t_spec = tree_flatten(tuple(tangents) if isinstance(tangents, list) else tangents)
    if p_spec != t_spec:
        raise RuntimeError(f"{api}: Expected primals and tangents to have the same python structure. For "
                           "example, if primals is a tuple of 3 tensors, tangents also must be. Got "
                           f"primals with structure {p_spec!r} and tangents with structure {t_spec!r}")
    Tensor = _tensor_cls()
    for x in p_leaves + t_leaves:
        if not isinstance(x, Tensor):
            raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")  # noqa: TRY004
    if _level_active():
        return _jvp_double_backward(func, p_leaves, p_spec, t_leaves, has_aux, api)
    with fwAD.dual_level():
        duals = [fwAD.make_dual(p, t) for p, t in zip(p_leaves, t_leaves)]
        out = func(*tree_unflatten(duals, p_spec))
        aux = None
        if has_aux:
            out, aux = _check_aux(out, api)
        out_leaves, out_spec = tree_flatten(out)
        _check_tensor_outputs(out_leaves, api)
        unpacked = [fwAD.unpack_dual(o) for o in out_leaves]
        if has_aux:  # the primal values only, as torch unwraps them
            aux_leaves, aux_spec = tree_flatten(aux)
            aux = tree_unflatten([fwAD.unpack_dual(x).primal for x in aux_leaves], aux_spec)
    primal_out = [u.primal for u in unpacked]
    tangent_out = [_zeros_like(u.primal) if u.tangent is None else u.tangent for u in unpacked]
    res = (tree_unflatten(primal_out, out_spec), tree_unflatten(tangent_out, out_spec))
    return res + (aux,) if has_aux else res


def _jvp_double_backward(func, p_leaves, p_spec, t_leaves, has_aux: bool, api: str):
    """jvp by two reverse passes, for when a forward-AD level is already in use (nested forward)."""
    with enable_grad():
        own: set = set()
        aliases = [_alias(p, own) for p in p_leaves]
        out = func(*tree_unflatten(aliases, p_spec))
        aux = None
        if has_aux:
            out, aux = _check_aux(out, api)
        out_leaves, out_spec = tree_flatten(out)
        _check_tensor_outputs(out_leaves, api)
        create = _reaches_outer(out_leaves, own) or any(t.requires_grad for t in t_leaves)
        live = [o for o in out_leaves if o.requires_grad]
        us = [_zeros_like(o).requires_grad_(True) for o in live]
        grads = (_autograd_grad(live, aliases, us, create_graph=True, allow_unused=True)
                 if live else [None] * len(aliases))
        pairs = [(g, t) for g, t in zip(grads, t_leaves) if g is not None and g.requires_grad]
        jv = (_autograd_grad([g for g, _ in pairs], us, [t for _, t in pairs], create_graph=create,
                             allow_unused=True) if pairs and us else [None] * len(us))
    jv_iter = iter(jv)
    tangent_out = [(next(jv_iter) if o.requires_grad else None) for o in out_leaves]
    tangent_out = [_zeros_like(o) if t is None else t for t, o in zip(tangent_out, out_leaves)]
    if not create:
        tangent_out = [_detach(t, own) for t in tangent_out]
        out_leaves = [_detach(o, own) for o in out_leaves]
    res = (tree_unflatten(out_leaves, out_spec), tree_unflatten(tangent_out, out_spec))
    return res + (_clean_aux(aux, own),) if has_aux else res


# --------------------------------------------------------------------------- Jacobians
def _assemble(out_leaves, out_spec, in_leaves, in_spec, blocks, argnums):
    """blocks[i][j]: d out_i / d in_j. Nest them as torch does: output structure outside, the
    structure of the differentiated arguments inside."""
    per_out = []
    for row in blocks:
        inner = tree_unflatten(row, in_spec)
        per_out.append(inner if isinstance(argnums, tuple) else inner[0])
    return tree_unflatten(per_out, out_spec)


def jacrev(func: Callable, argnums: int | tuple[int, ...] = 0, *, has_aux: bool = False,
           chunk_size: int | None = None, _preallocate_and_copy: bool = False) -> Callable:
    """The Jacobian by reverse mode: one backward pass per output element. Entry shapes are
    ``output.shape + input.shape``."""
    from .._creation import eye
    from ..ops._join import stack

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        chosen, rebuild = _split_args(args, argnums)
        chosen_t = chosen if isinstance(argnums, tuple) else (chosen,)
        leaves, spec, aliases, own, out, aux = _reverse(
            lambda *new: func(*rebuild(new if isinstance(argnums, tuple) else new[0]), **kwargs),
            chosen_t, has_aux, "jacrev(f, argnums)(*args)")
        out_leaves, out_spec = tree_flatten(out)
        _check_tensor_outputs(out_leaves, "vjp(f, *primals)")
        create = _reaches_outer(out_leaves, own)
        numels = [o.numel() for o in out_leaves]
        total = sum(numels)
        basis = eye(total, dtype=out_leaves[0].dtype) if total else None
        rows = []  # rows[r][j]: gradient of output element r w.r.t. input leaf j
        for r in range(total):
            cots, start = [], 0
            for o, n in zip(out_leaves, numels):
                cots.append(basis[r, start:start + n].reshape(o.shape))
                start += n
            rows.append(_vjp_from(out_leaves, aliases, leaves, cots, create))
        blocks, start = [], 0
        for o, n in zip(out_leaves, numels):
            row = []
            for j, x in enumerate(leaves):
                if n:
                    block = stack([rows[r][j] for r in range(start, start + n)])
                else:
                    from .._creation import zeros
                    block = zeros((0, *x.shape), dtype=x.dtype)
                block = block.reshape(*o.shape, *x.shape)
                row.append(block if create else _detach(block, own))
            start += n
            blocks.append(row)
        jac = _assemble(out_leaves, out_spec, leaves, spec, blocks, argnums)
        return (jac, _clean_aux(aux, own)) if has_aux else jac
    return wrapper


def jacfwd(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False, *,
           randomness: str = "error") -> Callable:
    """The Jacobian by forward mode: one jvp (forward pass) per input element. Entry shapes are
    ``output.shape + input.shape``."""
    from ..ops._join import stack
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. "
                           f"Got {randomness}")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        chosen, rebuild = _split_args(args, argnums)
        chosen_t = chosen if isinstance(argnums, tuple) else (chosen,)
        leaves, spec = tree_flatten(chosen_t)
        Tensor = _tensor_cls()
        for x in leaves:
            if not isinstance(x, Tensor):
                raise ValueError(f"Thing passed to transform API must be Tensor, got {type(x)}")  # noqa: TRY004

        def f(*new):
            return func(*rebuild(new if isinstance(argnums, tuple) else new[0]), **kwargs)

        columns, out_leaves, out_spec, aux = [], None, None, None
        for j, x in enumerate(leaves):
            for k in range(x.numel()):
                tangents = [_zeros_like(y) for y in leaves]
                tangents[j].view(-1)[k] = 1  # one-hot: column k of input j
                res = jvp(f, tree_unflatten(leaves, spec), tree_unflatten(tangents, spec),
                          has_aux=has_aux)
                out_leaves, out_spec = tree_flatten(res[0])
                columns.append(tree_flatten(res[1])[0])
                if has_aux:
                    aux = res[2]
        if out_leaves is None:  # no input element at all: one plain call for the output shapes
            out = f(*chosen_t)
            if has_aux:
                out, aux = _check_aux(out, "jacfwd(f, argnums)(*args)")
            out_leaves, out_spec = tree_flatten(out)
        blocks = []
        for i, o in enumerate(out_leaves):
            row, start = [], 0
            for x in leaves:
                n = x.numel()
                if n:
                    block = stack([columns[c][i] for c in range(start, start + n)], dim=-1)
                else:
                    from .._creation import zeros
                    block = zeros((*o.shape, 0), dtype=o.dtype)
                row.append(block.reshape(*o.shape, *x.shape))
                start += n
            blocks.append(row)
        jac = _assemble(out_leaves, out_spec, leaves, spec, blocks, argnums)
        return (jac, aux) if has_aux else jac
    return wrapper


def hessian(func: Callable, argnums: int | tuple[int, ...] = 0) -> Callable:
    """The Hessian of a scalar function, as ``jacfwd(jacrev(func))`` (forward-over-reverse)."""
    return jacfwd(jacrev(func, argnums), argnums)
