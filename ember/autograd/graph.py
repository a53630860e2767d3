"""The autograd graph: Nodes (a tensor's ``grad_fn``), AccumulateGrad for leaves, and saved tensors.

A Node knows how to turn the gradient of its outputs into gradients of its inputs (``apply``) and
where those go next (``next_functions``: one ``(node, output_nr)`` pair per input, ``(None, 0)`` for
inputs that need no gradient). The graph only points from outputs towards inputs, and a node keeps its
own output as a bare array, never as a Tensor whose grad_fn is itself, so graphs have no reference cycles
and are freed as soon as the last tensor that reaches them goes away.
"""
from __future__ import annotations

import itertools
import weakref

__all__ = ["FREED_MESSAGE", "AccumulateGrad", "Node", "OpNode", "SavedTensor"]

_seq = itertools.count()

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward."
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
        self.tensor = tensor
        self.version = tensor._version_counter[0]

    def unpack(self, node):
        t = self.tensor
        now = t._version_counter[0]
        if now != self.version:
            shape = "[" + ", ".join(str(s) for s in t.shape) + "]"
            owner = t.grad_fn.name() if t.grad_fn is not None else "a leaf"
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an inplace "
                f"operation: [{_type_name(t)} {shape}], which is output 0 of {owner}, is at version "
                f"{now}; expected version {self.version} instead. Hint: the backtrace further above "
                "can show the operation that failed to compute its gradient; enable anomaly detection "
                "with ember.autograd.set_detect_anomaly(True) to find it."
            )
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
        return f"<{self.name()} object at {hex(id(self))}>"

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
        "_name",
        "in_meta",
        "num_outputs",
        "op",
        "out_meta",
        "params",
        "released",
        "result",
        "saved",
    )

    def name(self) -> str:
        return self._name

    def release(self) -> None:
        if self.saved is not None or self.result is not None:
            self.saved = None
            self.result = None
            self.released = True

    def apply(self, grads):
        from ..ops._registry import run_backward  # the registry owns how primitives run backward
        return run_backward(self, grads)


class AccumulateGrad(Node):
    """The node of a leaf that requires grad: adds the incoming gradient into ``leaf.grad``."""

    __slots__ = ("_post_hooks", "variable")

    def __init__(self, variable):
        super().__init__(())
        self.variable = variable
        self._post_hooks = None

    def apply(self, grads):
        from .engine import accumulate_into_leaf
        accumulate_into_leaf(self.variable, grads[0])
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


def edge_of(tensor):
    """The (node, output_nr) a gradient for this tensor flows into, or (None, 0) if it needs none."""
    fn = tensor.grad_fn
    if fn is not None:
        return (fn, tensor._output_nr)
    if tensor._requires_grad:
        return (grad_accumulator(tensor), 0)
    return (None, 0)
