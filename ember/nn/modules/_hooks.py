"""Module hook plumbing: removable handles and the full backward hooks.

A full backward hook needs the gradients w.r.t. a module's inputs and outputs together. As in torch, the
tensors going in and coming out of the module are passed through an identity autograd Function; the
prehook of the output identity node sees grad_output, the prehook of the input identity node sees
grad_input (and may replace it before it flows further back).
"""
from __future__ import annotations

import warnings
import weakref
from collections import OrderedDict

from ..._creation import zeros_like
from ..._tensor import Tensor
from ...autograd.function import Function

__all__ = ["BackwardHook", "RemovableHandle"]


class RemovableHandle:
    """Returned by the register_*_hook methods; ``handle.remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, *hook_dicts: dict) -> None:
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1
        # weak references: a handle kept by the user must not keep a deleted module's dicts alive
        self._dicts = [weakref.ref(d) for d in hook_dicts]

    def remove(self) -> None:
        for ref in self._dicts:
            d = ref()
            if d is not None:
                d.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


class _HookDict(OrderedDict):
    """An OrderedDict that can be weakly referenced (plain OrderedDicts can be, dicts cannot)."""



class BackwardHookFunction(Function):
    """Identity on its tensor arguments: a node to hang the module's backward hooks on."""

    @staticmethod
    def forward(ctx, *args):
        return tuple(a.view_as(a) for a in args)

    @staticmethod
    def backward(ctx, *grads):
        return grads


def _wrap_tensors(values, on_node):
    """Pass the tensors that require grad in ``values`` through one identity node; call on_node(node,
    positions). Returns the values with those tensors replaced."""
    values = list(values)
    pos = [i for i, v in enumerate(values) if isinstance(v, Tensor) and v.requires_grad]
    if not pos:
        return values, pos
    outs = BackwardHookFunction.apply(*(values[i] for i in pos))
    for i, o in zip(pos, outs):
        values[i] = o
    on_node(outs[0].grad_fn, pos)
    return values, pos


class BackwardHook:
    """One forward call's backward-hook state: the grad_output captured for the grad_input hooks."""

    def __init__(self, module, user_hooks, user_pre_hooks) -> None:
        self.module = module
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.grad_outputs = None
        self.n_inputs = 0
        self.input_pos: list[int] = []

    @staticmethod
    def _pack(values, grads, pos) -> tuple:
        """Gradients laid out like ``values``: None for non-tensors, zeros where a tensor got none
        (torch materialises those as zeros)."""
        full = [None] * len(values)
        got = dict(zip(pos, grads))
        for i, v in enumerate(values):
            if isinstance(v, Tensor):
                g = got.get(i)
                full[i] = zeros_like(v) if g is None else g
        return tuple(full)

    def setup_input_hook(self, args: tuple) -> tuple:
        self.n_inputs = len(args)

        def on_node(node, pos):
            def prehook(grads):
                if not self.user_hooks or self.grad_outputs is None:
                    return None
                grad_input = self._pack(args, grads, pos)
                for hook in list(self.user_hooks.values()):
                    res = hook(self.module, grad_input, self.grad_outputs)
                    if res is None:
                        continue
                    if len(res) != len(grad_input):
                        raise RuntimeError("Backward hook returned an invalid number of grad_input, got "
                                           f"{len(res)}, but expected {len(grad_input)}")
                    grad_input = tuple(res)
                self.grad_outputs = None  # free the captured gradients
                return tuple(grad_input[i] for i in pos)

            node.register_prehook(prehook)

        values, self.input_pos = _wrap_tensors(args, on_node)
        return tuple(values)

    def setup_output_hook(self, output):
        single = isinstance(output, Tensor)
        outputs = (output,) if single else output
        if not isinstance(outputs, tuple):
            return output

        def on_node(node, pos):
            def prehook(grads):
                grad_output = self._pack(outputs, grads, pos)
                for hook in list(self.user_pre_hooks.values()):
                    res = hook(self.module, grad_output)
                    if res is None:
                        continue
                    if len(res) != len(grad_output):
                        raise RuntimeError("Backward pre hook returned an invalid number of grad_output, got "
                                           f"{len(res)}, but expected {len(grad_output)}")
                    grad_output = tuple(res)
                self.grad_outputs = grad_output
                if not self.input_pos:
                    # no input needs a gradient: the hooks run now, with grad_input all None
                    if self.user_hooks:
                        warnings.warn(
                            "Full backward hook is firing when gradients are computed with respect to module "
                            "outputs since no inputs require gradients. See https://docs.pytorch.org/docs/main/"
                            "generated/torch.nn.Module.html#torch.nn.Module.register_full_backward_hook for "
                            "more details.", stacklevel=2)
                    grad_input = (None,) * self.n_inputs
                    for hook in list(self.user_hooks.values()):
                        res = hook(self.module, grad_input, grad_output)
                        if res is not None and not all(r is None for r in res):
                            raise RuntimeError("Backward hook for Modules where no input requires gradient "
                                               "should always return None or None for all gradients.")
                    self.grad_outputs = None
                return tuple(grad_output[i] for i in pos)

            node.register_prehook(prehook)

        values, _ = _wrap_tensors(outputs, on_node)
        return values[0] if single else tuple(values)
