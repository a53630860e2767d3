"""In-place operations under autograd, compared with torch: rebasing, views (CopySlices), errors."""
from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

X0 = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])


def _run(lib, body):
    """Build ``y = x * 1.5 + 0.1`` (a non-leaf), apply ``body``, backward a loss, return x.grad."""
    x = lib.tensor(X0, dtype=lib.float64, requires_grad=True)
    w = lib.tensor(X0[::-1].copy() + 3.0, dtype=lib.float64, requires_grad=True)
    y = x * 1.5 + 0.1
    out = body(lib, y, x, w)
    y = y if out is None else out
    (y * y.detach() + y.sin()).sum().backward()
    return x.grad.numpy(), (w.grad.numpy() if w.grad is not None else None), y.detach().numpy()


INPLACE = {
    "add_": lambda lib, y, x, w: y.add_(w, alpha=2),
    "add_scalar": lambda lib, y, x, w: y.add_(3),
    "iadd": lambda lib, y, x, w: y.__iadd__(w),
    "sub_": lambda lib, y, x, w: y.sub_(w * x),
    "mul_": lambda lib, y, x, w: y.mul_(w),
    "mul_self_saved": lambda lib, y, x, w: y.mul_(x),
    "imul": lambda lib, y, x, w: y.__imul__(2.5),
    "div_": lambda lib, y, x, w: y.div_(w),
    "pow_": lambda lib, y, x, w: y.pow_(2),
    "pow_tensor": lambda lib, y, x, w: y.abs_().pow_(w / 4),
    "exp_": lambda lib, y, x, w: y.exp_(),
    "sigmoid_": lambda lib, y, x, w: y.sigmoid_(),
    "tanh_": lambda lib, y, x, w: y.tanh_(),
    "clamp_": lambda lib, y, x, w: y.clamp_(-0.5, 1.0),
    "relu_": lambda lib, y, x, w: y.relu_(),
    "neg_": lambda lib, y, x, w: y.neg_(),
    "sqrt_": lambda lib, y, x, w: y.abs_().sqrt_(),
    "zero_": lambda lib, y, x, w: y.zero_(),
    "fill_": lambda lib, y, x, w: y.fill_(2.0),
    "copy_": lambda lib, y, x, w: y.copy_(w * 2),
    "masked_fill_": lambda lib, y, x, w: y.masked_fill_(x > 0.4, 7.0),
    "index_add_": lambda lib, y, x, w: y.index_add_(1, lib.tensor([0, 2, 0]), w),
    "scatter_": lambda lib, y, x, w: y.scatter_(1, lib.tensor([[2, 0], [1, 1]]), w[:, :2]),
    "chain": lambda lib, y, x, w: y.mul_(2).add_(w).mul_(x).div_(4).exp_(),
    # indexing assignment on a non-leaf
    "setitem_int": lambda lib, y, x, w: y.__setitem__(0, w[1]),
    "setitem_col": lambda lib, y, x, w: y.__setitem__((slice(None), 1), w[:, 0] * 3),
    "setitem_scalar": lambda lib, y, x, w: y.__setitem__((1, 2), 4.0),
    "setitem_mask": lambda lib, y, x, w: y.__setitem__(x > 0.4, 0.0),
    "setitem_mask_tensor": lambda lib, y, x, w: y.__setitem__(x < 0.4, w[x < 0.4]),
    "setitem_idx_tensor": lambda lib, y, x, w: y.__setitem__(lib.tensor([1, 0]), w * w),
    "setitem_view_of_view": lambda lib, y, x, w: y[0].__setitem__(1, 5.0),
    "setitem_on_transpose": lambda lib, y, x, w: y.t()[2].__setitem__(slice(None), w[0, :2]),
    # in-place on a view of the non-leaf: the base must be rebased (CopySlices)
    "view_mul_": lambda lib, y, x, w: y[0].mul_(w[0]),
    "view_slice_exp_": lambda lib, y, x, w: y[:, 1:].exp_(),
    "view_transpose_add_": lambda lib, y, x, w: y.t().add_(w.t()),
    "view_diagonal_": lambda lib, y, x, w: y.diagonal().mul_(3),
    "view_reshape_": lambda lib, y, x, w: y.view(-1)[1:4].mul_(x.view(-1)[:3]),
    "view_then_base_again": lambda lib, y, x, w: (y[1].mul_(2), y.add_(w))[1],
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_on_nonleaf_matches_torch(name):
    body = INPLACE[name]
    ex, ew, ey = _run(ember, body)
    tx, tw, ty = _run(torch, body)
    np.testing.assert_allclose(ey, ty, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ex, tx, rtol=1e-10, atol=1e-12)
    if tw is None:
        assert ew is None or not np.any(ew)
    else:
        np.testing.assert_allclose(ew, tw, rtol=1e-10, atol=1e-12)


def test_view_made_before_base_changed_reads_new_base():
    for lib in (ember, torch):
        x = lib.tensor(X0, dtype=lib.float64, requires_grad=True)
        y = x * 2
        z = y[0]   # a view made before the base is changed ...
        y.mul_(3)  # ... so z's gradient must flow through this mul
        (z * z).sum().backward()
        if lib is torch:
            expected = x.grad.numpy()
        else:
            got = x.grad.numpy()
    np.testing.assert_allclose(got, expected)


def test_inplace_view_grad_fn_names():
    x = ember.ones(3, requires_grad=True)
    y = x * 2
    z = y[:2]
    z.mul_(2)
    assert y.grad_fn.name() == "CopySlices"
    assert z.grad_fn.name() == "AsStridedBackward0"
    y2 = x * 2
    y2.exp_()
    assert y2.grad_fn.name() == "ExpBackward0"
    assert y2.grad_fn.next_functions[0][0].name() == "MulBackward0"


def _torch_error(fn):
    try:
        fn(torch)
    except Exception as e:  # noqa: BLE001 - the type is what we compare
        return type(e), str(e)
    return None, None


REFUSED = {
    "leaf_add_": lambda lib: lib.ones(3, requires_grad=True).add_(1),
    "leaf_iadd": lambda lib: lib.ones(3, requires_grad=True).__iadd__(1),
    "leaf_zero_": lambda lib: lib.ones(3, requires_grad=True).zero_(),
    "leaf_copy_": lambda lib: lib.ones(3, requires_grad=True).copy_(lib.zeros(3)),
    "leaf_setitem": lambda lib: lib.ones(3, requires_grad=True).__setitem__(0, 2.0),
    "leaf_view_mul_": lambda lib: lib.ones(3, requires_grad=True)[1:].mul_(2),
    "leaf_view_setitem": lambda lib: lib.ones(2, 3, requires_grad=True)[0].__setitem__(1, 2.0),
    "leaf_transpose_fill_": lambda lib: lib.ones(2, 3, requires_grad=True).t().fill_(1.0),
}

KEY = {
    "leaf_add_": "a leaf Variable that requires grad is being used in an in-place operation.",
    "leaf_iadd": "a leaf Variable that requires grad is being used in an in-place operation.",
    "leaf_zero_": "a leaf Variable that requires grad is being used in an in-place operation.",
    "leaf_copy_": "a leaf Variable that requires grad is being used in an in-place operation.",
    "leaf_setitem": "a view of a leaf Variable that requires grad is being used in an in-place",
    "leaf_view_mul_": "a view of a leaf Variable that requires grad is being used in an in-place",
    "leaf_view_setitem": "a view of a leaf Variable that requires grad is being used in an in-place",
    "leaf_transpose_fill_": "a view of a leaf Variable that requires grad is being used in an in-place",
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_like_torch(name):
    t_type, t_msg = _torch_error(REFUSED[name])
    assert t_type is RuntimeError and KEY[name] in t_msg
    with pytest.raises(t_type) as info:
        REFUSED[name](ember)
    assert KEY[name] in str(info.value)


def test_leaf_inplace_allowed_under_no_grad():
    x = ember.ones(3, requires_grad=True)
    with ember.no_grad():
        x.mul_(2)
        x[0] = 5.0
        x[1:].add_(1)
    assert x.is_leaf and x.requires_grad
    np.testing.assert_allclose(x.detach().numpy(), [5, 3, 3])
    assert x._version == 3


def test_version_counter_shared_by_views():
    for lib in (ember, torch):
        y = lib.ones(2, 3)
        v = y[0]
        t = y.t()
        v.add_(1)
        assert (y._version, v._version, t._version) == (1, 1, 1)
        y[1] = 0
        t.mul_(2)
        assert y._version == v._version == t._version == 3
        d = y.detach()
        d.zero_()
        assert y._version == 4


def _version_error(lib, case):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    if case == "saved_input":
        h = x * 1
        y = h * h
        h.add_(1)
    elif case == "saved_result":
        h = x.exp()
        y = h
        h.add_(1)
    elif case == "saved_result_through_view":
        h = x.sigmoid()
        y = h * 2
        h[0] = 0.0
    else:  # the output of an in-place exp_ is saved and modified again
        h = x * 2
        h.exp_()
        y = h
        h.mul_(3)
    try:
        y.sum().backward()
    except RuntimeError as e:
        return str(e)
    return None


@pytest.mark.parametrize("case", ["saved_input", "saved_result", "saved_result_through_view",
                                  "inplace_result"])
def test_modified_saved_tensor_error_matches_torch(case):
    t_msg = _version_error(torch, case)
    e_msg = _version_error(ember, case)
    assert t_msg is not None and e_msg is not None
    key = t_msg.split("Hint:")[0].replace("torch.", "")
    assert e_msg.split("Hint:")[0].replace("ember.", "") == key
    assert "modified by an inplace operation" in e_msg and "set_detect_anomaly" in e_msg


def test_inplace_with_grad_requiring_operand_on_plain_tensor():
    for lib in (ember, torch):
        w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = lib.zeros(3)
        y[1:] = w[:2] * 2   # y did not require grad; now it does
        v = y[:2]
        v.mul_(w[1:])
        assert y.requires_grad and not y.is_leaf
        (y * y).sum().backward()
        if lib is torch:
            expected = w.grad.numpy()
        else:
            got = w.grad.numpy()
    np.testing.assert_allclose(got, expected)


def test_inference_tensor_inplace_outside_inference_mode_is_refused():
    for lib in (ember, torch):
        with lib.inference_mode():
            t = lib.ones(2)
        with pytest.raises(RuntimeError, match="Inplace update to inference tensor outside InferenceMode"):
            t.add_(1)


def test_double_backward_through_inplace_on_views():
    def run(lib):
        x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        y = x * x
        y[1:].mul_(x[:2])
        y[0] = x[2] ** 3
        (g,) = lib.autograd.grad((y * y).sum(), x, create_graph=True)
        (h,) = lib.autograd.grad(g.sum(), x)
        return g.detach().numpy(), h.numpy()

    for e, t in zip(run(ember), run(torch)):
        np.testing.assert_allclose(e, t, rtol=1e-12)
