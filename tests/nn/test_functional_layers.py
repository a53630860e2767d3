"""ember.nn.functional layers beyond the op_db values: errors in torch's words, grad_fn names, batch
norm's running statistics, dropout's statistics and train/eval behaviour, conv shapes (hypothesis)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
import ember.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _pair(x, requires_grad=False):
    return (ember.tensor(x, requires_grad=requires_grad), torch.tensor(x, requires_grad=requires_grad))


def _raises_like(fn_e, fn_t, phrase=None):
    """Both raise the same exception type; the key phrase appears in ember's message."""
    with pytest.raises(Exception) as t_err:
        fn_t()
    with pytest.raises(type(t_err.value)) as e_err:
        fn_e()
    if phrase is not None:
        assert phrase in str(t_err.value)
        assert phrase in str(e_err.value)


R = np.random.default_rng(0)
X4 = R.standard_normal((2, 3, 8, 8)).astype(np.float32)
W4 = R.standard_normal((4, 3, 3, 3)).astype(np.float32)


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize("call, phrase", [
    (lambda lib, x, w: lib.nn.functional.conv2d(x[0, 0], w),
     "Expected 3D (unbatched) or 4D (batched) input to conv2d"),
    (lambda lib, x, w: lib.nn.functional.conv2d(x, w[:, :2]), "to have 2 channels, but got 3 channels"),
    (lambda lib, x, w: lib.nn.functional.conv2d(x[:, :, :2, :2], w),
     "Kernel size can't be greater than actual input size"),
    (lambda lib, x, w: lib.nn.functional.conv1d(x, w[:, :, 0]),
     "Expected 2D (unbatched) or 3D (batched) input to conv1d"),
    (lambda lib, x, w: lib.nn.functional.conv2d(x, w, stride=2, padding="same"),
     "padding='same' is not supported for strided convolutions"),
    (lambda lib, x, w: lib.nn.functional.conv2d(x, w, groups=2), "expected input[2, 3, 8, 8] to have 6"),
    (lambda lib, x, w: lib.nn.functional.conv2d(x, w, stride=0), "non-positive stride is not supported"),
    (lambda lib, x, w: lib.nn.functional.conv2d(x, w, bias=lib.zeros(3)),
     "expected bias to be 1-dimensional with 4 elements"),
    (lambda lib, x, w: lib.nn.functional.max_pool2d(x[0, 0, 0], 2),
     "non-empty 3D or 4D (batch mode) tensor expected for input"),
    (lambda lib, x, w: lib.nn.functional.max_pool2d(x, 5, padding=3),
     "pad should be at most half of effective kernel size"),
    (lambda lib, x, w: lib.nn.functional.avg_pool2d(x, 2, stride=0), "stride should not be zero"),
    (lambda lib, x, w: lib.nn.functional.layer_norm(x, (7,)),
     "Given normalized_shape=[7], expected input with shape [*, 7]"),
    (lambda lib, x, w: lib.nn.functional.group_norm(x, 2),
     "Expected number of channels in input to be divisible by num_groups"),
    (lambda lib, x, w: lib.nn.functional.batch_norm(x[:1, :, 0, 0], None, None, training=True),
     "Expected more than 1 value per channel when training"),
    (lambda lib, x, w: lib.nn.functional.batch_norm(x, None, None), "must be defined in evaluation mode"),
    (lambda lib, x, w: lib.nn.functional.batch_norm(x, lib.zeros(4), lib.ones(4), training=True),
     "running_mean should contain 3 elements not 4"),
    (lambda lib, x, w: lib.nn.functional.pad(x, (1,), ), "Padding length must be divisible by 2"),
    (lambda lib, x, w: lib.nn.functional.pad(x, (1, 1), mode="reflect"),
     "Padding size 2 is not supported for 4D input tensor"),
    (lambda lib, x, w: lib.nn.functional.pad(x, (8, 8, 1, 1), mode="reflect"),
     "Padding size should be less than the corresponding input dimension"),
    (lambda lib, x, w: lib.nn.functional.dropout(x, p=1.5),
     "dropout probability has to be between 0 and 1, but got 1.5"),
    (lambda lib, x, w: lib.nn.functional.one_hot(lib.tensor([-1])), "Class values must be non-negative."),
    (lambda lib, x, w: lib.nn.functional.one_hot(lib.tensor([5]), 3),
     "Class values must be smaller than num_classes."),
    (lambda lib, x, w: lib.nn.functional.one_hot(lib.tensor([1.0])),
     "one_hot is only applicable to index tensor of type LongTensor"),
    (lambda lib, x, w: lib.nn.functional.embedding(lib.tensor([5]), w[:, :, 0, 0]),
     "index out of range in self"),
    (lambda lib, x, w: lib.nn.functional.embedding(lib.tensor([1.0]), w[:, :, 0, 0]),
     "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int"),
    (lambda lib, x, w: lib.nn.functional.adaptive_avg_pool2d(x, (2, 2, 2)), "output_size must be 2"),
    (lambda lib, x, w: lib.nn.functional.interpolate(x, size=4, scale_factor=2),
     "only one of size or scale_factor should be defined"),
    (lambda lib, x, w: lib.nn.functional.fold(x[0, 0], (4, 4), 3),
     "Expected size of input's dimension 1 to be divisible by the product of kernel_size"),
    (lambda lib, x, w: lib.nn.functional.unfold(x, 9), "but its components must be at least one"),
])
def test_errors_match_torch(call, phrase):
    xe, xt = _pair(X4)
    we, wt = _pair(W4)
    _raises_like(lambda: call(ember, xe, we), lambda: call(torch, xt, wt), phrase)


# --------------------------------------------------------------------------- grad_fn names
@pytest.mark.parametrize("call", [
    lambda lib, x: lib.nn.functional.conv2d(x, lib.ones(4, 3, 3, 3, dtype=x.dtype)),
    lambda lib, x: lib.nn.functional.max_pool2d(x, 2),
    lambda lib, x: lib.nn.functional.max_pool2d(x[0], 2),
    lambda lib, x: lib.nn.functional.max_pool1d(x[:, :, 0], 2),
    lambda lib, x: lib.nn.functional.avg_pool2d(x, 2),
    lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x, 3),
    lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x, 1),
    lambda lib, x: lib.nn.functional.batch_norm(x, None, None, training=True),
    lambda lib, x: lib.nn.functional.layer_norm(x, (8,)),
    lambda lib, x: lib.nn.functional.group_norm(x, 3),
    lambda lib, x: lib.nn.functional.embedding(lib.tensor([1, 2]), x[0, 0]),
    lambda lib, x: lib.nn.functional.pad(x, (1, 1)),
    lambda lib, x: lib.nn.functional.pad(x, (1, 1, 1, 1), mode="reflect"),
    lambda lib, x: lib.nn.functional.pad(x, (1, 1, 1, 1), mode="replicate"),
    lambda lib, x: lib.nn.functional.linear(x, x[0, 0]),
    lambda lib, x: lib.nn.functional.linear(x[0, 0], x[0, 1], x[0, 0, 0]),
    lambda lib, x: lib.nn.functional.dropout(x),
])
def test_grad_fn_names_match_torch(call):
    xe, xt = _pair(X4, requires_grad=True)
    assert call(ember, xe).grad_fn.name() == call(torch, xt).grad_fn.name()


# --------------------------------------------------------------------------- batch norm running stats
@pytest.mark.parametrize("momentum", [0.1, 0.5])
def test_batch_norm_running_stats_match_torch(momentum):
    rm_e, rm_t = _pair(np.zeros(3, np.float32))
    rv_e, rv_t = _pair(np.ones(3, np.float32))
    for step in range(3):
        x = np.random.default_rng(step).standard_normal((5, 3, 4)).astype(np.float32) * (step + 1)
        ye = F.batch_norm(ember.tensor(x), rm_e, rv_e, training=True, momentum=momentum)
        yt = TF.batch_norm(torch.tensor(x), rm_t, rv_t, training=True, momentum=momentum)
        np.testing.assert_allclose(ye.numpy(), yt.numpy(), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(rm_e.numpy(), rm_t.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(rv_e.numpy(), rv_t.numpy(), rtol=1e-5, atol=1e-6)  # unbiased var
    # eval mode uses them and leaves them alone
    x = np.random.default_rng(9).standard_normal((2, 3, 4)).astype(np.float32)
    ye = F.batch_norm(ember.tensor(x), rm_e, rv_e, training=False)
    yt = TF.batch_norm(torch.tensor(x), rm_t, rv_t, training=False)
    np.testing.assert_allclose(ye.numpy(), yt.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(rm_e.numpy(), rm_t.numpy(), rtol=1e-5, atol=1e-6)


def test_batch_norm_running_stats_do_not_require_grad():
    x = ember.randn(4, 3, requires_grad=True)
    rm, rv = ember.zeros(3), ember.ones(3)
    F.batch_norm(x, rm, rv, training=True).sum().backward()
    assert not rm.requires_grad and not rv.requires_grad
    assert x.grad is not None


# --------------------------------------------------------------------------- dropout
needs_bernoulli = pytest.mark.skipif(not hasattr(ember.Tensor, "bernoulli_"),
                                     reason="Tensor.bernoulli_ (the random helper's) not available yet")


@needs_bernoulli
@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_statistics(p):
    x = ember.ones(200, 500)
    y = F.dropout(x, p=p)
    kept = (y.numpy() != 0).mean()
    assert abs(kept - (1 - p)) < 0.01
    vals = np.unique(y.numpy())
    np.testing.assert_allclose(vals[vals != 0], [1 / (1 - p)], rtol=1e-6)
    assert abs(y.numpy().mean() - 1.0) < 0.02  # the 1/(1-p) scale keeps the expectation


@needs_bernoulli
def test_dropout_gradient_is_the_mask():
    x = ember.ones(50, 40, requires_grad=True)
    y = F.dropout(x, p=0.3)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())


@needs_bernoulli
def test_dropout_matches_torch_after_manual_seed():
    ember.manual_seed(7)
    torch.manual_seed(7)
    ye = F.dropout(ember.ones(6, 9), p=0.4)
    yt = TF.dropout(torch.ones(6, 9), p=0.4)
    np.testing.assert_array_equal(ye.numpy(), yt.numpy())


@needs_bernoulli
def test_dropout2d_drops_whole_channels():
    y = F.dropout2d(ember.ones(8, 16, 3, 3), p=0.5).numpy()
    per_channel = y.reshape(8, 16, -1)
    assert np.all(per_channel.min(axis=-1) == per_channel.max(axis=-1))
    assert 0 < (per_channel[..., 0] == 0).mean() < 1


def test_dropout_eval_and_edge_probabilities():
    x = ember.randn(4, 5)
    assert F.dropout(x, p=0.5, training=False) is x
    assert F.dropout(x, p=0.0) is x
    np.testing.assert_array_equal(F.dropout(x, p=1.0).numpy(), np.zeros((4, 5), np.float32))


# --------------------------------------------------------------------------- misc behaviour
def test_max_pool_indices_match_torch():
    x = np.random.default_rng(1).standard_normal((2, 3, 9, 7)).astype(np.float32)
    for kw in [{"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
               {"kernel_size": (2, 3), "dilation": 2}]:
        _, ie = F.max_pool2d(ember.tensor(x), return_indices=True, **kw)
        _, it = TF.max_pool2d(torch.tensor(x), return_indices=True, **kw)
        assert ie.dtype == ember.int64
        np.testing.assert_array_equal(ie.numpy(), it.numpy())


def test_embedding_max_norm_renormalises_rows_in_place():
    w = np.random.default_rng(2).standard_normal((6, 4)).astype(np.float32) * 3
    we, wt = _pair(w)
    idx = [[0, 2], [2, 5]]
    ye = F.embedding(ember.tensor(idx), we, max_norm=1.0)
    yt = TF.embedding(torch.tensor(idx), wt, max_norm=1.0)
    np.testing.assert_allclose(ye.numpy(), yt.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(we.numpy(), wt.numpy(), rtol=1e-5, atol=1e-6)


def test_conv2d_double_backward_matches_torch():
    x = np.random.default_rng(3).standard_normal((2, 4, 6, 6))
    w = np.random.default_rng(4).standard_normal((6, 2, 3, 3))
    outs = []
    for lib in (ember, torch):
        xt, wt = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        y = lib.nn.functional.conv2d(xt, wt, stride=2, padding=1, groups=2)
        gx, gw = lib.autograd.grad((y * y).sum(), (xt, wt), create_graph=True)
        outs.append([g.detach().numpy() for g in lib.autograd.grad((gx ** 2).sum() + gw.sum(), (xt, wt))])
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 2), c=st.integers(1, 3), h=st.integers(3, 9), w=st.integers(3, 9),
       o=st.integers(1, 3), k=st.integers(1, 3), stride=st.integers(1, 3), pad=st.integers(0, 2),
       dil=st.integers(1, 2), groups=st.sampled_from([1, 2]))
def test_conv2d_shapes_values_and_grads_match_torch(n, c, h, w, o, k, stride, pad, dil, groups):
    c, o = c * groups, o * groups
    if (h + 2 * pad < dil * (k - 1) + 1) or (w + 2 * pad < dil * (k - 1) + 1):
        return
    g = np.random.default_rng(n * 1000 + h * 10 + w)
    x, wt, b = g.standard_normal((n, c, h, w)), g.standard_normal((o, c // groups, k, k)), g.standard_normal(o)
    res = []
    for lib in (ember, torch):
        ts = [lib.tensor(a, requires_grad=True) for a in (x, wt, b)]
        y = lib.nn.functional.conv2d(*ts, stride=stride, padding=pad, dilation=dil, groups=groups)
        grads = lib.autograd.grad((y * lib.tensor(np.cos(np.arange(y.numel())).reshape(tuple(y.shape)))).sum(),
                                  ts)
        res.append([y.detach().numpy()] + [gr.numpy() for gr in grads])
    for a, bb in zip(*res):
        assert a.shape == bb.shape
        np.testing.assert_allclose(a, bb, rtol=1e-9, atol=1e-9)
