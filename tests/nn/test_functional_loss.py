"""ember.nn.functional losses beyond the op_db: stability, graphs, warnings, torch's errors, the seed."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
import ember.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _both(values, dtype="float32", requires_grad=True):
    e = ember.tensor(values, dtype=getattr(ember, dtype), requires_grad=requires_grad)
    t = torch.tensor(values, dtype=getattr(torch, dtype), requires_grad=requires_grad)
    return e, t


def _close(e, t, rtol=1e-6, atol=1e-6):
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)


# --------------------------------------------------------------------------- the seed document
def test_seed_002_losses_print_like_torch():
    for lib, f in ((ember, F), (torch, TF)):
        x = lib.ones(2, 3)
        w = lib.full([3, 2], 2.)
        lib._seed_out = [str(f.mse_loss(lib.ones(3, 3), w @ x))]
        pred = lib.sigmoid(lib.tensor([[0.3], [0.8], [0.1], [0.55]]))
        y = lib.tensor([1, 0, 1, 0], dtype=lib.float).view(4, 1)
        lib._seed_out.append(str(f.binary_cross_entropy(pred, y)))
        lib._seed_out.append(str(-1 / 4 * (y * lib.log(pred) + (1 - y) * lib.log(1 - pred)).sum()))
        z = lib.tensor([[4., 3., 2., 1.], [3., 1., 4., 5.]])
        lib._seed_out.append(str(lib.softmax(z, dim=1)))
        lib._seed_out.append(str(lib.log(lib.softmax(z, dim=1))))
        lib._seed_out.append(str(f.cross_entropy(z, lib.tensor([0, 2]))))
        lib._seed_out.append(str(f.nll_loss(f.log_softmax(z, dim=1), lib.tensor([0, 2]))))
    try:
        assert ember._seed_out == torch._seed_out
        assert ember._seed_out[0] == "tensor(9.)"
    finally:
        del ember._seed_out, torch._seed_out


def test_seed_002_softmax_gradient():
    a = np.random.default_rng(0).random((3, 4))
    e, t = _both(a)
    pe, pt = ember.softmax(e, dim=0), torch.softmax(t, dim=0)
    for i, j in [(0, 0), (0, 1)]:
        (ge,) = ember.autograd.grad(pe[i, j], e, retain_graph=True)
        (gt,) = torch.autograd.grad(pt[i, j], t, retain_graph=True)
        _close(ge, gt)


# --------------------------------------------------------------------------- grad_fn names
@pytest.mark.parametrize("fn, name", [
    (lambda f, x, p, i: f.mse_loss(x, p), "MseLossBackward0"),
    (lambda f, x, p, i: f.mse_loss(x, p, reduction="none"), "MseLossBackward0"),
    (lambda f, x, p, i: f.l1_loss(x, p), "MeanBackward0"),
    (lambda f, x, p, i: f.l1_loss(x, p, reduction="sum"), "SumBackward0"),
    (lambda f, x, p, i: f.smooth_l1_loss(x, p), "SmoothL1LossBackward0"),
    (lambda f, x, p, i: f.huber_loss(x, p), "HuberLossBackward0"),
    (lambda f, x, p, i: f.binary_cross_entropy(x.sigmoid(), p), "BinaryCrossEntropyBackward0"),
    (lambda f, x, p, i: f.binary_cross_entropy_with_logits(x, p), "BinaryCrossEntropyWithLogitsBackward0"),
    (lambda f, x, p, i: f.cross_entropy(x, i), "NllLossBackward0"),
    (lambda f, x, p, i: f.cross_entropy(x, i, reduction="none"), "NllLossBackward0"),
    (lambda f, x, p, i: f.nll_loss(x, i), "NllLossBackward0"),
    (lambda f, x, p, i: f.soft_margin_loss(x, p), "SoftMarginLossBackward0"),
    (lambda f, x, p, i: f.kl_div(x, p, reduction="sum"), "SumBackward0"),
])
def test_grad_fn_names_follow_torch(fn, name):
    x = np.random.default_rng(0).normal(size=(3, 4))
    p = np.random.default_rng(1).random((3, 4))
    e, t = _both(x)
    te = fn(F, e, ember.tensor(p, dtype=ember.float32), ember.tensor([0, 3, 1]))
    tt = fn(TF, t, torch.tensor(p, dtype=torch.float32), torch.tensor([0, 3, 1]))
    assert type(tt.grad_fn).__name__ == name  # the expectation is torch's own
    assert te.grad_fn.name() == name


def test_cross_entropy_graph_is_log_softmax_then_nll():
    e, _ = _both(np.ones((2, 3)))
    out = F.cross_entropy(e, ember.tensor([0, 1]))
    assert out.grad_fn.next_functions[0][0].name() == "LogSoftmaxBackward0"


# --------------------------------------------------------------------------- stability
LOGITS = [[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [0.0, 1e4, 1e4]]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", ["ce", "ce_none", "ce_smooth", "ce_probs", "bcel", "bcel_pos", "bce_sat",
                                  "nll_of_log_softmax"])
def test_extreme_logits_are_finite_and_match_torch(case, dtype):
    e, t = _both(LOGITS, dtype)
    idx = [0, 1, 2]
    probs = [[0.2, 0.3, 0.5], [1.0, 0.0, 0.0], [0.0, 0.5, 0.5]]
    targets01 = [[1.0, 0.0, 1.0], [0.0, 1.0, 1.0], [0.5, 0.0, 1.0]]

    def run(lib, f, x):
        tgt01 = lib.tensor(targets01, dtype=x.dtype)
        if case == "ce":
            return f.cross_entropy(x, lib.tensor(idx))
        if case == "ce_none":
            return f.cross_entropy(x, lib.tensor(idx), reduction="none")
        if case == "ce_smooth":
            return f.cross_entropy(x, lib.tensor(idx), label_smoothing=0.1)
        if case == "ce_probs":
            return f.cross_entropy(x, lib.tensor(probs, dtype=x.dtype))
        if case == "bcel":
            return f.binary_cross_entropy_with_logits(x, tgt01, reduction="none")
        if case == "bcel_pos":
            return f.binary_cross_entropy_with_logits(x, tgt01, pos_weight=lib.tensor([1.0, 3.0, 0.5],
                                                                                     dtype=x.dtype))
        if case == "bce_sat":  # sigmoid saturates to exactly 0 and 1: logs clamp at -100
            return f.binary_cross_entropy(lib.sigmoid(x), tgt01, reduction="sum")
        if case == "soft_margin":
            return f.soft_margin_loss(x, tgt01 * 2 - 1, reduction="none")
        return f.nll_loss(f.log_softmax(x, 1), lib.tensor(idx))

    oe, ot = run(ember, F, e), run(torch, TF, t)
    assert np.isfinite(oe.detach().numpy()).all()
    _close(oe, ot, rtol=1e-6, atol=1e-3)
    (ge,) = ember.autograd.grad(oe.sum(), e)
    (gt,) = torch.autograd.grad(ot.sum(), t)
    assert np.isfinite(ge.numpy()).all()
    _close(ge, gt)


def test_soft_margin_is_finite_where_torch_overflows():
    """torch evaluates log(1 + exp(-y x)) directly, so a margin of -1e4 gives inf there; ember gives
    the exact 1e4 (a deliberate difference). Elsewhere the two agree."""
    e, t = _both([[1e4, -1e4, 0.5]])
    y = [[1.0, 1.0, -1.0]]
    out = F.soft_margin_loss(e, ember.tensor(y), reduction="none")
    want = TF.soft_margin_loss(t, torch.tensor(y), reduction="none")
    assert out.tolist()[0][:2] == [0.0, 1e4]
    assert out.tolist()[0][2] == pytest.approx(want.tolist()[0][2])
    (g,) = ember.autograd.grad(out.sum(), e)
    assert g.tolist()[0][:2] == [0.0, -1.0]


def test_bce_of_exact_zero_and_one_is_100():
    e, t = _both([0.0, 1.0])
    y = [1.0, 0.0]
    out = F.binary_cross_entropy(e, ember.tensor(y))
    assert out.item() == 100.0
    out.backward()
    TF.binary_cross_entropy(t, torch.tensor(y)).backward()
    _close(e.grad, t.grad, rtol=1e-6)


# --------------------------------------------------------------------------- shapes (hypothesis)
@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 4), c=st.integers(1, 5), extra=st.lists(st.integers(1, 3), max_size=2),
       reduction=st.sampled_from(["mean", "sum", "none"]), weighted=st.booleans(),
       smoothing=st.sampled_from([0.0, 0.25]), seed=st.integers(0, 1000))
def test_cross_entropy_any_shape_matches_torch(n, c, extra, reduction, weighted, smoothing, seed):
    g = np.random.default_rng(seed)
    x = g.normal(size=(n, c, *extra)) * 3
    tgt = g.integers(0, c, size=(n, *extra))
    tgt.reshape(-1)[::4] = -100
    w = g.uniform(0.5, 2, size=c) if weighted else None
    e, t = _both(x, "float64")
    kw = {"reduction": reduction, "label_smoothing": smoothing}
    oe = F.cross_entropy(e, ember.tensor(tgt), None if w is None else ember.tensor(w), **kw)
    ot = TF.cross_entropy(t, torch.tensor(tgt), None if w is None else torch.tensor(w), **kw)
    assert tuple(oe.shape) == tuple(ot.shape)
    np.testing.assert_allclose(oe.detach().numpy(), ot.detach().numpy(), rtol=1e-10, equal_nan=True)
    if np.isfinite(ot.detach().numpy()).all():
        oe.sum().backward()
        ot.sum().backward()
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------------------- warnings
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_broadcasting_target_warns_like_torch(name):
    x = ember.zeros(3, 5)
    with pytest.warns(UserWarning) as rec:
        out = getattr(F, name)(x, ember.ones(5))
    msg = str(rec[0].message)
    assert msg == ("Using a target size (ember.Size([5])) that is different to the input size "
                   "(ember.Size([3, 5])). This will likely lead to incorrect results due to broadcasting. "
                   "Please ensure they have the same size.")
    assert rec[0].filename == __file__  # points at the caller, as torch's stacklevel does
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = getattr(TF, name)(torch.zeros(3, 5), torch.ones(5))
    assert out.item() == pytest.approx(want.item())
    with pytest.raises(RuntimeError, match="must match the size of tensor b"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        getattr(F, name)(x, ember.ones(4))


@pytest.mark.parametrize("size_average, reduce, expected", [
    (False, None, "sum"), (None, False, "none"), (True, True, "mean"), (False, True, "sum")])
def test_legacy_reduction_args(size_average, reduce, expected):
    x = np.random.default_rng(0).normal(size=(3, 4))
    e, t = _both(x)
    tgt = np.random.default_rng(1).normal(size=(3, 4))
    with pytest.warns(UserWarning, match=f"please use reduction='{expected}' instead"):
        oe = F.mse_loss(e, ember.tensor(tgt, dtype=ember.float32), size_average=size_average, reduce=reduce)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ot = TF.mse_loss(t, torch.tensor(tgt, dtype=torch.float32), size_average=size_average, reduce=reduce)
        ce = F.cross_entropy(e, ember.tensor([0, 1, 2]), size_average=size_average, reduce=reduce)
        ct = TF.cross_entropy(t, torch.tensor([0, 1, 2]), size_average=size_average, reduce=reduce)
    _close(oe, ot)
    _close(ce, ct)


def test_kl_div_mean_warns():
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(ember.zeros(2, 2), ember.ones(2, 2))


# --------------------------------------------------------------------------- errors
def _raises(fn, exc, match):
    with pytest.raises(exc, match=match):
        fn(F, ember)
    with pytest.raises(exc, match=match):  # the same call, the same error, in torch
        fn(TF, torch)


X = np.random.default_rng(0).normal(size=(3, 5))


@pytest.mark.parametrize("fn, exc, match", [
    (lambda f, m: f.cross_entropy(m.tensor(X), m.tensor([0, 1, 5])), IndexError, "Target 5 is out of bounds."),
    (lambda f, m: f.cross_entropy(m.tensor(X), m.tensor([0, 1, -3])), IndexError, "Target -3 is out of bounds."),
    (lambda f, m: f.nll_loss(m.tensor(X), m.tensor([0, 1, 7])), IndexError, "Target 7 is out of bounds."),
    (lambda f, m: f.cross_entropy(m.tensor(X), m.tensor([0., 1, 4])), RuntimeError,
     "expected target dtype to be Long or Byte, but got Float"),
    (lambda f, m: f.nll_loss(m.tensor(X), m.tensor([0, 1, 4], dtype=m.int32)), RuntimeError,
     "expected target dtype to be Long or Byte, but got Int"),
    (lambda f, m: f.nll_loss(m.tensor(X), m.tensor([0, 1])), ValueError,
     r"Expected input batch_size \(3\) to match target batch_size \(2\)\."),
    (lambda f, m: f.nll_loss(m.tensor(X), m.tensor([[0, 1]] * 3)), RuntimeError,
     "0D or 1D target tensor expected, multi-target not supported"),
    (lambda f, m: f.nll_loss(m.zeros(2, 3, 4), m.tensor([[0, 1, 1]] * 2)), RuntimeError,
     r"Expected target size \[2, 4\], got \[2, 3\]"),
    (lambda f, m: f.nll_loss(m.zeros(()), m.tensor(0)), ValueError, r"Expected 1 or more dimensions \(got 0\)"),
    (lambda f, m: f.nll_loss(m.tensor(X), m.tensor([0, 1, 2]), weight=m.ones(4)), RuntimeError,
     "weight tensor should be defined either for all 5 classes or no classes"),
    (lambda f, m: f.cross_entropy(m.tensor(X), m.tensor([0, 1, 2]), reduction="foo"), ValueError,
     "foo is not a valid value for reduction"),
    (lambda f, m: f.mse_loss(m.tensor(X), m.tensor(X), reduction="foo"), ValueError,
     "foo is not a valid value for reduction"),
    (lambda f, m: f.cross_entropy(m.tensor(X), m.tensor([0, 1, 2]), label_smoothing=1.5), RuntimeError,
     "label_smoothing must be between 0.0 and 1.0. Got: 1.5"),
    (lambda f, m: f.binary_cross_entropy(m.rand(3, 5), m.rand(5)), ValueError,
     (r"Using a target size \(\w+\.Size\(\[5\]\)\) that is different to the input size "
      r"\(\w+\.Size\(\[3, 5\]\)\) is deprecated\. Please ensure they have the same size\.")),
    (lambda f, m: f.binary_cross_entropy(m.rand(3) + 1, m.rand(3)), RuntimeError,
     "all elements of input should be between 0 and 1"),
    (lambda f, m: f.binary_cross_entropy(m.tensor([0.2, 0.5]), m.tensor([1, 0])), RuntimeError,
     "Found dtype Long but expected Float"),
    (lambda f, m: f.binary_cross_entropy_with_logits(m.rand(3, 5), m.rand(5)), ValueError,
     r"Target size \(\w+\.Size\(\[5\]\)\) must be the same as input size"),
    (lambda f, m: f.mse_loss(m.tensor([2, 1]), m.tensor([1, 0])), NotImplementedError,
     "\"mse_cpu\" not implemented for 'Long'"),
    (lambda f, m: f.l1_loss(m.tensor([2, 1]), m.tensor([1, 0])), RuntimeError,
     "mean\\(\\): could not infer output dtype"),
    (lambda f, m: f.cross_entropy(m.tensor([[1, 2]]), m.tensor([0])), NotImplementedError,
     "\"log_softmax_lastdim_kernel_impl\" not implemented for 'Long'"),
    (lambda f, m: f.mse_loss(m.ones(3), m.ones(3), weight=m.ones(2)), ValueError,
     "Weights and input must have the same size."),
    (lambda f, m: f.nll_loss(m.tensor(X), m.tensor([0, 1, 2]), weight=m.ones(5, requires_grad=True)),
     RuntimeError, "'nll_loss_forward' is not differentiable with respect to argument 'weight'"),
    (lambda f, m: f.binary_cross_entropy(m.rand(3), m.rand(3), weight=m.ones(3, requires_grad=True)),
     RuntimeError, "'binary_cross_entropy' is not differentiable with respect to argument 'weight'"),
    (lambda f, m: f.nll_loss(m.zeros(5), m.tensor([2, 1])), ValueError,
     "For 1D input, 1D target must have size 1, but got target size: 2"),
    (lambda f, m: f.cross_entropy(m.zeros(3, 5), m.tensor(2)), ValueError,
     r"Expected input batch_size \(3\) to match target batch_size \(0\)\."),
    (lambda f, m: f.cross_entropy(m.zeros(2, 3), m.ones(2, 3), weight=m.ones(2)), RuntimeError,
     "cross_entropy: weight tensor should be defined either for all 3 classes"),
    (lambda f, m: f.binary_cross_entropy_with_logits(m.zeros(2), m.tensor([1, 0])), RuntimeError,
     "result type Float can't be cast to the desired output type Long"),
    (lambda f, m: f.glu(m.tensor(1.0)), RuntimeError, "glu does not support scalars"),
    (lambda f, m: f.smooth_l1_loss(m.zeros(2), m.zeros(2), beta=-1.0), RuntimeError,
     "smooth_l1_loss does not support negative values for beta."),
    (lambda f, m: f.kl_div(m.zeros(2), m.zeros(2), reduction="x"), ValueError,
     "x is not a valid value for reduction"),
])
def test_errors_match_torch(fn, exc, match):
    _raises(fn, exc, match)


def test_all_ignored_targets():
    for reduction, want in (("mean", "nan"), ("sum", "0.0"), ("none", "[0.0, 0.0, 0.0]")):
        e, t = _both(X[:3, :4])
        tgt = [-100, -100, -100]
        oe = F.cross_entropy(e, ember.tensor(tgt), reduction=reduction)
        ot = TF.cross_entropy(t, torch.tensor(tgt), reduction=reduction)
        assert str(oe.tolist()) == str(ot.tolist()) == want
        oe.sum().backward()
        ot.sum().backward()
        assert e.grad.tolist() == t.grad.tolist()


def test_mixed_dtypes_promote_like_torch():
    x = ember.tensor([2., 1.], dtype=ember.float64)
    assert F.mse_loss(x, ember.tensor([1., 0.])).dtype is ember.float64
    assert F.mse_loss(ember.tensor([0.2, 1.]), ember.tensor([1, 0])).item() == pytest.approx(0.82)
    assert F.cross_entropy(ember.ones(2, 3, dtype=ember.float64), ember.tensor([0, 1])).dtype is ember.float64


def test_one_element_target_of_1d_input():
    e, t = _both([0.5, -1.0, 2.0])
    oe = F.cross_entropy(e, ember.tensor([2]), reduction="none")
    ot = TF.cross_entropy(t, torch.tensor([2]), reduction="none")
    assert tuple(oe.shape) == tuple(ot.shape) == ()
    _close(oe, ot)


def test_empty_batch_and_special_values_match_torch():
    for fn in (lambda f, m: f.cross_entropy(m.zeros(0, 3), m.zeros(0, dtype=m.long)),
               lambda f, m: f.mse_loss(m.zeros(0), m.zeros(0)),
               lambda f, m: m.softmax(m.zeros(2, 0), 1),
               lambda f, m: m.softmax(m.tensor([[-float("inf"), -float("inf")]]), 1),
               lambda f, m: m.log_softmax(m.tensor([[float("inf"), 1.0]]), 1),
               lambda f, m: f.hardtanh(m.tensor([-3, 0, 3])),
               lambda f, m: f.threshold(m.tensor([-3, 0, 9]), 1, 5)):
        e, t = fn(F, ember), fn(TF, torch)
        assert str(e).replace("ember", "torch") == str(t)


def test_cosine_similarity_below_eps_matches_torchs_gradient():
    """torch clamps the norms to eps outside autograd (in place, under no_grad), so the gradient is
    that of the unclamped norm; ember reproduces that rather than the finite difference."""
    g = np.random.default_rng(3)
    a, b = g.normal(size=(2, 3)) * 1e-4, g.normal(size=(2, 3))
    ea, ta = _both(a, "float64")
    eb, tb = _both(b, "float64")
    oe = F.cosine_similarity(ea, eb, eps=1e-3)
    ot = TF.cosine_similarity(ta, tb, eps=1e-3)
    _close(oe, ot, rtol=1e-12, atol=0)
    w = [0.3, -0.7]
    (oe * ember.tensor(w, dtype=ember.float64)).sum().backward()
    (ot * torch.tensor(w, dtype=torch.float64)).sum().backward()
    _close(ea.grad, ta.grad, rtol=1e-10, atol=0)
    _close(eb.grad, tb.grad, rtol=1e-10, atol=0)
