"""How a primitive op is declared and applied.

A primitive is a class with ``forward(xp, *inputs, **params)`` working on arrays and
``backward(grad, *inputs, [result,] **params)`` written in ember ops (so it is itself differentiable).
``@primitive`` turns it into an object whose ``apply(*inputs, **params)``:

1. unwraps Tensor inputs to arrays (and, for ``elementwise`` ops, casts every input to torch's
   promoted dtype; ``to_float`` ops send integer results to the default float dtype);
2. calls ``forward``;
3. wraps the result, and only when grad mode is on and some input requires grad, records an OpNode
   holding what backward needs.

On the way back, ``run_backward`` unpacks the saved inputs (checking their versions), calls the op's
backward, and undoes broadcasting (``sum_to``) and dtype promotion for each input: no op does that
by hand.

Speed: when no graph of the gradient is wanted (no ``create_graph``, no forward AD), an op with
``array_backward`` runs its backward on bare arrays (``input_grad_arrays``, used by the engine's
plain loop): ``array_backward = True`` where the backward formula is operators only, so the very
same formula runs on arrays; otherwise a function of arrays that calls the same primitives'
forwards, so the numbers are the same bits (tests/autograd/test_lean_paths.py checks each against
the Tensor formula). ``apply2`` is ``apply`` for the operators' common case (a floating tensor and a
same-dtype tensor or a number).
"""
from __future__ import annotations

import inspect

import numpy as np

from .._dtype import _FROM_NP as _FROM_NP_TABLE
from .._dtype import _DefaultDtype, from_numpy_dtype, result_type
from ..autograd import grad_mode
from ..autograd.anomaly_mode import STATE as _ANOMALY
from ..autograd.anomaly_mode import record_trace
from ..autograd.forward_ad import STATE as _FW
from ..autograd.forward_ad import propagate as _fw_propagate
from ..autograd.graph import FREED_MESSAGE, OpNode, SavedTensor, edge_of, version_error
from ..autograd.graph import _seq as _node_seq

__all__ = ["Primitive", "apply_inplace", "primitive", "run_backward"]

_STATE = grad_mode.STATE
_ndarray = np.ndarray
_NO_EDGE = (None, 0)
_NODE_CLASSES: dict = {}
_Tensor = None  # ember.Tensor, set on first use (the tensor module imports this one)
_PY_NUMBERS = (float, int, bool)
_new = object.__new__
_EXACT = 2 ** 53


class _NpDtypes(dict):
    """NumPy dtype -> ember dtype, with from_numpy_dtype's error for dtypes ember cannot hold."""

    def __missing__(self, key):
        return from_numpy_dtype(key)


_FROM_NP = _NpDtypes(_FROM_NP_TABLE)


class Primitive:
    """The applied form of a declared op. ``apply`` is the one entry point."""

    __slots__ = (
        "array_backward",
        "backward",
        "cls",
        "elementwise",
        "forward",
        "grad_fn_name",
        "jvp",
        "n_diff_outputs",
        "name",
        "no_edge",
        "node_cls",
        "save_plan",
        "save_result",
        "saves_inputs",
        "to_float",
        "uses_result",
        "view",
    )

    def __init__(self, cls, elementwise, to_float, view, saves, outputs):
        self.cls = cls
        self.name = cls.__name__
        self.forward = cls.forward
        self.backward = getattr(cls, "backward", None)
        self.jvp = getattr(cls, "jvp", None)
        # array_backward = True: backward uses only operators (+, *, -, **, >, ...), so when no graph
        # is being built it can run on the bare arrays, skipping a Tensor and a dispatch per step; or
        # a function of arrays giving the same numbers when backward calls other primitives
        ab = getattr(cls, "array_backward", None)
        self.array_backward = self.backward if ab is True else ab
        self.elementwise = elementwise
        self.to_float = to_float
        self.view = view
        self.n_diff_outputs = outputs
        name = getattr(cls, "grad_fn", None)
        self.grad_fn_name = name if name is not None else cls.__name__ + "Backward0"
        self.node_cls = _node_class(self.grad_fn_name) if type(self.grad_fn_name) is str else None
        # inputs torch's node has no next_functions entry for: positions that never get one (where's
        # condition), and with scalar_edges = False, Python numbers (torch's Scalar overloads, as in
        # x ** 2 and 2 - x; x * 2 wraps 2 in a tensor and keeps a (None, 0) entry)
        no_edge = tuple(getattr(cls, "no_edge", ()))
        self.no_edge = (no_edge, getattr(cls, "scalar_edges", True)) if (
            no_edge or not getattr(cls, "scalar_edges", True)) else None
        fwd_params = [p for p in inspect.signature(cls.forward).parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)][1:]  # drop xp
        self.uses_result = False
        if self.backward is not None:
            bwd = inspect.signature(self.backward).parameters
            self.uses_result = "result" in bwd
        names = [p.name for p in fwd_params]
        if saves is not None:
            unknown = set(saves) - set(names) - {"result"}
            if unknown:
                raise TypeError(f"{self.name}: saves names unknown inputs {sorted(unknown)}")
        self.save_result = self.uses_result and (saves is None or "result" in saves)
        self.saves_inputs = saves is None or any(n != "result" for n in saves)
        # needed_for = (("x", ("y",)),): keep x only when y requires grad (x only feeds y's gradient)
        needed_for = dict(getattr(cls, "needed_for", None) or ())
        # per positional input: False (never saved), True (saved), or the positions of the inputs
        # whose gradients it feeds (saved when one of them requires grad); varargs past these: saved
        self.save_plan = tuple(
            False if saves is not None and n not in saves
            else tuple(names.index(o) for o in needed_for[n]) if n in needed_for else True
            for n in names)

    def __repr__(self) -> str:
        return f"<ember primitive {self.name}>"

    def apply(self, *args, **params):
        """Run the op on Tensors / Python scalars and record the graph when needed."""
        Tensor = _Tensor if _Tensor is not None else _tensor_type()
        requires = False
        if self.elementwise:
            # the common case without the general promotion: tensors of one floating dtype, and
            # Python numbers (which then cannot change the dtype)
            dt = None
            arrays = []
            scalars = False
            for a in args:
                if isinstance(a, Tensor):
                    if a._requires_grad:
                        requires = True
                    if a.dtype is not dt:
                        if dt is not None:
                            dt = False
                            break
                        dt = a.dtype
                    arrays.append(a._data)
                elif type(a) in _PY_NUMBERS:
                    arrays.append(a)
                    scalars = True
                else:
                    dt = False
                    break
            if dt and dt._rank == 2:
                if scalars:
                    for i, a in enumerate(arrays):
                        if type(a) is not _ndarray:
                            arrays[i] = _scalar_array(a, dt.np)
            else:
                arrays, requires = self._promoted(args, Tensor)
        else:
            arrays = []
            for a in args:
                if isinstance(a, Tensor):
                    arrays.append(a._data)
                    if a._requires_grad:
                        requires = True
                else:
                    arrays.append(a)

        try:
            out = self.forward(np, *arrays, **params)
        except ValueError:
            if self.elementwise:  # NumPy's broadcasting error, in torch's words and type
                from ._utils import broadcast_shapes
                broadcast_shapes(*(np.shape(a) for a in arrays))
            raise
        record = requires and _STATE.enabled and self.backward is not None

        if type(out) is tuple:
            results = tuple(_wrap(o) for o in out)
            if self.view:
                _mark_view(results, args)
            if record:
                n = self.n_diff_outputs or len(results)
                diff = results[:n]
                node = self._record(args, params, diff)
                for i, r in enumerate(diff):
                    r._requires_grad = True
                    r.grad_fn = node
                    r._output_nr = i
            if _FW.active:  # forward AD: the outputs' tangents from the op's jvp rule
                _fw_propagate(self, args, params, results)
            return results

        if type(out) is not _ndarray:
            out = np.asarray(out)
        result = Tensor._wrap(out, _FROM_NP[out.dtype])
        if self.view:  # _mark_view, for one result
            base = args[0]
            result._version_counter = base._version_counter
            result._base = base._base if base._base is not None else base
        if record:
            result._requires_grad = True
            result.grad_fn = self._record(args, params, (result,))
        if _FW.active:
            _fw_propagate(self, args, params, result)
        return result

    def apply2(self, a, b):
        """``apply(a, b)`` for the operators' common case: an elementwise op on a floating tensor
        and a tensor of the same dtype or a Python number. The same result and graph as apply,
        with less dispatch; anything else (and forward AD) goes to apply."""
        Tensor = _Tensor if _Tensor is not None else _tensor_type()
        dt = a.dtype
        if not (self.elementwise and dt._rank == 2 and isinstance(a, Tensor)) or _FW.active:
            return self.apply(a, b)
        if isinstance(b, Tensor):
            if b.dtype is not dt:
                return self.apply(a, b)
            arr_b = b._data
            requires = a._requires_grad or b._requires_grad
        elif type(b) is float or type(b) is int:
            arr_b = _scalar_array(b, dt.np)
            requires = a._requires_grad
        else:
            return self.apply(a, b)
        try:
            out = self.forward(np, a._data, arr_b)
        except ValueError:
            return self.apply(a, b)  # (raises broadcasting errors in torch's words)
        if type(out) is not _ndarray:
            out = np.asarray(out)
        result = Tensor._wrap(out, _FROM_NP[out.dtype])
        if requires and _STATE.enabled and self.backward is not None:
            result._requires_grad = True
            result.grad_fn = self._record((a, b), {}, (result,))
        return result

    def _promoted(self, args, Tensor):
        """The inputs as arrays of torch's promoted dtype (the general case), and whether any
        requires grad."""
        dt = result_type(*args)
        if self.to_float and dt._rank < 2:
            dt = _DefaultDtype.value
        npdt = dt.np
        arrays = []
        requires = False
        for a in args:
            if isinstance(a, Tensor):
                arr = a._data
                if a.dtype is not dt:
                    arr = arr.astype(npdt)
                if a._requires_grad:
                    requires = True
            else:
                arr = _scalar_array(a, npdt)
            arrays.append(arr)
        return arrays, requires

    def _record(self, args, params, results):
        Tensor = _Tensor
        cls = self.node_cls
        if cls is None:  # a name that depends on the arguments (pow's PowBackward0/1/2, ...)
            cls = _node_class(self.grad_fn_name(*args, **params))
        node = cls.__new__(cls)
        plan = self.save_plan
        n_plan = len(plan)
        edges = []
        saved = []
        in_meta = []
        for i, a in enumerate(args):
            if not isinstance(a, Tensor):
                edges.append(_NO_EDGE)
                saved.append(a)
                in_meta.append(None)
                continue
            # edge_of, inlined for an op's output (a view too, unless its base was changed in place
            # since) and for a leaf whose accumulator exists
            fn = a.grad_fn
            if fn is not None and (a._base is None or len(a._version_counter) == 1):
                edges.append((fn, a._output_nr))
            elif fn is None and a._base is None and a._requires_grad and a._accumulator is not None:
                acc = a._accumulator()
                edges.append((acc, 0) if acc is not None else edge_of(a))
            else:
                edges.append(edge_of(a))
            in_meta.append((a._data.shape, a.dtype))
            rule = plan[i] if i < n_plan else True
            if rule is False:
                saved.append(None)
                continue
            if rule is not True:
                for j in rule:
                    b = args[j]
                    if isinstance(b, Tensor) and b._requires_grad:
                        break
                else:  # it only feeds gradients of inputs that need none
                    saved.append(None)
                    continue
            if a._extra and a._extra.get("inference"):
                SavedTensor(a)  # raises torch's error
            s = _new(SavedTensor)  # SavedTensor(a) without its __init__'s call
            s.tensor = a
            s.version = a._version_counter[0]
            saved.append(s)
        if self.no_edge is None:
            node.next_functions = tuple(edges)  # Node.__init__'s fields, set here: one call less per op
            node.edge_pos = None
        else:
            never, scalars = self.no_edge
            pos = []
            kept = []
            kept_meta = []
            for i, a in enumerate(args):
                if i not in never and (scalars or isinstance(a, Tensor)):
                    pos.append(i)
                    kept.append(edges[i])
                    kept_meta.append(in_meta[i])
            node.next_functions = tuple(kept)
            in_meta = kept_meta
            # kept inputs that are the leading ones (x ** 2, 2 - x) line up with backward's outputs
            # as they are (zip stops at the last edge); others need picking out
            node.edge_pos = None if not pos or pos[-1] == len(pos) - 1 else pos
        node._seq = next(_node_seq)
        node._hooks = None
        node._prehooks = None
        node.op = self
        node.saved = saved
        node.in_meta = in_meta
        if self.save_result:
            if len(results) == 1:
                r = results[0]
                node.result = ((r._data, r._version_counter, r._version_counter[0]),)
            else:
                node.result = tuple((r._data, r._version_counter, r._version_counter[0]) for r in results)
        else:
            node.result = None
        node.params = params
        node.released = False
        if _ANOMALY.enabled:
            record_trace(node)
        node.num_outputs = len(results)
        node.out_meta = tuple((r._data.shape, r.dtype) for r in results) if len(results) > 1 else None
        return node


def _node_class(name):
    """One OpNode subclass per grad_fn name, so type(y.grad_fn).__name__ is torch's too."""
    cls = _NODE_CLASSES.get(name)
    if cls is None:
        cls = _NODE_CLASSES[name] = type(name, (OpNode,), {"__slots__": ()})
    return cls


def _scalar_array(a, npdt):
    """A Python number as a 0-d array of the op's dtype, rounded once as torch rounds it."""
    if type(a) is int and not (npdt.kind == "f" and -_EXACT <= a <= _EXACT):
        return np.asarray(a).astype(npdt)  # int64 first, then one rounding (float64 would round twice)
    return np.array(a, dtype=npdt)  # (an int up to 2**53 is exact in float64: one rounding)


def _tensor_type():
    """ember.Tensor, looked up once (the tensor module imports this one, so not at import time)."""
    global _Tensor
    from .._tensor import Tensor
    _Tensor = Tensor
    return Tensor


def _wrap(arr):
    if type(arr) is not _ndarray:
        arr = np.asarray(arr)
    return (_Tensor or _tensor_type())._wrap(arr, from_numpy_dtype(arr.dtype))


def _mark_view(results, args):
    """A view shares its base's version counter, so in-place changes through either are seen."""
    base = args[0]
    root = base._base if base._base is not None else base
    for r in results:
        r._version_counter = base._version_counter
        r._base = root


def primitive(cls=None, *, elementwise: bool = False, to_float: bool = False, view: bool = False,
              saves=None, outputs: int | None = None):
    """Declare a primitive op (see the module docstring).

    elementwise: inputs broadcast and are promoted to one dtype by torch's rules.
    to_float: integer/bool results go to the default float dtype (sin, exp, true division, ...).
    view: the output shares memory with the first input (reshape, transpose, slicing, ...).
    saves: names of the inputs (and "result") backward needs; default: all of them. Saving less
        lets memory go as soon as the forward pass no longer needs it.
    outputs: for ops returning a tuple, how many leading outputs are differentiable (default all).
    """
    def wrap(c):
        return Primitive(c, elementwise, to_float, view, saves, outputs)
    return wrap(cls) if cls is not None else wrap


def _unpack_results(node):
    out = []
    for i, (arr, counter, version) in enumerate(node.result):
        t = _Tensor._wrap(arr, _FROM_NP[arr.dtype])
        t._version_counter = counter
        t._requires_grad = True
        t.grad_fn = node
        t._output_nr = i
        if counter[0] != version:
            raise version_error(t, counter[0], version, node)
        out.append(t)
    if _FW.active:  # forward-over-reverse: the saved outputs keep their tangents
        from ..autograd.forward_ad import restore_result_tangents
        restore_result_tangents(node, out)
    return out


def run_backward(node, grads):
    """Gradients of a primitive's inputs from the gradients of its outputs (engine entry point)."""
    global _Tensor
    if _Tensor is None:  # imported once: this runs once per node of every backward pass
        from .._tensor import Tensor as _Tensor
    if node.released:
        raise RuntimeError(FREED_MESSAGE)
    op = node.op
    if op.array_backward is not None and not _STATE.enabled and node.num_outputs == 1 and not _FW.active:
        return _run_backward_arrays(node, grads[0])
    inputs = []
    for s in node.saved:  # SavedTensor.unpack, inlined: the version check
        if type(s) is SavedTensor:
            t = s.tensor
            if t._version_counter[0] != s.version:
                raise version_error(t, t._version_counter[0], s.version, t.grad_fn)
            s = t
        inputs.append(s)
    if node.num_outputs == 1:
        grad = grads[0]
    else:  # built-in multi-output ops see zeros for outputs that got no gradient, as in torch
        from .._creation import zeros
        grad = tuple(g if g is not None else zeros(shape, dtype=dt)
                     for g, (shape, dt) in zip(grads, node.out_meta))
    if op.uses_result:
        res = _unpack_results(node) if node.result is not None else [None] * node.num_outputs
        out = op.backward(grad, *inputs, res[0] if node.num_outputs == 1 else tuple(res), **node.params)
    else:
        out = op.backward(grad, *inputs, **node.params)
    out = _per_edge(node, out)
    grads_in = []
    for (nxt, _), g, meta in zip(node.next_functions, out, node.in_meta):
        if nxt is None or g is None:
            grads_in.append(None)
            continue
        if not isinstance(g, _Tensor):
            raise TypeError(f"{op.name}.backward returned {type(g).__name__}, expected a Tensor")
        if g._data.shape != meta[0]:
            from ._utils import sum_to
            g = sum_to(g, meta[0])
        if g.dtype is not meta[1]:
            g = g.to(meta[1])
        grads_in.append(g)
    return tuple(grads_in)


def _per_edge(node, out):
    """A backward's result as one gradient per edge of the node: a lone gradient made a tuple, and
    for inputs torch gives no edge (see no_edge) only those at the node's edge positions."""
    if type(out) is not tuple:
        out = (out,)
    if node.edge_pos is None:
        return out
    picked = []
    for i in node.edge_pos:
        picked.append(out[i] if i < len(out) else None)
    return picked


def _run_backward_arrays(node, grad):
    """run_backward for an op whose backward formula also runs on arrays (no graph to build): the
    same numbers, with Tensors made only for the gradients it returns."""
    grads_in = []
    for g, meta in zip(input_grad_arrays(node, grad._data), node.in_meta):
        grads_in.append(None if g is None else _Tensor._wrap(g, meta[1]))
    return tuple(grads_in)


def input_grad_arrays(node, grad):
    """The gradients of an array_backward op's inputs, as arrays of their shapes and dtypes (None
    where no gradient flows), from the gradient array of its output (the engine's plain loop)."""
    if node.released:
        raise RuntimeError(FREED_MESSAGE)
    op = node.op
    inputs = []
    for s in node.saved:
        if type(s) is SavedTensor:
            t = s.tensor
            if t._version_counter[0] != s.version:
                raise version_error(t, t._version_counter[0], s.version, t.grad_fn)
            s = t._data
        inputs.append(s)
    if op.uses_result:
        if node.result is None:
            inputs.append(None)
        else:
            arr, counter, version = node.result[0]
            if counter[0] != version:
                _unpack_results(node)  # raises torch's error
            inputs.append(arr)
    out = op.array_backward(grad, *inputs, **node.params)
    out = _per_edge(node, out)
    grads_in = []
    for (nxt, _), g, meta in zip(node.next_functions, out, node.in_meta):
        if nxt is None or g is None:
            grads_in.append(None)
            continue
        if type(g) is not _ndarray:
            g = np.asarray(g)
        shape, dt = meta
        if g.shape != shape or g.dtype != dt.np:  # as run_backward: summed, then cast
            t = _Tensor._wrap(g, _FROM_NP[g.dtype])
            if g.shape != shape:
                from ._utils import sum_to
                t = sum_to(t, shape)
            g = (t if t.dtype is dt else t.to(dt))._data
        grads_in.append(g)
    return grads_in


# In-place ops (apply_inplace and the checks around it) live in _inplace.py; many modules import
# them from here, as they did before the split.
from ._inplace import _legacy_name, apply_inplace, check_inplace_result  # noqa: F401
