"""The book's first models trained with ember and with torch from the same weights reach the same loss.

Weights go from torch to ember through a checkpoint file (torch.save -> ember.load -> load_state_dict),
and back (ember.save -> torch.load(weights_only=True)), so this also checks that the two libraries'
state_dicts line up.
"""
from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def linreg(lib):
    return lib.nn.Linear(4, 1)


def softmax_reg(lib):
    return lib.nn.Sequential(lib.nn.Flatten(), lib.nn.Linear(16, 5))


def mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Flatten(), nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 32), nn.Tanh(),
                         nn.Linear(32, 5))


def lenet(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))


def cnn_bn(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 8, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10))


def _data(kind):
    g = np.random.default_rng(0)
    if kind == "linreg":
        X = g.normal(size=(64, 4))
        y = X @ np.array([[2.0], [-3.4], [1.0], [0.5]]) + 4.2 + 0.01 * g.normal(size=(64, 1))
        return X.astype(np.float32), y.astype(np.float32)
    if kind in ("softmax_reg", "mlp"):
        return g.normal(size=(64, 4, 4)).astype(np.float32), g.integers(0, 5, size=64)
    return g.normal(size=(16, 1, 28, 28)).astype(np.float32), g.integers(0, 10, size=16)


CASES = [
    ("linreg", linreg, "mse", "sgd"),
    ("softmax_reg", softmax_reg, "ce", "sgd"),
    ("mlp", mlp, "ce", "sgd"),
    ("mlp", mlp, "ce", "adam"),
    ("lenet", lenet, "ce", "sgd"),
    ("cnn_bn", cnn_bn, "ce", "momentum"),
]


def _train(lib, model, X, y, loss_kind, opt_kind, steps=100):
    X = lib.tensor(X)
    y = lib.tensor(y)
    loss_fn = lib.nn.MSELoss() if loss_kind == "mse" else lib.nn.CrossEntropyLoss()
    if opt_kind == "sgd":
        opt = lib.optim.SGD(model.parameters(), lr=0.03)
    elif opt_kind == "momentum":
        opt = lib.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    else:
        opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("kind,build,loss_kind,opt_kind", CASES,
                         ids=[f"{c[0]}-{c[2]}-{c[3]}" for c in CASES])
def test_same_loss_as_torch_after_100_steps(kind, build, loss_kind, opt_kind, tmp_path):
    torch.manual_seed(0)
    t_model = build(torch)
    ckpt = tmp_path / "model.pt"
    torch.save(t_model.state_dict(), ckpt)
    e_model = build(ember)
    result = e_model.load_state_dict(ember.load(ckpt))
    assert not result.missing_keys and not result.unexpected_keys
    X, y = _data(kind)
    t_losses = _train(torch, t_model, X, y, loss_kind, opt_kind)
    e_losses = _train(ember, e_model, X, y, loss_kind, opt_kind)
    assert e_losses[0] == pytest.approx(t_losses[0], rel=1e-5, abs=1e-6)
    assert e_losses[-1] == pytest.approx(t_losses[-1], rel=1e-4, abs=1e-4)
    assert e_losses[-1] < e_losses[0]  # it trained
    # and back: ember's trained weights load into torch and give ember's outputs
    e_ckpt = tmp_path / "ember_model.pt"
    ember.save(e_model.state_dict(), e_ckpt)
    back = build(torch)
    back.load_state_dict(torch.load(e_ckpt, weights_only=True))
    back.eval()
    e_model.eval()
    with torch.no_grad(), ember.no_grad():
        ours = e_model(ember.tensor(X)).numpy()
        theirs = back(torch.tensor(X)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


def test_same_seed_same_initial_weights():
    """torch.manual_seed(0) then building the model gives torch's initial weights, tensor for tensor."""
    torch.manual_seed(0)
    t_sd = lenet(torch).state_dict()
    ember.manual_seed(0)
    e_sd = lenet(ember).state_dict()
    assert list(t_sd) == list(e_sd)
    for k in t_sd:
        np.testing.assert_array_equal(e_sd[k].numpy(), t_sd[k].numpy(), err_msg=k)
