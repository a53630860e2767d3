"""The reverse-mode engine: ``backward()`` and ``grad()``.

One pass has three steps, all iterative (a chain of 100,000 ops needs no recursion):
1. walk the graph from the roots and count, for every node, how many edges lead into it;
2. run nodes whose count has dropped to zero, most recently created first (as torch does), adding
   the gradients each one produces into the buffers of the nodes it points to;
3. free each node's saved tensors right after it ran, unless ``retain_graph`` is set.
``grad()`` runs the same pass but captures the gradients that reach the requested inputs instead of
accumulating them into ``.grad``, and skips every node that does not lead to one of them
(``is_grads_batched`` runs one such pass per row of the grad_outputs). In anomaly mode each node's
gradients are checked for NaN and a failing node reports the forward stack that created it.
"""
from __future__ import annotations

import heapq
import sys

import numpy as np

from . import anomaly_mode, forward_ad, grad_mode
from .graph import AccumulateGrad, OpNode, _run_backward, edge_of

_refcount = sys.getrefcount
# Tensor, ones_like, the registry's dtype table and its array backward: bound on first use (those
# modules import this package)
_LAZY: dict = {}


def _lazy(name):
    obj = _LAZY.get(name)
    if obj is None:
        from .. import _creation, _tensor
        from ..ops import _registry
        _LAZY["Tensor"] = _tensor.Tensor
        _LAZY["ones_like"] = _creation.ones_like
        _LAZY["from_np"] = _registry._FROM_NP
        _LAZY["input_grad_arrays"] = _registry.input_grad_arrays
        obj = _LAZY[name]
    return obj

__all__ = ["backward", "grad"]


def _as_tuple(x):
    if x is None:
        return None
    if isinstance(x, (tuple, list)):
        return tuple(x)
    return (x,)


def _make_root_grads(outputs, grad_outputs, is_grads_batched=False):
    Tensor = _lazy("Tensor")
    grads = []
    for i, out in enumerate(outputs):
        g = grad_outputs[i] if grad_outputs is not None else None
        if g is None:
            if out._requires_grad and out._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            one = np.array(1, out._data.dtype)  # ones_like(out) (one element)
            g = Tensor._wrap(one if out._data.ndim == 0 else one.reshape(out._data.shape), out.dtype)
        elif isinstance(g, Tensor):
            if g.shape != out.shape and not is_grads_batched:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] "
                    f"has a shape of {out.shape}."
                )
            if g.dtype.is_floating_point != out.dtype.is_floating_point:
                raise TypeError(
                    f"For complex Tensors, both grad_output and output are required to have the same "
                    f"dtype. Mismatch in dtype: grad_output[{i}] has a dtype of {g.dtype} and "
                    f"output[{i}] has a dtype of {out.dtype}."
                )
        else:
            from .._creation import tensor as make_tensor
            g = make_tensor(g, dtype=out.dtype)
        grads.append(g)
    return grads


def _check_outputs(outputs):
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn"
            )


def _collect(root_nodes):
    """Iterative DFS: every reachable node, in post-order (inputs before the nodes that use them)."""
    order, seen = [], set()
    stack = [(n, iter(n.next_functions)) for n in root_nodes if n not in seen and not seen.add(n)]
    while stack:
        node, it = stack[-1]
        for nxt, _ in it:
            if nxt is not None and nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, iter(nxt.next_functions)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def _plan(root_nodes, targets):
    """(needed, deps, target_nodes): without targets every reachable node runs (needed is None);
    with them only the nodes that lead to one. deps: how many edges lead into each node that runs."""
    if targets is None:
        return None, _count_dependencies(root_nodes), None
    order = _collect(root_nodes)
    target_nodes = {node for node, _ in targets}
    needed = set()
    for node in order:  # post-order: a node's inputs are decided before the node itself
        if node in target_nodes:
            needed.add(node)
            continue
        for n, _ in node.next_functions:
            if n in needed:  # (None is never in it)
                needed.add(node)
                break
    deps = {}
    for node in needed:
        for nxt, _ in node.next_functions:
            if nxt is not None and nxt in needed:
                deps[nxt] = deps.get(nxt, 0) + 1
    return needed, deps, target_nodes


def _run(roots, retain_graph, create_graph, targets=None, accumulate=True):
    """Run one backward pass.

    roots: list of ((node, output_nr), grad). targets: {(node, output_nr): None} whose incoming
    gradients are captured (filled in and returned); when given, only nodes leading to a target run.
    accumulate: whether AccumulateGrad nodes write into ``.grad`` (``grad()`` passes False).
    """
    root_nodes = []
    for edge, _ in roots:
        root_nodes.append(edge[0])
    needed, deps, target_nodes = _plan(root_nodes, targets)
    if not create_graph and not anomaly_mode.STATE.enabled and not forward_ad.STATE.active:
        return _run_plain(roots, retain_graph, targets, accumulate, needed, deps, target_nodes)

    buffers, heap = _start(roots, needed, deps, False)
    pop = heapq.heappop
    run_backward = _run_backward()
    anomaly = anomaly_mode.STATE
    prev_mode = grad_mode.STATE.enabled
    grad_mode.STATE.enabled = create_graph
    try:
        while heap:
            node = pop(heap)[1]
            grads = buffers.pop(node)
            if node._prehooks:
                grads = _run_prehooks(node, grads)
            if targets is not None:
                if node in target_nodes:
                    for i, g in enumerate(grads):
                        if (node, i) in targets:
                            targets[(node, i)] = g
                if not accumulate and type(node) is AccumulateGrad:
                    continue
            if anomaly.enabled:
                outs = _apply_with_anomaly(node, grads)
            elif isinstance(node, OpNode):  # the registry's backward, without OpNode.apply's hop
                outs = run_backward(node, grads)
            else:
                outs = node.apply(tuple(grads))
            if node._hooks:
                outs = _run_posthooks(node, outs, grads)
            if not retain_graph:
                node.release()
            _hand_on(node, outs, buffers, deps, heap, needed, _add_tensors)
    finally:
        grad_mode.STATE.enabled = prev_mode
    return targets


def _run_plain(roots, retain_graph, targets, accumulate, needed, deps, target_nodes):
    """``_run`` for the common pass: no create_graph, anomaly mode or forward AD.

    The gradients flow as bare arrays: a Tensor is made only for a node whose backward needs
    Tensors (hooks, custom Functions, ops without an array form) and for a leaf's ``.grad``.
    """
    if not _LAZY:
        _lazy("Tensor")
    Tensor, from_np, input_grad_arrays = _LAZY["Tensor"], _LAZY["from_np"], _LAZY["input_grad_arrays"]
    run_backward = _run_backward()
    buffers, heap = _start(roots, needed, deps, True)
    pop = heapq.heappop
    prev_mode = grad_mode.STATE.enabled
    grad_mode.STATE.enabled = False
    try:
        while heap:
            node = pop(heap)[1]
            grads = buffers.pop(node)
            tgrads = None
            if node._prehooks:  # hooks see (and may replace) the gradient, also before it is captured
                tgrads = _run_prehooks(node, _tensors_of(grads, Tensor, from_np))
                grads = _arrays_of(tgrads)
            if targets is not None:
                if node in target_nodes:
                    for i, g in enumerate(grads):
                        if (node, i) in targets:
                            targets[(node, i)] = None if g is None else Tensor._wrap(g, from_np[g.dtype])
                if not accumulate and type(node) is AccumulateGrad:
                    continue
            if tgrads is not None or node._hooks:
                if tgrads is None:
                    tgrads = _tensors_of(grads, Tensor, from_np)
                outs = _arrays_of(_tensor_node(node, tgrads, retain_graph, prehooks=False))
                tgrads = None
            elif type(node) is AccumulateGrad:
                _accumulate_array(node.variable, grads, Tensor, from_np)
                continue
            elif isinstance(node, OpNode):
                if node.op.array_backward is not None and node.num_outputs == 1:
                    outs = input_grad_arrays(node, grads[0])
                else:
                    outs = _arrays_of(run_backward(node, _tensors_of(grads, Tensor, from_np)))
                if not retain_graph and (node.saved is not None or node.result is not None):  # OpNode.release
                    node.saved = node.result = None
                    node.released = True
            else:
                outs = _arrays_of(_tensor_node(node, _tensors_of(grads, Tensor, from_np), retain_graph))
            _hand_on(node, outs, buffers, deps, heap, needed, _sum_arrays)
            outs = grads = None  # the buffers alone hold the gradients now (a leaf may take them)
    finally:
        grad_mode.STATE.enabled = prev_mode
    return targets


def _start(roots, needed, deps, arrays):
    """The root gradients in their nodes' buffers (as bare arrays if ``arrays``), and the heap of
    the nodes ready to run (those no other node sends a gradient to)."""
    buffers = {}
    for (node, nr), g in roots:
        if needed is not None and node not in needed:
            continue
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * node.num_outputs
        if arrays:
            g = g._data
        buf[nr] = g if buf[nr] is None else (_sum_arrays(buf[nr], g) if arrays else buf[nr] + g)
    heap = []
    for n in buffers:
        if deps.get(n, 0) == 0:
            heap.append((-n._seq, n))
    heapq.heapify(heap)
    return buffers, heap


def _hand_on(node, outs, buffers, deps, heap, needed, add):
    """Add a node's input gradients into the buffers of the nodes they go to (``add`` sums two),
    and queue each node whose last awaited gradient this was, most recently created first."""
    for (nxt, nr), g in zip(node.next_functions, outs):
        if nxt is None or g is None or (needed is not None and nxt not in needed):
            continue
        buf = buffers.get(nxt)
        if buf is None:
            if nxt.num_outputs == 1:
                buffers[nxt] = [g]
            else:
                buf = buffers[nxt] = [None] * nxt.num_outputs
                buf[nr] = g
        else:
            buf[nr] = g if buf[nr] is None else add(buf[nr], g)
        left = deps[nxt] - 1
        deps[nxt] = left
        if left == 0:
            heapq.heappush(heap, (-nxt._seq, nxt))


def _add_tensors(a, b):
    return a + b


def _sum_arrays(a, b):
    s = a + b
    return s if type(s) is np.ndarray else np.asarray(s)  # (0-d operands give a NumPy scalar)


def _tensors_of(grads, Tensor, from_np):
    return [None if g is None else Tensor._wrap(g, from_np[g.dtype]) for g in grads]


def _arrays_of(outs):
    return [None if g is None else g._data for g in outs]


def _tensor_node(node, grads, retain_graph, prehooks=True):
    """A node run the general way, on Tensors: hooks, then its backward, then hooks."""
    if prehooks and node._prehooks:
        grads = _run_prehooks(node, grads)
    outs = _run_backward()(node, grads) if isinstance(node, OpNode) else node.apply(tuple(grads))
    if node._hooks:
        outs = _run_posthooks(node, outs, grads)
    if not retain_graph:
        node.release()
    return outs


def _accumulate_array(var, grads, Tensor, from_np):
    """accumulate_into_leaf for a gradient array. The first gradient becomes ``.grad`` itself when
    nothing else holds it (the buffer list, this frame and getrefcount's argument: 3 references;
    for a view, its base held by it alone), as torch steals it; a copy otherwise."""
    arr = grads[0]
    if arr is None:
        return
    if var._grad is None:
        base = arr.base
        if base is None:
            mine = _refcount(arr) <= 3
        else:  # a whole view of a buffer nothing else holds (W.grad of Linear is (gradᵀ @ x)ᵀᵀ)
            mine = (_refcount(arr) <= 3 and type(base) is np.ndarray and base.base is None
                    and _refcount(base) <= 3 and arr.size == base.size and arr.flags.c_contiguous)
        if not (mine and arr.flags.writeable):
            arr = arr.copy()
        var._grad = Tensor._wrap(arr, var.dtype if arr.dtype == var.dtype.np else from_np[arr.dtype])
    elif var._grad._requires_grad:
        var._grad = var._grad + Tensor._wrap(arr, from_np[arr.dtype])
    else:
        var._grad._data += arr
    hooks = var._post_acc_hooks
    if hooks:
        for hook in list(hooks):
            hook(var)


def _count_dependencies(root_nodes):
    """For every node reachable from the roots, how many edges lead into it (one walk, no order)."""
    deps = {}
    stack = list(root_nodes) if len(root_nodes) == 1 else list(dict.fromkeys(root_nodes))
    roots = set(stack)  # walked from the start: counted when reached, never walked twice
    while stack:
        for nxt, _ in stack.pop().next_functions:
            if nxt is not None:
                n = deps.get(nxt)
                if n is not None:
                    deps[nxt] = n + 1
                else:
                    deps[nxt] = 1
                    if nxt not in roots:
                        stack.append(nxt)
    return deps


def _apply_with_anomaly(node, grads):
    """node.apply, but a failure shows the forward stack of the op, and NaN gradients are an error."""
    try:
        outs = node.apply(tuple(grads))
        if anomaly_mode.STATE.check_nan:
            anomaly_mode.check_nan(node, outs)
    except Exception:
        anomaly_mode.warn_forward_trace(node)
        raise
    return outs


def _run_prehooks(node, grads):
    grads = list(grads)
    for hook in list(node._prehooks):
        res = hook(tuple(grads))
        if res is not None:
            grads = list(res)
    return grads


def _run_posthooks(node, outs, grads):
    for hook in list(node._hooks):
        res = hook(tuple(outs), tuple(grads))
        if res is not None:
            outs = tuple(res)
    return outs


def accumulate_into_leaf(var, g):
    """Add g into var.grad: a fresh copy the first time (so .grad owns its memory), in place after.
    (The engine's plain loop has _accumulate_array, which takes an unshared gradient instead.)"""
    if g is None:
        return
    if grad_mode.STATE.enabled:  # create_graph: keep the graph of the gradient itself
        var._grad = g if var._grad is None else var._grad + g
    elif var._grad is None:
        var._grad = _lazy("Tensor")._wrap(g._data.copy(), g.dtype)
    elif var._grad.requires_grad:
        var._grad = var._grad + g
    else:
        var._grad._data += g._data
    hooks = var._post_acc_hooks
    if hooks:
        for hook in list(hooks):
            hook(var)


def _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused,
                  materialize_grads):
    """is_grads_batched=True: one pass per row of the grad_outputs' first dimension, stacked."""
    from .._creation import zeros_like
    from ..ops._join import stack
    if grad_outputs is None:
        raise RuntimeError("is_grads_batched=True requires grad_outputs")
    n = grad_outputs[0].shape[0]
    rows = []
    for b in range(n):
        rows.append(grad(outputs, inputs, tuple(g[b] for g in grad_outputs),
                         retain_graph=True if b < n - 1 else retain_graph, create_graph=create_graph,
                         allow_unused=allow_unused))
    result = []
    for i, t in enumerate(inputs):
        col = [r[i] for r in rows]
        if all(c is None for c in col):
            result.append(stack([zeros_like(t)] * n) if materialize_grads else None)
        else:
            result.append(stack([c if c is not None else zeros_like(t) for c in col]))
    return tuple(result)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None,
             inputs=None) -> None:
    """Compute the gradient of ``tensors`` w.r.t. graph leaves and accumulate it into their ``.grad``."""
    Tensor = _lazy("Tensor")
    if (type(tensors) is Tensor and grad_tensors is None and grad_variables is None and inputs is None
            and not create_graph and tensors._requires_grad and tensors._data.size == 1):
        # loss.backward(): one root and its implicit gradient of ones, without the general checks
        arr = tensors._data
        one = np.array(1, arr.dtype)
        g = Tensor._wrap(one if arr.ndim == 0 else one.reshape(arr.shape), tensors.dtype)
        _run([(edge_of(tensors), g)], bool(retain_graph), False)
        return
    tensors = _as_tuple(tensors)
    if grad_tensors is None:
        grad_tensors = grad_variables
    grad_tensors = _as_tuple(grad_tensors)
    if grad_tensors is not None and len(grad_tensors) != len(tensors):
        raise RuntimeError(
            "grad can be implicitly created only for scalar outputs"
            if not grad_tensors else
            f"Mismatch in number of gradients: got {len(grad_tensors)} but expected {len(tensors)}"
        )
    if retain_graph is None:
        retain_graph = create_graph
    _check_outputs(tensors)
    grads = _make_root_grads(tensors, grad_tensors)
    roots = []
    for t, g in zip(tensors, grads):
        roots.append((edge_of(t), g))
    if inputs is not None:
        inputs = _as_tuple(inputs)
        if not inputs:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        for t in inputs:
            if not isinstance(t, Tensor) or not t.requires_grad:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
        targets = {edge_of(t): None for t in inputs}
        _run(roots, retain_graph, create_graph, targets=targets, accumulate=False)
        with grad_mode.set_grad_enabled(create_graph):
            for t in inputs:
                g = targets[edge_of(t)]
                if g is not None:
                    accumulate_into_leaf(t, g)
        return
    _run(roots, retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Return the gradients of ``outputs`` w.r.t. ``inputs`` without touching any ``.grad``."""
    Tensor = _lazy("Tensor")
    outputs = _as_tuple(outputs)
    inputs = _as_tuple(inputs)
    grad_outputs = _as_tuple(grad_outputs)
    if allow_unused is None:
        allow_unused = materialize_grads
    elif materialize_grads and not allow_unused:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, "
                         "but got: allow_unused=False.")
    if grad_outputs is not None and len(grad_outputs) != len(outputs):
        raise RuntimeError(
            f"grad_outputs should be a sequence of length {len(outputs)} but got {len(grad_outputs)}"
        )
    if retain_graph is None:
        retain_graph = create_graph
    for t in inputs:
        if not isinstance(t, Tensor):
            raise TypeError(f"grad(): inputs must be Tensors, got {type(t).__name__}")
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    _check_outputs(outputs)
    if is_grads_batched:
        return _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused,
                             materialize_grads)
    grads = _make_root_grads(outputs, grad_outputs)
    roots = [(edge_of(t), g) for t, g in zip(outputs, grads)]
    edges = [edge_of(t) for t in inputs]
    targets = _run(roots, retain_graph, create_graph, targets={e: None for e in edges}, accumulate=False)
    result = []
    for i, (t, e) in enumerate(zip(inputs, edges)):
        g = targets[e]
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in the graph. "
                    "Set allow_unused=True if this is the desired behavior."
                )
            if materialize_grads:
                from .._creation import zeros_like
                g = zeros_like(t)
        result.append(g)
    return tuple(result)
