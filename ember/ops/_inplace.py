"""In-place ops under autograd: ``x.add_(y)``, ``x += y``, ``x[i] = v`` through views.

An in-place op runs out of place and writes its result into the tensor; the graph is then rebased as
torch rebases it (the tensor's grad_fn becomes the op's node, or, for a view of a tensor in the graph,
its base's grad_fn becomes a CopySlices node). Split out of _registry.py, which applies ops.
"""
from __future__ import annotations

import numpy as np

from ..autograd import grad_mode
from ..autograd.forward_ad import STATE as _FW
from ..autograd.graph import OpNode, SavedTensor, edge_of

__all__ = ["apply_inplace", "check_inplace_result"]

_STATE = grad_mode.STATE
_NO_EDGE = (None, 0)


def apply_inplace(fn, self, *args, **kwargs):
    """Run ``fn(self, *args)`` out of place and write the result into ``self`` (``add_``, ``x += y``).

    The graph is rebased like torch's: self's grad_fn becomes the op's node, whose input is a snapshot
    of self as it was (copied only if the op saved it, since the write below overwrites self's memory).
    When self is a view of a tensor in the graph, the base is rebased instead, onto a CopySlices node
    (see autograd/graph.py), and self becomes a view of the new base. A leaf that requires grad, or a
    view of one, is refused while grad mode is on.
    """
    from .._tensor import Tensor
    if self._extra and self._extra.get("inference") and not _STATE.inference:
        raise RuntimeError("Inplace update to inference tensor outside InferenceMode is not allowed."
                           "You can make a clone to get a normal tensor before doing inplace update."
                           "See https://github.com/pytorch/rfcs/pull/17 for more details.")
    base = self._base
    record = _STATE.enabled and (self._requires_grad or (base is not None and base._requires_grad) or any(
        isinstance(a, Tensor) and a._requires_grad for a in args))
    if record and self._requires_grad and self.grad_fn is None and base is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    if record and base is not None:
        if base._requires_grad and base.grad_fn is None:
            raise RuntimeError(
                "a view of a leaf Variable that requires grad is being used in an in-place operation.")
        return _inplace_on_view(fn, self, base, args, kwargs)
    if record:
        snap = self._shallow_copy()
        snap._version_counter = [self._version_counter[0]]  # the snapshot is never written again
        r = fn(snap, *args, **kwargs)
    else:
        prev = _STATE.enabled
        _STATE.enabled = False
        try:
            r = fn(self, *args, **kwargs)
        finally:
            _STATE.enabled = prev
    check_inplace_result(self, r)
    if record:
        _keep_saved_snapshot(r.grad_fn, snap)
    self._data[...] = r._data
    if _FW.active:  # forward AD: self now carries the op's output tangent
        from ..autograd.forward_ad import move_tangent
        move_tangent(r, self)
    counter = self._version_counter
    counter[0] += 1
    if record:
        self._requires_grad = True
        self.grad_fn = r.grad_fn
        self._output_nr = r._output_nr
        _result_is_self(r.grad_fn, self)
        if self._extra and self._extra.get("retains_grad"):  # .grad follows the newest version
            self._extra.pop("retain_handle").remove()
            self._extra["retains_grad"] = False
            self.retain_grad()
        if len(counter) == 1:
            counter.append(True)  # views made earlier now read a rebased base (graph.refresh_view)
    return self


def _keep_saved_snapshot(node, snap) -> None:
    """If the op saved the snapshot of self for backward, give it its own copy of the old values."""
    saved = getattr(node, "saved", None)
    if saved and any(type(s) is SavedTensor and s.tensor is snap for s in saved):
        snap._data = snap._data.copy()


def _result_is_self(node, self) -> None:
    """An op that saved its result (exp_, sigmoid_) now reads it from self, so changes are caught."""
    if isinstance(node, OpNode) and node.result is not None and node.num_outputs == 1:
        node.result = ((self._data, self._version_counter, self._version_counter[0]),)


def _inplace_on_view(fn, self, base, args, kwargs):
    """``view.op_(...)`` under autograd: the op reads the view's elements out of the current base, and
    the base's new grad_fn (CopySlices) routes the gradient of those elements through the op."""
    from ..autograd.graph import CopySlices, take_view, view_index
    idx = view_index(base._data, self._data)
    base_edge = edge_of(base)
    snap = take_view(base._shallow_copy(), idx) if base_edge[0] is not None else self.detach().clone()
    r = fn(snap, *args, **kwargs)
    check_inplace_result(self, r)
    self._data[...] = r._data
    if _FW.active:  # forward AD: the view now carries the op's output tangent
        from ..autograd.forward_ad import move_tangent
        move_tangent(r, self)
    counter = self._version_counter
    counter[0] += 1
    if len(counter) == 1:
        counter.append(True)
    op_edge = (r.grad_fn, r._output_nr) if r.grad_fn is not None else _NO_EDGE
    base.grad_fn = CopySlices(base_edge, op_edge, idx, base._data.shape)
    base._requires_grad = True
    base._output_nr = 0
    new_view = take_view(base._shallow_copy(), idx)
    self.grad_fn = new_view.grad_fn
    self._requires_grad = True
    self._output_nr = 0
    return self


def check_inplace_result(self, r) -> None:
    """torch's checks before writing an op's result into an existing tensor."""
    if r._data.shape != self._data.shape:
        try:
            np.broadcast_shapes(r._data.shape, self._data.shape)
            ok = np.broadcast_shapes(r._data.shape, self._data.shape) == self._data.shape
        except ValueError:
            ok = False
        if not ok:
            raise RuntimeError(
                f"output with shape [{', '.join(map(str, self.shape))}] doesn't match the broadcast "
                f"shape [{', '.join(map(str, r.shape))}]"
            )
    if r.dtype is not self.dtype and r.dtype._rank > self.dtype._rank:
        raise RuntimeError(
            f"result type {_legacy_name(r.dtype)} can't be cast to the desired output type "
            f"{_legacy_name(self.dtype)}"
        )


def _legacy_name(d) -> str:
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
            "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}[d.name]
