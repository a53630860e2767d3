"""Graph lifetime, autograd.grad/backward arguments and errors, higher order, hooks, anomaly mode,
inference mode and the legacy Variable, each compared with torch."""
from __future__ import annotations

import gc
import time
import warnings
import weakref

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

LIBS = (ember, torch)


def _err(fn, lib):
    """(type, message) of what fn(lib) raises, or (None, None)."""
    try:
        fn(lib)
    except Exception as e:  # noqa: BLE001 - compared between the libraries
        return type(e), str(e)
    return None, None


def _same_error(fn, key):
    t_type, t_msg = _err(fn, torch)
    e_type, e_msg = _err(fn, ember)
    assert t_type is not None and key in t_msg, t_msg
    assert e_type is t_type, (e_type, e_msg)
    assert key in e_msg, e_msg


# --------------------------------------------------------------------------- graph lifetime
def _second_backward(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    y.backward()


def _second_grad(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = (x.sin() * x).sum()
    lib.autograd.grad(y, x)
    lib.autograd.grad(y, x)


def _backward_after_grad(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = (x.tanh() ** 2).sum()
    lib.autograd.grad(y, [x])
    y.backward()


@pytest.mark.parametrize("fn", [_second_backward, _second_grad, _backward_after_grad])
def test_freed_graph_raises_like_torch(fn):
    _same_error(fn, "Trying to backward through the graph a second time")


def test_retained_graph_can_be_reused():
    for lib in LIBS:
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x.exp() * x).sum()
        y.backward(retain_graph=True)
        lib.autograd.grad(y, x, retain_graph=True)
        y.backward()
        np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp([1, 2]) * np.array([2, 3]), rtol=1e-6)


def test_saved_arrays_are_released_after_backward():
    x = ember.tensor(np.linspace(0, 1, 1000), requires_grad=True)
    h = x.sin()           # saved by MulBackward0 below
    e = x.exp()           # ExpBackward0 saves its result
    y = (h * e).sum()
    refs = [weakref.ref(h._data), weakref.ref(e._data)]
    del h, e
    gc.collect()
    assert all(r() is not None for r in refs)   # the graph keeps them
    y.backward(retain_graph=True)
    assert all(r() is not None for r in refs)   # retained
    y.backward()
    assert all(r() is None for r in refs)       # freed by the pass, while y is still alive


def test_saved_arrays_released_after_grad():
    x = ember.tensor(np.linspace(0, 1, 100), requires_grad=True)
    h = x.cos()
    y = (h * h).sum()
    ref = weakref.ref(h._data)
    del h
    ember.autograd.grad(y, x)
    assert ref() is None


def test_long_chain_backward_is_iterative_and_fast():
    x = ember.tensor([1.0], dtype=ember.float64, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0001
    start = time.perf_counter()
    y.sum().backward()  # recursion would fail long before 100,000 nested calls
    elapsed = time.perf_counter() - start
    np.testing.assert_allclose(x.grad.numpy(), [1.0001 ** 100_000], rtol=1e-3)
    assert elapsed < 10


def test_deep_graph_has_no_reference_cycles():
    from ember.autograd.graph import Node
    gc.collect()
    gc.disable()
    old = gc.get_debug()
    try:
        gc.set_debug(gc.DEBUG_SAVEALL)
        x = ember.randn(4, 4, requires_grad=True)
        y = x
        for i in range(2000):
            y = (y * 1.001 + 0.1).tanh() if i % 2 else y[1:].sum(0) * 0.5 + y
        z = y.sum()
        z.retain_grad()
        y.register_hook(lambda g: g)
        z.backward()
        view_base = x * 2
        view_base[0].mul_(2)  # CopySlices and the rebased view
        view_base.sum().backward()
        del x, y, z, view_base, i
        gc.collect()
        leaked = [o for o in gc.garbage if isinstance(o, (ember.Tensor, Node))]
        assert leaked == []
    finally:
        gc.set_debug(old)
        gc.garbage.clear()
        gc.enable()


# --------------------------------------------------------------------------- backward / grad arguments
def test_grad_with_sequences_grad_outputs_and_create_graph():
    def run(lib):
        x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        w = lib.tensor([[1.0, 2.0], [0.5, -1.0], [3.0, 0.0]], dtype=lib.float64, requires_grad=True)
        a = (x @ w).sin()
        b = (x * x).sum()
        ga, gb = lib.tensor([1.0, -2.0], dtype=lib.float64), lib.tensor(3.0, dtype=lib.float64)
        gx, gw = lib.autograd.grad([a, b], (x, w), grad_outputs=[ga, gb], create_graph=True)
        assert gx.requires_grad and gw.requires_grad
        (h,) = lib.autograd.grad(gx.sum() + gw.pow(2).sum(), x)
        return gx.detach().numpy(), gw.detach().numpy(), h.numpy()

    for e, t in zip(run(ember), run(torch)):
        np.testing.assert_allclose(e, t, rtol=1e-12)


def test_grad_allow_unused_and_materialize():
    for lib in LIBS:
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        z = lib.tensor([3.0], requires_grad=True)
        y = (x * 2).sum()
        _, gz = lib.autograd.grad(y, [x, z], allow_unused=True, retain_graph=True)
        assert gz is None
        _, gz = lib.autograd.grad(y, [x, z], materialize_grads=True)
        np.testing.assert_allclose(gz.numpy(), [0.0])


def test_grad_is_grads_batched():
    def run(lib):
        x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        y = x.exp() * x
        eye = lib.eye(3, dtype=lib.float64)
        (jac,) = lib.autograd.grad(y, x, grad_outputs=eye, is_grads_batched=True)
        return jac.numpy()

    np.testing.assert_allclose(run(ember), run(torch), rtol=1e-12)


def test_backward_with_inputs_and_sequences():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([3.0, 4.0], requires_grad=True)
        a, b = (x * w).sum(), (x + w).prod()
        lib.autograd.backward([a, b], [lib.tensor(1.0), lib.tensor(2.0)], inputs=[x])
        assert w.grad is None
        return x.grad.numpy()

    np.testing.assert_allclose(run(ember), run(torch))


ERRORS = {
    "unused input": (
        lambda lib: lib.autograd.grad((lib.ones(2, requires_grad=True) * 2).sum(),
                                      lib.ones(2, requires_grad=True)),
        ("The differentiated Tensor at index 0 appears to not have been used in the graph. Set "
         "allow_unused=True if this is the desired behavior.")),
    "output without grad": (
        lambda lib: lib.autograd.grad(lib.ones(2).sum(), lib.ones(2, requires_grad=True)),
        "element 0 of tensors does not require grad and does not have a grad_fn"),
    "backward without grad": (
        lambda lib: lib.ones(2).sum().backward(),
        "element 0 of tensors does not require grad and does not have a grad_fn"),
    "second output without grad": (
        lambda lib: lib.autograd.backward([lib.ones(2, requires_grad=True).sum(), lib.ones(2).sum()]),
        "element 1 of tensors does not require grad and does not have a grad_fn"),
    "non-scalar backward": (
        lambda lib: (lib.ones(2, requires_grad=True) * 2).backward(),
        "grad can be implicitly created only for scalar outputs"),
    "non-scalar grad": (
        lambda lib: _nonscalar_grad(lib),
        "grad can be implicitly created only for scalar outputs"),
    "input without grad": (
        lambda lib: lib.autograd.grad((lib.ones(2, requires_grad=True) * 2).sum(), lib.ones(2)),
        "One of the differentiated Tensors does not require grad"),
    "shape mismatch": (
        lambda lib: (lib.ones(2, requires_grad=True) * 2).backward(lib.ones(3)),
        "Mismatch in shape"),
}


def _nonscalar_grad(lib):
    x = lib.ones(2, requires_grad=True)
    lib.autograd.grad(x * 2, x)


def _slice_not_in_graph(lib):
    a = lib.rand(3, 4, requires_grad=True)
    p = a.exp() / a.exp().sum(0)
    lib.autograd.grad(p[0, 0], a[:, 0])  # a slice of a is a new tensor, not in p's graph


ERRORS["slice of input"] = (_slice_not_in_graph, "appears to not have been used in the graph")


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match_torch(name):
    fn, key = ERRORS[name]
    _same_error(fn, key)


def test_seed002_style_autograd_grad():
    out = []
    for lib in LIBS:
        x = lib.arange(3).float()
        w = lib.tensor([2, 1, 3.0])
        x.requires_grad_()
        y = x @ w
        dx = lib.autograd.grad(y, x)
        assert isinstance(dx, tuple) and len(dx) == 1
        w.requires_grad_()
        y = x @ w
        dx, dw = lib.autograd.grad(y, [x, w])
        a = lib.tensor([[0.5, 0.1, 0.9, 0.3], [0.2, 0.8, 0.4, 0.7], [0.6, 0.0, 0.35, 0.95]])
        a.requires_grad_()
        p = a.exp() / a.exp().sum(0)
        (da,) = lib.autograd.grad(p[0, 0], a, retain_graph=True)
        out.append((dx.numpy(), dw.numpy(), da.numpy(), p.detach().numpy()))
    for e, t in zip(*out):
        np.testing.assert_allclose(e, t, rtol=1e-6, atol=1e-7)


# --------------------------------------------------------------------------- higher order
def _composite(lib, x):
    return (x.sin() * x.exp() / (1 + x * x)).sum() + (x.tanh() ** 3).prod()


def test_second_and_third_order_match_torch():
    def run(lib):
        x = lib.tensor([0.3, -0.7, 1.1], dtype=lib.float64, requires_grad=True)
        y = _composite(lib, x)
        (g1,) = lib.autograd.grad(y, x, create_graph=True)
        (g2,) = lib.autograd.grad(g1.sum(), x, create_graph=True)
        (g3,) = lib.autograd.grad((g2 * g2).sum(), x)
        return g1.detach().numpy(), g2.detach().numpy(), g3.numpy()

    for e, t in zip(run(ember), run(torch)):
        np.testing.assert_allclose(e, t, rtol=1e-10)


def test_backward_with_create_graph_accumulates_a_graph():
    def run(lib):
        x = lib.tensor([0.3, -0.7], dtype=lib.float64, requires_grad=True)
        (x ** 3).sum().backward(create_graph=True)
        g = x.grad
        assert g.requires_grad and g.grad_fn is not None
        (x * x).sum().backward(create_graph=True)  # accumulates, still with a graph
        first = x.grad.detach().numpy().copy()
        (h,) = lib.autograd.grad(x.grad.sum(), x)
        return first, h.numpy()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about the reference cycle create_graph makes
        for e, t in zip(run(ember), run(torch)):
            np.testing.assert_allclose(e, t, rtol=1e-12)


# --------------------------------------------------------------------------- hooks
def test_tensor_hooks_replace_gradients_and_remove():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        seen = []
        hx = x.register_hook(lambda g: seen.append(g.clone()) or g * 10)
        y = x * x
        hy = y.register_hook(lambda g: g + 1)
        y.sum().backward()
        first = x.grad.clone()
        hx.remove()
        hy.remove()
        x.grad = None
        (x * x).sum().backward()
        return first.numpy(), x.grad.numpy(), seen[0].numpy()

    for e, t in zip(run(ember), run(torch)):
        np.testing.assert_allclose(e, t)


def test_retain_grad_and_nonleaf_warning():
    for lib in LIBS:
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        z = x * 4
        y.retain_grad()
        (y * y + z).sum().backward()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            np.testing.assert_allclose(y.grad.numpy(), [6.0, 12.0])
        assert y.retains_grad and not z.retains_grad
        with pytest.warns(UserWarning, match="is not a leaf Tensor is being accessed"):
            assert z.grad is None


def test_retain_grad_follows_inplace_rebase():
    def run(lib):
        x = lib.ones(3, requires_grad=True)
        y = x * 2
        y.retain_grad()
        y.mul_(3)
        w = x * 2
        v = w[:2]
        v.retain_grad()
        v.mul_(3)  # torch: a view's retained grad is not kept across an in-place op
        (y * y).sum().backward()
        (w * w).sum().backward()
        return y.grad.numpy(), v.grad, x.grad.numpy()

    (ey, ev, ex), (ty, tv, tx) = run(ember), run(torch)
    np.testing.assert_allclose(ey, ty)
    assert ev is None and tv is None
    np.testing.assert_allclose(ex, tx)


def test_node_hooks_prehooks_and_introspection():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([3.0, 4.0])
        y = x * w
        fn = y.grad_fn
        names = (fn.name(), type(fn).__name__, type(fn.next_functions[0][0]).__name__,
                 fn.next_functions[1])
        log = []
        fn.register_prehook(lambda grad_outputs: (grad_outputs[0] * 2,))
        h = fn.register_hook(lambda grad_inputs, grad_outputs: log.append(
            (grad_inputs[0].numpy().copy(), grad_outputs[0].numpy().copy())))
        y.sum().backward(retain_graph=True)
        h.remove()
        y.sum().backward()
        return names, log, x.grad.numpy()

    (en, el, eg), (tn, tl, tg) = run(ember), run(torch)
    assert en == tn[:3] + (en[3],) and en[3] == (None, 0) and tn[3] == (None, 0)
    assert len(el) == len(tl) == 1
    for a, b in zip(el[0], tl[0]):
        np.testing.assert_allclose(a, b)
    np.testing.assert_allclose(eg, tg)


def test_post_accumulate_grad_hook():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        seen = []

        def hook(t):
            seen.append(t.grad.clone())
            with lib.no_grad():
                t.grad.mul_(0.5)  # e.g. an optimizer step in the hook

        h = x.register_post_accumulate_grad_hook(hook)
        (x * x).sum().backward()
        h.remove()
        (x * x).sum().backward()
        return seen[0].numpy(), len(seen), x.grad.numpy()

    e, t = run(ember), run(torch)
    np.testing.assert_allclose(e[0], t[0])
    assert e[1] == t[1] == 1
    np.testing.assert_allclose(e[2], t[2])
    _same_error(lambda lib: (lib.ones(1, requires_grad=True) * 2).register_post_accumulate_grad_hook(print),
                "post accumulate grad hooks cannot be registered on non-leaf tensors")


def test_hook_on_tensor_without_grad_is_refused():
    _same_error(lambda lib: lib.ones(2).register_hook(print),
                "cannot register a hook on a tensor that doesn't require gradient")


# --------------------------------------------------------------------------- anomaly mode
def _nan_backward(lib):
    with lib.autograd.detect_anomaly():
        x = lib.tensor([0.0, 1.0], requires_grad=True)
        y = x.sqrt() * 0  # grad of sqrt at 0 is inf; times 0 gives NaN in SqrtBackward0
        y.sum().backward()


def test_detect_anomaly_nan_error_and_trace():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t_type, t_msg = _err(_nan_backward, torch)
    with warnings.catch_warnings(record=True) as e_caught:
        warnings.simplefilter("always")
        e_type, e_msg = _err(_nan_backward, ember)
    assert t_type is e_type is RuntimeError
    assert e_msg == t_msg == "Function 'SqrtBackward0' returned nan values in its 0th output."
    e_texts = [str(w.message) for w in e_caught]
    assert any("Anomaly Detection has been enabled" in m for m in e_texts)
    trace = [m for m in e_texts if m.startswith("Error detected in SqrtBackward0")]
    assert trace and "x.sqrt()" in trace[0]  # the forward line that made the node
    assert any(str(w.message).startswith("Error detected in SqrtBackward0") for w in caught)


def test_set_detect_anomaly_and_off_by_default():
    assert not ember.autograd.is_anomaly_enabled()
    x = ember.tensor([0.0], requires_grad=True)
    (x.sqrt() * 0).sum().backward()  # NaN is fine when anomaly mode is off
    assert np.isnan(x.grad.numpy()).all()
    ember.autograd.set_detect_anomaly(True)
    try:
        assert ember.autograd.is_anomaly_enabled()
        x = ember.tensor([0.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="returned nan values"), pytest.warns(UserWarning):
            (x.sqrt() * 0).sum().backward()
    finally:
        ember.autograd.set_detect_anomaly(False)
    with ember.autograd.set_detect_anomaly(True, check_nan=False):
        assert not ember.autograd.is_anomaly_check_nan_enabled()
        x = ember.tensor([0.0], requires_grad=True)
        (x.sqrt() * 0).sum().backward()
    assert not ember.autograd.is_anomaly_enabled()


# --------------------------------------------------------------------------- inference mode, Variable
def test_inference_mode_tensors():
    for lib in LIBS:
        with lib.inference_mode():
            a = lib.ones(3)
            b = a * 2
            assert lib.is_inference_mode_enabled() and not b.requires_grad
        assert a.is_inference() and b.is_inference() and not lib.ones(1).is_inference()
        with lib.no_grad():
            assert not lib.ones(1).is_inference()
    _same_error(lambda lib: _use_inference_tensor(lib),
                "Inference tensors cannot be saved for backward.")


def _use_inference_tensor(lib):
    with lib.inference_mode():
        a = lib.ones(3)
    x = lib.ones(3, requires_grad=True)
    (x * a).sum().backward()


def test_variable_is_a_legacy_alias():
    for lib in LIBS:
        v = lib.autograd.Variable(lib.tensor([1.0, 2.0]), requires_grad=True)
        assert isinstance(v, lib.Tensor) and v.requires_grad and v.is_leaf
        assert isinstance(lib.ones(1), lib.autograd.Variable)
        (v * v).sum().backward()
        np.testing.assert_allclose(v.grad.numpy(), [2.0, 4.0])


def test_next_functions_of_reflected_scalar_ops_follow_torch():
    """2 + x and 2 * x are x.add(2) / x.mul(2) in torch: the leaf's edge comes first."""
    torch = pytest.importorskip("torch")
    for expr in ("2 + x", "2 * x", "x + 2"):
        names = []
        for lib in (torch, ember):
            x = lib.ones(3, requires_grad=True)
            y = eval(expr, {"x": x})
            names.append([None if n is None else n.name().split("::")[-1] for n, _ in y.grad_fn.next_functions])
        assert names[0] == names[1], expr
