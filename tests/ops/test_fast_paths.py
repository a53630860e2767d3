"""The speed-ups of issue 7 keep torch's results: the registry's same-dtype fast path, Linear's
layout-aware weight gradient, tiled average pooling, and the x ** 2 backward."""
import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _pair(arr, requires_grad=False):
    return (ember.tensor(arr, requires_grad=requires_grad), torch.tensor(arr, requires_grad=requires_grad))


@pytest.mark.parametrize("scalar", [2, 2.5, True, 2 ** 60 + 2 ** 36 + 1, -7, 1e-30])
@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.float64, np.int64])
def test_python_scalar_operands_match_torch(scalar, dtype):
    if dtype is np.float16 and abs(scalar) > 65504:
        pytest.skip("torch multiplies half by a huge int in float32 (0 * 2**60 is 0, not nan)")
    arr = (np.arange(6) - 2).astype(dtype)
    e, t = _pair(arr)
    ops = [lambda a, s: a * s, lambda a, s: a + s]
    if scalar is not True:  # bool - tensor is an error in both
        ops.append(lambda a, s: s - a)
    for op in ops:
        r_e, r_t = op(e, scalar), op(t, scalar)
        assert str(r_e.dtype).split(".")[-1] == str(r_t.dtype).split(".")[-1]
        np.testing.assert_array_equal(r_e.numpy(), r_t.numpy())


def test_mixed_float_dtypes_still_promote():
    e = ember.ones(3, dtype=ember.float16) + ember.ones((), dtype=ember.float64)
    t = torch.ones(3, dtype=torch.float16) + torch.ones((), dtype=torch.float64)
    assert str(e.dtype) == "ember.float16" and str(t.dtype) == "torch.float16"
    e = ember.ones(3, dtype=ember.float16) + ember.ones(3, dtype=ember.float32)
    assert str(e.dtype) == "ember.float32"


def test_linear_weight_grad_is_row_major_and_matches_torch():
    rs = np.random.RandomState(0)
    x, w, b = (rs.randn(16, 20).astype(np.float32), rs.randn(8, 20).astype(np.float32),
               rs.randn(8).astype(np.float32))
    grads = []
    for lib in (ember, torch):
        xt = lib.tensor(x, requires_grad=True)
        wt, bt = lib.tensor(w, requires_grad=True), lib.tensor(b, requires_grad=True)
        (lib.nn.functional.linear(xt, wt, bt) ** 2).sum().backward()
        assert wt.grad.is_contiguous() and wt.grad.stride() == (20, 1)
        grads.append([g.numpy() for g in (xt.grad, wt.grad, bt.grad)])
    for ge, gt in zip(*grads):
        np.testing.assert_allclose(ge, gt, rtol=1e-5, atol=1e-5)


def test_linear_on_data_without_grad_skips_its_gradient():
    x = ember.randn(4, 5)
    w = ember.randn(3, 5, requires_grad=True)
    b = ember.randn(3, requires_grad=True)
    y = ember.nn.functional.linear(x, w, b)
    assert y.grad_fn.name() == "AddmmBackward0"
    assert y.grad_fn.saved[2] is None  # W.t() is kept only for x's gradient, which x does not need
    y.sum().backward()
    assert w.grad.shape == (3, 5)


@pytest.mark.parametrize("shape,kernel,stride,ceil_mode", [
    ((2, 3, 8, 8), 2, None, False), ((2, 3, 7, 7), 2, None, True), ((2, 3, 7, 9), 2, None, False),
    ((1, 2, 9, 9), 3, 3, False), ((1, 2, 9, 9), 3, 2, False)])
def test_avg_pool2d_bit_identical(shape, kernel, stride, ceil_mode):
    x = np.random.RandomState(1).randn(*shape).astype(np.float32)
    out = []
    for lib in (ember, torch):
        t = lib.tensor(x, requires_grad=True)
        y = lib.nn.functional.avg_pool2d(t, kernel, stride, ceil_mode=ceil_mode)
        g = lib.tensor(np.random.RandomState(2).randn(*y.shape).astype(np.float32))
        y.backward(g)
        out.append((y.detach().numpy(), t.grad.numpy()))
    np.testing.assert_array_equal(out[0][0], out[1][0])  # taps summed in torch's order
    if stride in (None, kernel):  # tiled windows: each input gets one value, exactly
        np.testing.assert_array_equal(out[0][1], out[1][1])
    else:  # overlapping windows add up in another order than torch's
        np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-6, atol=1e-7)


def test_square_backward_and_double_backward_match_torch():
    x = np.linspace(-2, 3, 7).astype(np.float32)
    res = []
    for lib in (ember, torch):
        t = lib.tensor(x, requires_grad=True)
        (g,) = lib.autograd.grad((t ** 2).sum() * 1.5, t, create_graph=True)
        (gg,) = lib.autograd.grad((g ** 2.0).sum(), t)
        res.append((g.detach().numpy(), gg.numpy()))
    np.testing.assert_array_equal(res[0][0], res[1][0])
    np.testing.assert_array_equal(res[0][1], res[1][1])
