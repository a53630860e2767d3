"""Linear-family, flatten, activation and loss modules against torch: values, grads, reprs, init."""
import numpy as np
import pytest

import ember
import ember.nn as enn

torch = pytest.importorskip("torch")
tnn = torch.nn


def _pair(shape, seed=0, low=-3.0, high=3.0, dtype=np.float32):
    a = np.random.default_rng(seed).uniform(low, high, shape).astype(dtype)
    return ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def _copy_from_torch(emod, tmod):
    emod.load_state_dict({k: ember.tensor(v.detach().numpy().copy()) for k, v in tmod.state_dict().items()})


def _close(e, t, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)


# ---------------------------------------------------------------------------- Linear family
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(4, 3), (3,), (2, 5, 3)])
def test_linear_forward_backward(bias, shape):
    t = tnn.Linear(3, 2, bias=bias)
    e = enn.Linear(3, 2, bias=bias)
    _copy_from_torch(e, t)
    assert repr(e) == repr(t)
    assert [(n, tuple(p.shape)) for n, p in e.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in t.named_parameters()]
    xe, xt = _pair(shape)
    ye, yt = e(xe), t(xt)
    _close(ye, yt)
    g = np.random.default_rng(1).standard_normal(yt.shape).astype(np.float32)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    _close(xe.grad, xt.grad)
    for (n, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
        _close(pe.grad, pt.grad, atol=1e-5)


def test_linear_dtype_and_init_bounds():
    e = enn.Linear(50, 40, dtype=ember.float64)
    assert e.weight.dtype is ember.float64 and e.bias.dtype is ember.float64
    bound = 1 / np.sqrt(50)  # kaiming_uniform_(a=sqrt(5)) on fan_in 50
    w = e.weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(e.bias.detach().numpy()).max() <= bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.1 * bound
    assert e.bias.requires_grad and isinstance(e.weight, enn.Parameter)
    with pytest.warns(UserWarning, match="zero-element"):  # torch warns here too
        z = enn.Linear(0, 3)
    assert z.bias.abs().sum().item() == 0.0  # fan_in 0: bias bound 0


def test_linear_seeded_init_matches_torch():
    torch.manual_seed(0)
    t = tnn.Linear(3, 2)
    ember.manual_seed(0)
    e = enn.Linear(3, 2)
    _close(e.weight, t.weight, rtol=0, atol=0)
    _close(e.bias, t.bias, rtol=0, atol=0)


def test_bilinear_identity_flatten():
    t = tnn.Bilinear(3, 4, 2)
    e = enn.Bilinear(3, 4, 2)
    _copy_from_torch(e, t)
    assert repr(e) == repr(t)
    x1e, x1t = _pair((5, 3))
    x2e, x2t = _pair((5, 4), seed=2)
    ye, yt = e(x1e, x2e), t(x1t, x2t)
    _close(ye, yt, atol=1e-5)
    ye.sum().backward()
    yt.sum().backward()
    _close(x1e.grad, x1t.grad, atol=1e-5)
    _close(e.weight.grad, t.weight.grad, atol=1e-5)
    w = enn.Bilinear(3, 4, 2, bias=False).weight.detach().numpy()
    assert np.abs(w).max() <= 1 / np.sqrt(3)

    assert repr(enn.Identity(3, k=2)) == repr(tnn.Identity(3, k=2))
    x = ember.ones(2)
    assert enn.Identity()(x) is x
    xe, xt = _pair((2, 3, 4, 5))
    for args in [(), (0,), (1, 2), (-3, -2)]:
        assert repr(enn.Flatten(*args)) == repr(tnn.Flatten(*args))
        assert enn.Flatten(*args)(xe).shape == tnn.Flatten(*args)(xt).shape
    u_e, u_t = enn.Unflatten(1, (3, 1)), tnn.Unflatten(1, (3, 1))
    assert repr(u_e) == repr(u_t)
    assert u_e(xe).shape == u_t(xt).shape
    with pytest.raises(TypeError):
        enn.Unflatten(1, 3)


# ---------------------------------------------------------------------------- activations
ACTIVATIONS = [
    ("ReLU", (), {}), ("ReLU", (), {"inplace": True}), ("ReLU6", (), {}), ("ReLU6", (True,), {}),
    ("LeakyReLU", (), {}), ("LeakyReLU", (0.2, True), {}), ("ELU", (), {}), ("ELU", (0.5,), {}),
    ("SELU", (), {}), ("CELU", (2.0,), {}), ("GELU", (), {}), ("GELU", (), {"approximate": "tanh"}),
    ("SiLU", (), {}), ("Mish", (), {}), ("Softplus", (), {}), ("Softplus", (2.0, 5.0), {}),
    ("Sigmoid", (), {}), ("Tanh", (), {}), ("Hardtanh", (), {}), ("Hardtanh", (-2.0, 0.5), {}),
    ("Hardsigmoid", (), {}), ("Hardswish", (), {}), ("Softmax", (1,), {}), ("Softmax", (), {"dim": 0}),
    ("LogSoftmax", (1,), {}), ("Softmin", (-1,), {}), ("LogSigmoid", (), {}), ("Softsign", (), {}),
    ("Tanhshrink", (), {}), ("Threshold", (0.1, 20.0), {}), ("GLU", (), {}), ("GLU", (0,), {}),
    ("Softmax2d", (), {}),
]


@pytest.mark.parametrize("name,args,kwargs", ACTIVATIONS, ids=[f"{a[0]}{i}" for i, a in enumerate(ACTIVATIONS)])
def test_activation_modules(name, args, kwargs):
    e, t = getattr(enn, name)(*args, **kwargs), getattr(tnn, name)(*args, **kwargs)
    assert repr(e) == repr(t)
    shape = (2, 4, 3, 2) if name == "Softmax2d" else (4, 6)
    xe, xt = _pair(shape)
    if kwargs.get("inplace") or (name in ("ReLU6", "LeakyReLU") and True in args):
        xe, xt = xe.detach() * 1, xt.detach() * 1
        ye, yt = e(xe), t(xt)
        _close(ye, yt)
        assert ye is xe and yt is xt
        return
    ye, yt = e(xe), t(xt)
    _close(ye, yt)
    g = np.linspace(-1, 1, int(np.prod(yt.shape)), dtype=np.float32).reshape(yt.shape)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    _close(xe.grad, xt.grad, atol=1e-5)


def test_prelu():
    t, e = tnn.PReLU(3, init=0.1), enn.PReLU(3, init=0.1)
    assert repr(e) == repr(t) and repr(enn.PReLU()) == repr(tnn.PReLU())
    assert e.weight.tolist() == pytest.approx(t.weight.tolist())
    xe, xt = _pair((4, 3, 2))
    ye, yt = e(xe), t(xt)
    _close(ye, yt)
    ye.sum().backward()
    yt.sum().backward()
    _close(e.weight.grad, t.weight.grad, atol=1e-5)
    _close(xe.grad, xt.grad)
    one_e, one_t = enn.PReLU(), tnn.PReLU()
    for shape in [(), (5,), (2, 3, 4)]:
        xe, xt = _pair(shape)
        _close(one_e(xe), one_t(xt))
    for shape in [(3,), (2, 4)]:
        xe, xt = _pair(shape)
        with pytest.raises(RuntimeError) as et:
            t(xt)
        with pytest.raises(RuntimeError) as ee:
            e(xe)
        assert str(ee.value) == str(et.value)


# ---------------------------------------------------------------------------- losses
def _targets(kind, n=5, c=4, seed=3):
    rng = np.random.default_rng(seed)
    if kind == "class":
        return rng.integers(0, c, n)
    if kind == "prob":
        return rng.uniform(0.05, 0.95, (n, c)).astype(np.float32)
    if kind == "sign":
        return np.where(rng.uniform(size=(n, c)) > 0.5, 1.0, -1.0).astype(np.float32)
    return rng.standard_normal((n, c)).astype(np.float32)


LOSSES = [
    ("MSELoss", {}, "real", None), ("MSELoss", {"reduction": "sum"}, "real", None),
    ("L1Loss", {"reduction": "none"}, "real", None), ("SmoothL1Loss", {"beta": 0.5}, "real", None),
    ("HuberLoss", {"delta": 0.7}, "real", None), ("BCELoss", {}, "prob", "prob"),
    ("BCEWithLogitsLoss", {}, "prob", None), ("CrossEntropyLoss", {}, "class", None),
    ("CrossEntropyLoss", {"label_smoothing": 0.1, "reduction": "sum"}, "class", None),
    ("NLLLoss", {"ignore_index": 1}, "class", "logprob"), ("KLDivLoss", {"reduction": "batchmean"}, "prob",
                                                           "logprob"),
    ("SoftMarginLoss", {}, "sign", None), ("HingeEmbeddingLoss", {"margin": 0.5}, "sign", None),
    ("PoissonNLLLoss", {}, "prob", None),
]


@pytest.mark.parametrize("name,kwargs,target,inp", LOSSES, ids=[f"{a[0]}{i}" for i, a in enumerate(LOSSES)])
def test_loss_modules(name, kwargs, target, inp):
    e, t = getattr(enn, name)(**kwargs), getattr(tnn, name)(**kwargs)
    assert repr(e) == repr(t)
    xe, xt = _pair((5, 4))
    if inp == "prob":
        xe, xt = _pair((5, 4), low=0.05, high=0.95)
    elif inp == "logprob":
        a = np.log(np.random.default_rng(0).dirichlet(np.ones(4), 5)).astype(np.float32)
        xe, xt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    tgt = _targets(target)
    ye, yt = e(xe, ember.tensor(tgt)), t(xt, torch.tensor(tgt))
    _close(ye, yt, atol=1e-5)
    ye.sum().backward()
    yt.sum().backward()
    _close(xe.grad, xt.grad, atol=1e-5)


def test_margin_ranking_loss():
    e, t = enn.MarginRankingLoss(margin=0.2), tnn.MarginRankingLoss(margin=0.2)
    assert repr(e) == repr(t)
    ae, at = _pair((6,))
    be, bt = _pair((6,), seed=5)
    tgt = np.sign(np.random.default_rng(2).standard_normal(6)).astype(np.float32)
    ye, yt = e(ae, be, ember.tensor(tgt)), t(at, bt, torch.tensor(tgt))
    _close(ye, yt)
    ye.backward()
    yt.backward()
    _close(ae.grad, at.grad)


def test_triplet_margin_loss():
    for kw in ({}, {"margin": 0.5, "p": 1.0, "swap": True}):
        e, t = enn.TripletMarginLoss(**kw), tnn.TripletMarginLoss(**kw)
        assert repr(e) == repr(t)
        xs = [_pair((4, 3), seed=s) for s in (1, 2, 3)]
        ye, yt = e(*(x[0] for x in xs)), t(*(x[1] for x in xs))
        _close(ye, yt)
        ye.backward()
        yt.backward()
        _close(xs[0][0].grad, xs[0][1].grad, atol=1e-5)
    with pytest.raises(ValueError, match="expected margin to be greater than 0"):
        enn.TripletMarginLoss(margin=0)


def test_weighted_losses_register_buffers():
    w = np.array([1.0, 2.0, 0.5, 1.0], dtype=np.float32)
    e = enn.CrossEntropyLoss(weight=ember.tensor(w))
    t = tnn.CrossEntropyLoss(weight=torch.tensor(w))
    assert list(e.state_dict()) == list(t.state_dict()) == ["weight"]
    e2, t2 = enn.BCEWithLogitsLoss(pos_weight=ember.ones(4)), tnn.BCEWithLogitsLoss(pos_weight=torch.ones(4))
    assert list(e2.state_dict()) == list(t2.state_dict())
    assert e.double().weight.dtype is ember.float64
    xe, xt = _pair((5, 4))
    tgt = _targets("class")
    _close(e.float()(xe, ember.tensor(tgt)), t(xt, torch.tensor(tgt)), atol=1e-5)


def test_legacy_reduction_flags():
    for kw, red in (({"size_average": False}, "sum"), ({"reduce": False}, "none"), ({}, "mean")):
        with pytest.warns(UserWarning) if kw else _no_warn():
            assert enn.MSELoss(**kw).reduction == red


class _no_warn:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False
