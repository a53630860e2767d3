"""Custom autograd Functions: a forward and a backward written by the user.

```python
class Exp(ember.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y

y = Exp.apply(x)          # y.grad_fn is an ExpBackward node, and it is also the ``ctx`` above
```

As in torch, the ``ctx`` a Function's forward receives *is* the grad_fn node of its outputs: one class
``<Name>Backward`` is made per Function subclass, and an instance of it carries the saved tensors, the
user's attributes and the edges to the inputs' nodes. ``forward`` runs with grad mode off; ``backward``
is written in ember ops, so with ``create_graph=True`` it is recorded and can be differentiated again.
"""
from __future__ import annotations

import functools

from . import grad_mode
from .graph import FREED_MESSAGE, Node, SavedTensor, edge_of

__all__ = ["BackwardCFunction", "Function", "FunctionCtx", "InplaceFunction", "NestedIOFunction",
           "once_differentiable"]


def _is_tensor(x) -> bool:
    from .._tensor import Tensor
    return isinstance(x, Tensor)


class _SavedOutput:
    """An output (or a dirtied input) saved for backward: kept as its array, not as the Tensor, since
    the Tensor points at this very node and holding it here would make a reference cycle."""

    __slots__ = ("array", "counter", "dtype", "output_nr", "version")

    def __init__(self, t):
        self.array, self.dtype, self.output_nr = t._data, t.dtype, t._output_nr
        self.counter = t._version_counter
        self.version = t._version_counter[0]

    def unpack(self, node):
        from .._tensor import Tensor
        from .graph import version_error
        t = Tensor._wrap(self.array, self.dtype)
        t._version_counter = self.counter
        t._requires_grad = True
        t.grad_fn = node
        t._output_nr = self.output_nr
        if self.counter[0] != self.version:
            raise version_error(t, self.counter[0], self.version, node)
        return t


class FunctionCtx:
    """What ``forward``/``setup_context`` use to talk to ``backward`` (mixed into every grad_fn node)."""

    def save_for_backward(self, *tensors) -> None:
        """Keep tensors for backward; in-place changes to them after this are detected."""
        for t in tensors:
            if t is not None and not _is_tensor(t):
                raise TypeError("save_for_backward can only save variables, but argument "
                                f"{tensors.index(t)} is of type {type(t).__name__}")
        self._to_save = tensors

    def save_for_forward(self, *tensors) -> None:
        """Keep tensors for the ``jvp`` staticmethod (forward-mode AD)."""
        self.saved_for_forward = tensors

    def mark_dirty(self, *tensors) -> None:
        """Declare inputs that forward modified in place (they are returned as outputs)."""
        self._dirty = tensors

    def mark_non_differentiable(self, *tensors) -> None:
        """Declare outputs that get no gradient (indices, masks, ...)."""
        self._non_diff = tensors

    def set_materialize_grads(self, value: bool) -> None:
        """If False, backward receives None (not zeros) for outputs that got no gradient."""
        self.materialize_grads = bool(value)

    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to ``save_for_backward``, checked for in-place changes."""
        if self._released:
            raise RuntimeError(FREED_MESSAGE)
        saved = self._saved
        if saved is None:  # forward ran without recording (no input required grad)
            return tuple(self._to_save or ())
        return tuple(s.unpack(self) if s is not None else None for s in saved)

    saved_variables = saved_tensors


class BackwardCFunction(Node, FunctionCtx):
    """The base of every ``<Name>Backward`` node; ``_forward_cls`` is the user's Function class."""

    _forward_cls = None

    def __repr__(self) -> str:  # a Python class, so shown with its module as torch shows it
        return f"<{type(self).__module__}.{type(self).__qualname__} object at {hex(id(self))}>"

    def __init__(self):
        Node.__init__(self, ())
        self._to_save = None
        self._saved = None
        self._dirty = ()
        self._non_diff = ()
        self._released = False
        self._out_meta = ()
        self.materialize_grads = True
        self.needs_input_grad = ()

    def name(self) -> str:
        return type(self).__name__

    @property
    def jvp(self):
        """The Function's ``jvp`` staticmethod: the hook forward-mode AD calls for custom Functions."""
        return self._forward_cls.jvp

    def release(self) -> None:
        if self._saved is not None:
            self._saved = None
            self._to_save = None
            self._released = True

    def apply(self, grads):
        from .._creation import zeros
        from .._tensor import Tensor
        from ..ops._utils import sum_to
        if self.materialize_grads:
            grads = tuple(zeros(shape, dtype=dt) if g is None and shape is not None else g
                          for g, (shape, dt) in zip(grads, self._out_meta))
        res = self._forward_cls.backward(self, *grads)
        if not isinstance(res, tuple):
            res = (res,)
        n = len(self.next_functions)
        if len(res) < n or any(g is not None for g in res[n:]):
            raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients "
                               f"(expected {n}, got {len(res)})")
        out = []
        for i, ((nxt, _), g, meta) in enumerate(zip(self.next_functions, res, self._in_meta)):
            if nxt is None or g is None:
                out.append(None)
                continue
            if not isinstance(g, Tensor):
                raise TypeError(f"{self.name()}.backward returned {type(g).__name__} at index {i}, "
                                "expected a Tensor or None")
            shape, dt = meta
            if tuple(g.shape) != shape:
                try:
                    g = sum_to(g, shape)
                except Exception:  # noqa: BLE001 - any failure means the shapes are incompatible
                    g = None
                if g is None or tuple(g.shape) != shape:
                    raise RuntimeError(
                        f"Function {self.name()} returned an invalid gradient at index {i} - got "
                        f"[{', '.join(map(str, res[i].shape))}] but expected shape compatible with "
                        f"[{', '.join(map(str, shape))}]") from None
            if g.dtype is not dt:
                g = g.to(dt)
            out.append(g)
        return tuple(out)


class _FunctionMeta(type):
    """Gives every Function subclass its own ``<Name>Backward`` node class."""

    def __init__(cls, name, bases, attrs):
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,), {"_forward_cls": cls})
        super().__init__(name, bases, attrs)


class Function(metaclass=_FunctionMeta):
    """Base class for custom differentiable operations (see the module docstring).

    Subclasses define ``forward(ctx, *args)`` (or ``forward(*args)`` plus
    ``setup_context(ctx, inputs, output)``) and ``backward(ctx, *grads)``, both staticmethods, and
    are called through ``Function.apply``. ``jvp(ctx, *tangents)`` is optional (forward-mode AD).
    """

    def __init__(self, *args, **kwargs):
        import warnings
        warnings.warn(f"{type(self)} should not be instantiated. Methods on autograd functions are "
                      "all static, so you should invoke them on the class itself. Instantiating an "
                      "autograd function will raise an error in a future version of PyTorch.",
                      DeprecationWarning, stacklevel=2)

    def __call__(self, *args, **kwargs):
        raise RuntimeError("Legacy autograd function with non-static forward method is deprecated. "
                           "Please use new-style autograd function with static forward method. "
                           "(Example: https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your "
                                  "custom autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("You must implement the jvp function for custom autograd.Function "
                                  "to use it with forward mode AD.")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run forward on ``args`` and, when grad mode is on and an input requires grad, record the node."""
        ctx = cls._backward_cls()
        is_tensor = [_is_tensor(a) for a in args]
        ctx.needs_input_grad = tuple(t and a.requires_grad for t, a in zip(is_tensor, args))
        record = grad_mode.STATE.enabled and any(ctx.needs_input_grad)
        if record:  # edges first: forward may rebase dirtied inputs
            ctx.next_functions = tuple(edge_of(a) if t else (None, 0) for t, a in zip(is_tensor, args))
            ctx._in_meta = tuple((tuple(a.shape), a.dtype) if t else None for t, a in zip(is_tensor, args))
        custom_setup = _find(cls, "setup_context") is not Function.__dict__["setup_context"]
        with grad_mode.no_grad():
            if custom_setup:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(output, tuple)
        outputs = (output,) if single else output
        if not record:
            return output
        outputs = _wrap_outputs(ctx, args, outputs)
        return outputs[0] if single else outputs


def _find(cls, name):
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return klass.__dict__[name]
    return None


def _wrap_outputs(ctx, args, outputs):
    """Attach ``ctx`` as the grad_fn of the outputs and turn the saved tensors into SavedTensors."""
    dirty = {id(t) for t in ctx._dirty}
    non_diff = {id(t) for t in ctx._non_diff}
    input_ids = {id(a) for a in args if _is_tensor(a)}
    new_outputs, meta = [], []
    for i, o in enumerate(outputs):
        if not _is_tensor(o):
            new_outputs.append(o)
            meta.append((None, None))
            continue
        if id(o) in dirty:
            if o.grad_fn is None and o.requires_grad and o._base is None:
                raise RuntimeError("a leaf Variable that requires grad has been used in an in-place "
                                   "operation.")
            o._version_counter[0] += 1  # torch counts mark_dirty as a modification too
        elif id(o) in input_ids:
            o = o.detach()  # an input returned as is: a new tensor object (torch makes a view)
        if id(outputs[i]) in non_diff:
            o._requires_grad = False
            meta.append((None, None))
        elif o.dtype.is_floating_point:
            o._requires_grad = True
            o.grad_fn = ctx
            o._output_nr = i
            meta.append((tuple(o.shape), o.dtype))
        else:
            meta.append((None, None))
        new_outputs.append(o)
    ctx._out_meta = tuple(meta)
    ctx.num_outputs = len(new_outputs)
    out_ids = {id(o): o for o in new_outputs if _is_tensor(o)}
    out_ids.update({id(orig): new for orig, new in zip(outputs, new_outputs) if _is_tensor(orig)})
    saved = []
    for t in ctx._to_save or ():
        if t is None:
            saved.append(None)
        elif id(t) in out_ids and out_ids[id(t)].grad_fn is ctx:
            saved.append(_SavedOutput(out_ids[id(t)]))
        else:
            saved.append(SavedTensor(t))
    ctx._saved = saved
    ctx._to_save = None
    return tuple(new_outputs)


class InplaceFunction(Function):
    """A Function with an ``inplace`` flag (kept for compatibility with torch's legacy API)."""

    def __init__(self, inplace: bool = False):
        self.inplace = inplace


class NestedIOFunction(Function):
    """Legacy torch API; not supported (use Function)."""


class _OnceDifferentiableBackward(Node):
    """Stands behind a once_differentiable backward's results; differentiating it again is an error."""

    __slots__ = ()

    def apply(self, grads):
        raise RuntimeError("trying to differentiate twice a function that was marked with "
                           "@once_differentiable")


def once_differentiable(fn):
    """Decorate a Function's backward that is not itself differentiable (it may use non-ember code)."""
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with grad_mode.no_grad():
            outputs = fn(ctx, *args)
        if not grad_mode.is_grad_enabled():
            return outputs
        needs = [a for a in args if _is_tensor(a) and a.requires_grad]
        if not needs:
            return outputs
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        node = _OnceDifferentiableBackward(tuple(edge_of(a) for a in needs))
        wrapped = []
        for o in outs:
            if _is_tensor(o):
                o = o.detach()
                o._requires_grad = True
                o.grad_fn = node
            wrapped.append(o)
        return wrapped[0] if single else tuple(wrapped)
    return wrapper
