"""The autograd graph: Nodes (a tensor's ``grad_fn``), AccumulateGrad for leaves, and saved tensors.

A Node knows how to turn the gradient of its outputs into gradients of its inputs (``apply``) and
where those go next (``next_functions``: one ``(node, output_nr)`` pair per input, ``(None, 0)`` for
inputs that need no gradient). The graph only points from outputs towards inputs, and a node keeps its
own output as a bare array, never as a Tensor whose grad_fn is itself, so graphs have no reference cycles
and are freed as soon as the last tensor that reaches them goes away.
"""
from __future__ import annotations

import itertools
import re
import weakref

import numpy as np

__all__ = ["FREED_MESSAGE", "AccumulateGrad", "CopySlices", "Node", "OpNode", "SavedTensor"]

_seq = itertools.count()

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward."
)


_BACKWARD_SUFFIX = re.compile(r"Backward\d*$")


def version_error(t, now: int, expected: int, owner_node) -> RuntimeError:
    """torch's error for a saved tensor that an in-place op changed after it was saved."""
    shape = "[" + ", ".join(str(s) for s in t.shape) + "]"
    owner = "a leaf" if owner_node is None else _BACKWARD_SUFFIX.sub("", owner_node.name())
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [{_type_name(t)} {shape}], which is output {t._output_nr} of {owner}, is at "
        f"version {now}; expected version {expected} instead. Hint: enable anomaly detection to find "
        "the operation that failed to compute its gradient, with "
        "ember.autograd.set_detect_anomaly(True, check_nan=False)."
    )


def _type_name(t) -> str:
    names = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
             "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor",
             "uint8": "ByteTensor", "bool": "BoolTensor"}
    return "ember." + names[t.dtype.name]


class SavedTensor:
    """A tensor kept for backward, with the version it had when saved (in-place changes are caught)."""

    __slots__ = ("tensor", "version")

    def __init__(self, tensor):
        if tensor._extra and tensor._extra.get("inference"):
            raise RuntimeError(
                "Inference tensors cannot be saved for backward. Please do not use Tensors created in "
                "inference mode in computation tracked by autograd. To work around this, you can make a "
                "clone to get a normal tensor and use it in autograd, or use `torch.no_grad()` instead of "
                "`torch.inference_mode()`.")
        self.tensor = tensor
        self.version = tensor._version_counter[0]

    def unpack(self, node):
        t = self.tensor
        now = t._version_counter[0]
        if now != self.version:
            raise version_error(t, now, self.version, t.grad_fn)
        return t


class Node:
    """Base of every grad_fn. Subclasses implement ``apply(grads) -> grads of inputs``."""

    __slots__ = ("__weakref__", "_hooks", "_prehooks", "_seq", "next_functions")
    num_outputs = 1

    def __init__(self, next_functions=()):
        self.next_functions = next_functions
        self._seq = next(_seq)
        self._hooks = None
        self._prehooks = None

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        # torch shows the node's type name (AccumulateGrad's name() is its C++ path, not shown here)
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    def register_hook(self, fn):
        """fn(grad_inputs, grad_outputs) runs after this node; may return replacement grad_inputs."""
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(fn)
        return _RemovableHandle(self._hooks, fn)

    def register_prehook(self, fn):
        """fn(grad_outputs) runs before this node; may return replacement grad_outputs."""
        if self._prehooks is None:
            self._prehooks = []
        self._prehooks.append(fn)
        return _RemovableHandle(self._prehooks, fn)

    def release(self) -> None:
        """Free what was saved for backward (called after a pass without retain_graph)."""

    def apply(self, grads):
        raise NotImplementedError

    def __call__(self, *grads):
        return self.apply(grads)


class _RemovableHandle:
    __slots__ = ("_fn", "_list")

    def __init__(self, lst, fn):
        self._list, self._fn = lst, fn

    def remove(self) -> None:
        if self._fn in self._list:
            self._list.remove(self._fn)


class OpNode(Node):
    """The grad_fn of a primitive op's output (see ops/_registry.py for how it is filled in)."""

    __slots__ = (
        "edge_pos",
        "in_meta",
        "num_outputs",
        "op",
        "out_meta",
        "params",
        "released",
        "result",
        "saved",
    )

    def release(self) -> None:
        if self.saved is not None or self.result is not None:
            self.saved = None
            self.result = None
            self.released = True

    def apply(self, grads):
        return _run_backward()(self, grads)


def _run_backward():
    """The registry's run_backward (the registry owns how primitives run backward; it imports this
    module, so it is looked up on first use and cached)."""
    global _RUN_BACKWARD
    if _RUN_BACKWARD is None:
        from ..ops._registry import run_backward
        _RUN_BACKWARD = run_backward
    return _RUN_BACKWARD


_RUN_BACKWARD = None
_ACCUMULATE = None


class AccumulateGrad(Node):
    """The node of a leaf that requires grad: adds the incoming gradient into ``leaf.grad``."""

    __slots__ = ("_post_hooks", "variable")

    def __init__(self, variable):
        super().__init__(())
        self.variable = variable
        self._post_hooks = None

    def name(self) -> str:
        return "ember::autograd::AccumulateGrad"  # torch's C++ name, under ours

    def apply(self, grads):
        global _ACCUMULATE
        if _ACCUMULATE is None:  # the engine imports this module: looked up once, on first use
            from .engine import accumulate_into_leaf as _ACCUMULATE
        _ACCUMULATE(self.variable, grads[0])
        return ()


def grad_accumulator(tensor):
    """The (cached, weakly held) AccumulateGrad node of a leaf tensor."""
    ref = tensor._accumulator
    node = ref() if ref is not None else None
    if node is None:
        node = AccumulateGrad(tensor)
        if tensor._extra:
            node._prehooks = tensor._extra.get("leaf_hooks")  # hooks live on the tensor
        tensor._accumulator = weakref.ref(node)
    return node


# --------------------------------------------------------------------------- in-place through views
def view_index(base_arr, view_arr):
    """For each element of ``view_arr`` (a view of ``base_arr``'s memory), its flat index in the base.

    Paint every element of the base with its (C-order) position in a scratch buffer laid out like the
    base's memory, then read the buffer back with the view's layout. Works for any strided view
    (slices, transposes, diagonals, ...), which is what torch's CopySlices relies on too.
    """
    size = base_arr.itemsize
    if view_arr.itemsize != size:
        raise RuntimeError("in-place operation on a view with a different element size is not supported")
    if base_arr.size == 0 or view_arr.size == 0:
        return np.zeros(view_arr.shape, dtype=np.int64)

    def span(a):  # byte offsets of a's lowest element relative to its data pointer, and of its end
        lo = sum((n - 1) * st for n, st in zip(a.shape, a.strides) if st < 0)
        hi = sum((n - 1) * st for n, st in zip(a.shape, a.strides) if st > 0)
        return lo, hi

    b_ptr = base_arr.__array_interface__["data"][0]
    v_ptr = view_arr.__array_interface__["data"][0]
    b_lo, b_hi = span(base_arr)
    start = b_ptr + b_lo
    buf = np.full((b_hi - b_lo) // size + 1, -1, dtype=np.int64)
    strided = np.lib.stride_tricks.as_strided

    def layout(a, ptr):
        st = tuple(x // size * 8 for x in a.strides)
        return strided(buf[(ptr - start) // size:], shape=a.shape, strides=st)

    layout(base_arr, b_ptr)[...] = np.arange(base_arr.size, dtype=np.int64).reshape(base_arr.shape)
    v_lo, v_hi = span(view_arr)
    if v_ptr + v_lo < start or v_ptr + v_hi > b_ptr + b_hi:
        raise RuntimeError("in-place operation on a tensor that is not a view of its base's memory")
    idx = layout(view_arr, v_ptr).copy()
    if (idx < 0).any():
        raise RuntimeError("in-place operation on a tensor that is not a view of its base's memory")
    return idx


def take_view(base, idx):
    """``base``'s elements at flat indices ``idx`` as a differentiable copy (torch's AsStridedBackward0)."""
    from ..ops.indexing import _Index  # ops sit above the graph; imported when first needed
    flat = base.reshape(-1)
    return _Index.apply(flat, key=(idx,), shape=(base.numel(),), name="AsStridedBackward0")


class CopySlices(Node):
    """The grad_fn of a base after an in-place op wrote into one of its views.

    Its inputs are the base as it was before (every element outside the view keeps its gradient) and
    the in-place op's result (which now fills the view's elements). Backward splits the incoming
    gradient accordingly: zeroed at the view's elements for the old base, read at them for the op.
    """

    __slots__ = ("index", "shape")

    def __init__(self, base_edge, op_edge, index, shape):
        super().__init__((base_edge, op_edge))
        self.index = index
        self.shape = shape

    def apply(self, grads):
        from .._tensor import Tensor
        g = grads[0]
        if g is None:
            return (None, None)
        keep = np.ones(g.numel(), dtype=g._data.dtype)
        keep[self.index.reshape(-1)] = 0
        g_base = g * Tensor._wrap(keep.reshape(self.shape), g.dtype)
        return (g_base, take_view(g, self.index))


def refresh_view(tensor) -> None:
    """Give a view whose base was changed in place since it was made a grad_fn reading the new base.

    torch does this lazily when the view's grad_fn is next used; so does ember (``edge_of``), only for
    bases that an in-place op has rebased (their version counter carries a second entry).
    """
    base = tensor._base
    if base.grad_fn is None:
        return
    target = (base.grad_fn, base._output_nr)
    edge = (tensor.grad_fn, tensor._output_nr)
    while edge[0] is not None:
        if edge == target:
            return  # still reads the current base
        node = edge[0]
        if not (isinstance(node, OpNode) and (node.op.view or type(node).__name__ == "AsStridedBackward0")):
            break
        edge = node.next_functions[0]
    from . import grad_mode
    idx = view_index(base._data, tensor._data)
    with grad_mode.enable_grad():
        fresh = take_view(base._shallow_copy(), idx)
    tensor.grad_fn = fresh.grad_fn
    tensor._output_nr = 0
    tensor._requires_grad = True


def edge_of(tensor):
    """The (node, output_nr) a gradient for this tensor flows into, or (None, 0) if it needs none."""
    if tensor._base is not None and len(tensor._version_counter) > 1:
        refresh_view(tensor)
    fn = tensor.grad_fn
    if fn is not None:
        return (fn, tensor._output_nr)
    if tensor._requires_grad:
        return (grad_accumulator(tensor), 0)
    return (None, 0)
