"""``vmap`` (map a function over a batch dimension) and ``functional_call``.

vmap here is the plain definition of the transform: split every batched input along its mapped
dimension (``unbind``), call the function once per sample, and ``stack`` each output along its
``out_dims``. It is correct for any function built from any ops (control flow on values included),
composes with itself and with the differentiation transforms (``vmap(grad(f))`` gives per-sample
gradients), and is differentiable because unbind and stack are. What it gives up against torch's
batching rules is speed: the function runs once per sample.
"""
from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from typing import Any

from ._pytree import broadcast_prefix, tree_flatten, tree_unflatten

__all__ = ["functional_call", "vmap"]

_RANDOMNESS = ("error", "different", "same")


def _name(func) -> str:
    return getattr(func, "__name__", repr(func))


def _rng_state():
    from .. import random
    return random.get_rng_state()


def _flat_in_dims(func, in_dims, args):
    """One in_dim per leaf of args, checked against each leaf (torch's messages)."""
    name = _name(func)
    if not isinstance(in_dims, (int, tuple)) or isinstance(in_dims, bool):
        raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` to be int or a "  # noqa: TRY004
                         f"(potentially nested) tuple matching the structure of inputs, got: {type(in_dims)}.")
    leaves, spec = tree_flatten(args)
    dims = broadcast_prefix(in_dims if isinstance(in_dims, tuple) else (in_dims,) * len(args), spec)
    if dims is None:
        raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with the "
                         f"structure of `inputs`. in_dims has structure {tree_flatten(in_dims)[1]!r} but "
                         f"inputs has structure {spec!r}.")
    from .._tensor import Tensor
    for x, d in zip(leaves, dims):
        if d is None:
            continue
        if not isinstance(d, int) or isinstance(d, bool):
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for an input but "  # noqa: TRY004
                             "in_dim must be either an integer dimension or None.")
        if not isinstance(x, Tensor):
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for an input but "  # noqa: TRY004
                             f"the input is of type {type(x)}. We cannot vmap over non-Tensor arguments, "
                             "please use None as the respective in_dim")
        if not -x.dim() <= d < x.dim():
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for some input, "
                             f"but that input is a Tensor of dimensionality {x.dim()} so expected in_dim to "
                             f"satisfy -{x.dim()} <= in_dim < {x.dim()}.")
    return leaves, spec, dims


def _samples(leaves, dims):
    """(batch size, per-leaf list of samples, or None for an unbatched leaf)."""
    from .._creation import zeros
    sizes = [x.shape[d] for x, d in zip(leaves, dims) if d is not None]
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(s != sizes[0] for s in sizes):
        raise ValueError("vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                         f"{sizes} for the mapped dimension")
    size = sizes[0]
    per_leaf = []
    for x, d in zip(leaves, dims):
        if d is None:
            per_leaf.append(None)
        elif size == 0:
            # nothing to map over: one zero sample tells us the outputs' shapes; results are cut to 0
            shape = list(x.shape)
            shape[d] = 1
            per_leaf.append(zeros(shape, dtype=x.dtype).unbind(d))
        else:
            per_leaf.append(x.unbind(d))
    return size, per_leaf


def _same_value(a, b) -> bool:
    from .._tensor import Tensor
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        return a is b or (a.shape == b.shape and a.dtype == b.dtype and bool((a == b).all()))
    return a is b or a == b


def _combine(func, out_dims, results, size: int):
    """Stack the per-sample outputs along out_dims (torch's checks on their structure)."""
    from .._tensor import Tensor
    from ..ops._join import stack
    name = _name(func)
    _, spec = tree_flatten(results[0])
    dims = broadcast_prefix(out_dims, spec)
    if dims is None:
        raise ValueError(f"vmap({name}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible with "
                         f"the structure of `outputs`. out_dims has structure {tree_flatten(out_dims)[1]!r} "
                         f"but outputs has structure {spec!r}.")
    columns = [tree_flatten(r)[0] for r in results]
    out = []
    for i, d in enumerate(dims):
        col = [c[i] for c in columns]
        if d is None:
            if not all(_same_value(col[0], v) for v in col[1:]):
                raise ValueError(f"vmap({name}, ...): `{name}` can not return a BatchedTensor when out_dim is None")
            out.append(col[0])
            continue
        if not isinstance(col[0], Tensor):
            raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type {type(col[0])}. "  # noqa: TRY004
                             "Did you mean to set out_dims= to None for output?")
        stacked = stack(col, dim=d)
        if size == 0:
            stacked = stacked.narrow(d % stacked.dim(), 0, 0)
        out.append(stacked)
    return tree_unflatten(out, spec)


def vmap(func: Callable, in_dims: Any = 0, out_dims: Any = 0, randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable:
    """Vectorise ``func`` over a batch dimension.

    ``in_dims`` says, per positional argument (an int for all, or a nested tuple matching the
    arguments), which dimension is mapped (None: not mapped, passed whole to every call).
    ``out_dims`` says where the batch dimension goes in each output. ``randomness``: 'error' refuses
    random ops inside, 'different' draws fresh values per sample, 'same' the same values for all.
    ``chunk_size`` is accepted for torch compatibility (samples are processed one at a time anyway).
    Keyword arguments are passed to every call unmapped.
    """
    if randomness not in _RANDOMNESS:
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got "
                           f"{randomness}")
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        if not args:
            raise ValueError(f"vmap({_name(func)})(<inputs>): got no inputs. Maybe you forgot to add inputs, "
                             "or you are trying to vmap over a function with no inputs. The latter is "
                             "unsupported.")
        leaves, spec, dims = _flat_in_dims(func, in_dims, args)
        size, per_leaf = _samples(leaves, dims)
        from .. import random
        start_state = _rng_state() if randomness != "different" else None
        results = []
        for b in range(max(size, 1)):
            if randomness == "same":
                random.set_rng_state(start_state)
            sample = [x if s is None else s[b] for x, s in zip(leaves, per_leaf)]
            results.append(func(*tree_unflatten(sample, spec), **kwargs))
            if randomness == "error" and b == 0 and not bool((_rng_state() == start_state).all()):
                raise RuntimeError("vmap: called random operation while in randomness error mode. Please "
                                   "either use the 'same' or 'different' randomness flags on vmap or perform "
                                   "the randomness operation out of vmap")
        return _combine(func, out_dims, results, size)
    return wrapped


# --------------------------------------------------------------------------- functional_call
def _locate(module, dotted: str):
    """(the submodule owning ``dotted``, its last name part)."""
    *path, last = dotted.split(".")
    for part in path:
        module = getattr(module, part)
    return module, last


@contextlib.contextmanager
def _swapped(module, tensors: dict, tie_weights: bool, strict: bool):
    """Temporarily put ``tensors`` in place of the module's parameters / buffers of the same names."""
    originals = {}
    for prefix, sub in module.named_modules(remove_duplicate=False):
        for registry in ("_parameters", "_buffers"):
            for n, t in getattr(sub, registry).items():
                originals[f"{prefix}.{n}" if prefix else n] = t
    if strict:
        missing = sorted(set(originals) - set(tensors))
        unexpected = sorted(set(tensors) - set(originals))
        if missing or unexpected:
            parts = []
            if unexpected:
                parts.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
            if missing:
                parts.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
            raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:\n\t"
                               + "\n\t".join(parts))
    tensors = dict(tensors)
    if tie_weights:  # a tensor shared under several names is replaced under all of them
        by_id = {id(originals[n]): t for n, t in tensors.items() if originals.get(n) is not None}
        for n, t in originals.items():
            if n not in tensors and t is not None and id(t) in by_id:
                tensors[n] = by_id[id(t)]
    undo = []
    try:
        for n, t in tensors.items():
            owner, last = _locate(module, n)
            for registry in ("_parameters", "_buffers"):
                table = getattr(owner, registry)
                if last in table:
                    undo.append((table, last, table[last]))
                    table[last] = t  # straight into the table: a plain tensor may stand in for a Parameter
                    break
            else:
                had = last in owner.__dict__
                undo.append((owner.__dict__, last, owner.__dict__.get(last)) if had else (owner.__dict__, last, _MISSING))
                owner.__dict__[last] = t
        yield
    finally:
        for table, key, old in reversed(undo):
            if old is _MISSING:
                table.pop(key, None)
            else:
                table[key] = old


_MISSING = object()


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights: bool = True,
                    strict: bool = False):
    """Call ``module`` with its parameters and buffers replaced by the given tensors (by dotted name);
    the module itself is left as it was. Differentiating the result with respect to the given tensors
    (with ``grad``, ``vmap``, ``backward``) is how torch.func trains a module functionally."""
    if isinstance(parameter_and_buffer_dicts, dict):
        tensors = parameter_and_buffer_dicts
    else:
        tensors = {}
        for d in parameter_and_buffer_dicts:
            dup = set(tensors) & set(d)
            if dup:
                raise ValueError(f"{sorted(dup)} appeared in multiple dictionaries; behavior of "
                                 "functional call is ambiguous")
            tensors.update(d)
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _swapped(module, tensors, tie_weights, strict):
        return module(*args, **(kwargs or {}))
