"""The reverse-mode basics: backward, accumulation, grad(), grad mode, detach, graph lifetime."""
from __future__ import annotations

import gc
import warnings
import weakref

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def test_scalar_backward_and_accumulation():
    x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2, 4, 6])
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5, 7, 9])
    x.grad.zero_()
    np.testing.assert_allclose(x.grad.numpy(), [0, 0, 0])
    x.grad = None
    x.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1, 1, 1])


def test_grad_keeps_identity_and_owns_memory():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = ember.tensor([3.0, 4.0], requires_grad=True)
    (x + y).sum().backward()
    g = x.grad
    x.grad.zero_()  # must not touch y.grad even though one gradient fed both
    np.testing.assert_allclose(y.grad.numpy(), [1, 1])
    (x * 2).sum().backward()
    assert x.grad is g


def test_nonscalar_backward_needs_gradient():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        y.backward()
    y.backward(ember.tensor([1.0, 0.5]))
    np.testing.assert_allclose(x.grad.numpy(), [2, 1])
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(ember.ones(3))


def test_backward_on_tensor_without_grad():
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        ember.ones(2).sum().backward()


def test_broadcasting_is_undone():
    a = ember.tensor([[1.0], [2.0]], requires_grad=True)
    b = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (a * b).sum().backward()
    ta = torch.tensor([[1.0], [2.0]], requires_grad=True)
    tb = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (ta * tb).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy())
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy())
    assert a.grad.shape == a.shape and b.grad.dtype is ember.float32


def test_mixed_dtype_grads_keep_leaf_dtype():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    b = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    out = a * b
    assert out.dtype is ember.float64
    out.sum().backward()
    assert a.grad.dtype is ember.float32 and b.grad.dtype is ember.float64


def test_autograd_grad_single_and_multiple_inputs():
    x = ember.tensor([0.0, 1.0, 2.0], requires_grad=True)
    w = ember.tensor([2.0, 1.0, 3.0], requires_grad=True)
    y = (x * w).sum()
    gx, gw = ember.autograd.grad(y, [x, w])
    np.testing.assert_allclose(gx.numpy(), [2, 1, 3])
    np.testing.assert_allclose(gw.numpy(), [0, 1, 2])
    assert x.grad is None and w.grad is None
    res = ember.autograd.grad((x * 2).sum(), x)
    assert isinstance(res, tuple) and len(res) == 1


def test_autograd_grad_errors_and_allow_unused():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    z = ember.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        ember.autograd.grad(y, [x, z], retain_graph=True)
    _, gz = ember.autograd.grad(y, [x, z], allow_unused=True, retain_graph=True)
    assert gz is None
    _, gz = ember.autograd.grad(y, [x, z], materialize_grads=True, retain_graph=True)
    np.testing.assert_allclose(gz.numpy(), [0, 0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        ember.autograd.grad(y, ember.ones(2))
    a = ember.rand(3, 4, requires_grad=True)
    p = a * 2
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        ember.autograd.grad(p.sum(), a.sum(0))  # a new tensor, not in p's graph


def test_second_backward_raises_unless_retained():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * (np.exp([1, 2]) * np.array([2, 3])), rtol=1e-6)
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.backward()


def test_saved_arrays_are_released_after_backward():
    x = ember.tensor(np.ones(1000, dtype=np.float32), requires_grad=True)
    h = x.exp()
    ref = weakref.ref(h.grad_fn)
    y = (h * h).sum()
    node = y.grad_fn.next_functions[0][0]  # MulBackward0, which saved h twice
    assert node.saved is not None
    y.backward()
    assert node.saved is None
    del y, h, node
    gc.collect()
    assert ref() is None


def test_higher_order_with_create_graph():
    x = ember.tensor(2.0, requires_grad=True)
    y = x ** 3
    (dy,) = ember.autograd.grad(y, x, create_graph=True)
    assert dy.requires_grad
    (d2y,) = ember.autograd.grad(dy, x)
    assert dy.item() == 12.0 and d2y.item() == 12.0


def test_no_grad_forms():
    x = ember.ones(2, requires_grad=True)
    with ember.no_grad():
        assert not (x * 2).requires_grad
        assert not ember.is_grad_enabled()
        with ember.enable_grad():
            assert (x * 2).requires_grad
    assert ember.is_grad_enabled()

    @ember.no_grad()
    def f():
        return x * 2

    assert not f().requires_grad

    @ember.no_grad
    def g():
        return x * 2

    assert not g().requires_grad
    ember.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        ember.set_grad_enabled(True)
    with ember.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad


def test_detach_shares_memory_and_stops_gradient():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    u = y.detach()
    assert not u.requires_grad and u.grad_fn is None
    u[0] = 10.0
    assert y.detach().numpy()[0] == 10.0  # same memory
    z = (u * x).sum()
    z.backward()
    np.testing.assert_allclose(x.grad.numpy(), u.numpy())


def test_requires_grad_rules():
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
        ember.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype"):
        ember.tensor([1, 2], requires_grad=True)
    y = ember.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
        y.requires_grad_(False)
    assert y.is_leaf is False and ember.ones(1).is_leaf


def test_nonleaf_grad_warns_and_retain_grad():
    x = ember.ones(2, requires_grad=True)
    y = x * 2
    with pytest.warns(UserWarning, match="is not a leaf Tensor"):
        assert y.grad is None
    y2 = x * 3
    y2.retain_grad()
    (y2 * y2).sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(y2.grad.numpy(), [6, 6])


def test_numpy_refused_when_requires_grad():
    x = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad"):
        x.numpy()
    assert x.detach().numpy().shape == (2,)


def test_inplace_on_leaf_requiring_grad_is_refused():
    x = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        x += 1
    with ember.no_grad():
        x -= 0.5
    np.testing.assert_allclose(x.detach().numpy(), [0.5, 0.5])


def test_inplace_on_nonleaf_rebases_graph():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y += x
    y.mul_(3)
    y.sum().backward()
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    ty = tx * 2
    ty += tx
    ty.mul_(3)
    ty.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    assert y.grad_fn.name() == ty.grad_fn.name()


def test_modified_saved_tensor_is_detected():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    h = x * 1
    y = h * h
    h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_control_flow_gradient():
    def f(a):
        b = a * 2
        while (b * b).sum() < 1000 ** 2:
            b = b * 2
        return b if b.sum() > 0 else 100 * b

    a = ember.tensor(0.37, requires_grad=True)
    d = f(a)
    d.backward()
    assert bool(a.grad == d / a)


def test_long_chain_has_no_recursion_limit():
    x = ember.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(20000):
        y = y * 1.0
    y.sum().backward()
    assert x.grad.item() == 1.0


def test_hooks_can_replace_gradients():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g * 10)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [20, 20])
    x2 = ember.tensor([1.0, 2.0], requires_grad=True)
    x2.register_hook(lambda g: g + 1)
    (x2 * 3).sum().backward()
    np.testing.assert_allclose(x2.grad.numpy(), [4, 4])


def test_grad_fn_next_functions():
    x = ember.ones(2, requires_grad=True)
    y = x * 2
    nf = y.grad_fn.next_functions
    assert nf[0][0].name() == "ember::autograd::AccumulateGrad" and nf[0][0].variable is x and nf[1] == (None, 0)
    z = x * y
    assert z.grad_fn.next_functions[0][0] is nf[0][0]
