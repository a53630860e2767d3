"""Custom autograd Functions: the same class body written for ember and for torch gives the same results."""
from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def make_functions(lib):
    """The same custom Functions, built on ``lib`` (ember or torch)."""
    F = lib.autograd.Function

    class MyExp(F):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)  # an output: saved without a reference cycle
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y

    class ScaledMul(F):
        """x * y * scale with a non-tensor argument; only the needed gradients are computed."""

        @staticmethod
        def forward(ctx, x, y, scale):
            ctx.save_for_backward(x, y)
            ctx.scale = scale
            return x * y * scale

        @staticmethod
        def backward(ctx, grad):
            x, y = ctx.saved_tensors
            gx = grad * y * ctx.scale if ctx.needs_input_grad[0] else None
            gy = grad * x * ctx.scale if ctx.needs_input_grad[1] else None
            return gx, gy, None

    class SortWithIndex(F):
        """Two outputs, one marked non-differentiable."""

        @staticmethod
        def forward(ctx, x):
            values, idx = x.sort()
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            ctx.n = x.shape[0]
            return values, idx

        @staticmethod
        def backward(ctx, grad_values, grad_idx):
            (idx,) = ctx.saved_tensors
            out = lib.zeros(ctx.n, dtype=grad_values.dtype)
            return out.scatter(0, idx, grad_values)

    class Square(F):
        """setup_context style: forward has no ctx."""

        @staticmethod
        def forward(x):
            return x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            (x,) = inputs
            ctx.save_for_backward(x)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x * grad

    class AddOneInplace(F):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad

    class NoMaterialize(F):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            ctx.seen = (g1 is None, g2 is None)
            total = 0
            if g1 is not None:
                total = total + g1 * 2
            if g2 is not None:
                total = total + g2 * 3
            return total

    class Materialize(F):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            ctx.seen = (g1 is None, g2 is None)
            return g1 * 2 + g2 * 3

    class Once(F):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        @lib.autograd.function.once_differentiable
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 3 * x * x * grad

    class WrongCount(F):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, grad):
            return grad

    class WrongShape(F):
        @staticmethod
        def forward(ctx, x):
            return x.sum()

        @staticmethod
        def backward(ctx, grad):
            return lib.ones(5)

    return {k: v for k, v in locals().items() if isinstance(v, type)}


E = make_functions(ember)
T = make_functions(torch)
X = np.array([0.3, -1.2, 2.0, 0.7])


def both(fn):
    """Run fn(lib, funcs) for ember and torch; return both results as numpy."""
    out = []
    for lib, funcs in ((ember, E), (torch, T)):
        out.append(fn(lib, funcs))
    return out


def _np(t):
    return t.detach().numpy() if t is not None else None


def test_forward_backward_and_names():
    def run(lib, f):
        x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
        y = f["MyExp"].apply(x)
        assert type(y.grad_fn).__name__ == "MyExpBackward" and y.grad_fn.name() == "MyExpBackward"
        (y * x).sum().backward()
        return _np(y), _np(x.grad)

    (ey, eg), (ty, tg) = both(run)
    np.testing.assert_allclose(ey, ty)
    np.testing.assert_allclose(eg, tg)


def test_non_tensor_args_and_needs_input_grad():
    def run(lib, f):
        x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
        y = lib.tensor(X[::-1].copy(), dtype=lib.float64)
        z = f["ScaledMul"].apply(x, y, 2.5)
        assert z.grad_fn.needs_input_grad == (True, False, False)
        assert z.grad_fn.scale == 2.5  # ctx is the grad_fn
        z.sum().backward()
        return _np(x.grad), y.grad

    (eg, eyg), (tg, tyg) = both(run)
    np.testing.assert_allclose(eg, tg)
    assert eyg is None and tyg is None


def test_no_input_requires_grad_records_nothing():
    for lib, f in ((ember, E), (torch, T)):
        z = f["MyExp"].apply(lib.ones(2))
        assert z.grad_fn is None and not z.requires_grad
        x = lib.ones(2, requires_grad=True)
        with lib.no_grad():
            assert f["MyExp"].apply(x).grad_fn is None


def test_mark_non_differentiable_and_multiple_outputs():
    def run(lib, f):
        x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
        values, idx = f["SortWithIndex"].apply(x)
        assert values.requires_grad and not idx.requires_grad
        (values * lib.arange(4, dtype=lib.float64)).sum().backward()
        return _np(values), idx.numpy(), _np(x.grad)

    e, t = both(run)
    for a, b in zip(e, t):
        np.testing.assert_allclose(a, b)


def test_setup_context_style():
    def run(lib, f):
        x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
        y = f["Square"].apply(x)
        y.sum().backward()
        return _np(y), _np(x.grad)

    e, t = both(run)
    for a, b in zip(e, t):
        np.testing.assert_allclose(a, b)


def test_mark_dirty():
    def run(lib, f):
        x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
        h = x * 2
        out = f["AddOneInplace"].apply(h)
        assert out is h or lib is ember
        assert h._version == 2  # add_ and mark_dirty each bump it
        assert h.grad_fn.name() == "AddOneInplaceBackward"
        (out * out).sum().backward()
        return _np(out), _np(x.grad)

    e, t = both(run)
    for a, b in zip(e, t):
        np.testing.assert_allclose(a, b)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        T["AddOneInplace"].apply(torch.ones(2, requires_grad=True))
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        E["AddOneInplace"].apply(ember.ones(2, requires_grad=True))


@pytest.mark.parametrize("name", ["NoMaterialize", "Materialize"])
def test_materialize_grads(name):
    def run(lib, f):
        x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
        a, _ = f[name].apply(x)
        a.sum().backward()
        return a.grad_fn.seen, _np(x.grad)

    (es, eg), (ts, tg) = both(run)
    assert es == ts
    np.testing.assert_allclose(eg, tg)


def test_double_backward_through_custom_backward():
    def run(lib, f):
        x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
        y = f["Square"].apply(f["MyExp"].apply(x))
        (g,) = lib.autograd.grad(y.sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x)
        return _np(g), _np(gg)

    e, t = both(run)
    for a, b in zip(e, t):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_once_differentiable():
    for lib, f in ((ember, E), (torch, T)):
        x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
        y = f["Once"].apply(x)
        (g,) = lib.autograd.grad(y.sum(), x)
        np.testing.assert_allclose(_np(g), 3 * X * X)
        y = f["Once"].apply(x)
        (g,) = lib.autograd.grad((y * y).sum(), x, create_graph=True)  # y's grad requires grad
        with pytest.raises(RuntimeError, match="trying to differentiate twice a function that was marked"):
            g.sum().backward()


def test_backward_returning_wrong_number_or_shape():
    for lib, f in ((ember, E), (torch, T)):
        x = lib.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="returned an incorrect number of gradients"):
            f["WrongCount"].apply(x, lib.ones(3, requires_grad=True)).sum().backward()
        with pytest.raises(RuntimeError, match="returned an invalid gradient at index 0"):
            f["WrongShape"].apply(x).backward()


def test_saved_tensors_freed_and_checked():
    for lib, f in ((ember, E), (torch, T)):
        x = lib.tensor(X, requires_grad=True)
        h = x * 1
        y = f["ScaledMul"].apply(h, x, 1.0)
        y.sum().backward()
        with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
            y.sum().backward()
        h = x * 1
        y = f["ScaledMul"].apply(h, x, 1.0)
        h.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()


def test_saved_output_makes_no_reference_cycle():
    x = ember.tensor(X, requires_grad=True)
    y = E["MyExp"].apply(x)
    ref = weakref.ref(y.grad_fn)
    gc.disable()
    try:
        del y
        assert ref() is None  # freed by reference counting alone
    finally:
        gc.enable()


def test_function_instantiation_and_jvp_hook():
    y = E["MyExp"].apply(ember.ones(2, requires_grad=True))
    assert y.grad_fn.jvp is E["MyExp"].jvp  # forward-mode AD looks the rule up here
    with pytest.raises(NotImplementedError):
        y.grad_fn.jvp(None, None)
