"""nn.init against torch: gains, fans, errors, deterministic fills, statistics and seeded draws."""
import math
import warnings

import numpy as np
import pytest

import ember
import ember.nn as enn
from ember.nn import init as einit

torch = pytest.importorskip("torch")
tinit = torch.nn.init



def _same_error(fe, ft):
    with pytest.raises(Exception) as et:
        ft()
    with pytest.raises(type(et.value)) as ee:
        fe()
    assert str(ee.value) == str(et.value)


@pytest.mark.parametrize("args", [("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",),
                                  ("leaky_relu",), ("leaky_relu", 0.2), ("leaky_relu", 1), ("selu",),
                                  ("conv_transpose3d",)])
def test_calculate_gain(args):
    assert einit.calculate_gain(*args) == tinit.calculate_gain(*args)


def test_gain_and_fan_errors():
    _same_error(lambda: einit.calculate_gain("swish"), lambda: tinit.calculate_gain("swish"))
    _same_error(lambda: einit.calculate_gain("leaky_relu", True), lambda: tinit.calculate_gain("leaky_relu", True))
    _same_error(lambda: einit._calculate_fan_in_and_fan_out(ember.empty(3)),
                lambda: tinit._calculate_fan_in_and_fan_out(torch.empty(3)))
    _same_error(lambda: einit.kaiming_uniform_(ember.empty(3, 3), mode="fan"),
                lambda: tinit.kaiming_uniform_(torch.empty(3, 3), mode="fan"))
    _same_error(lambda: einit.eye_(ember.empty(3)), lambda: tinit.eye_(torch.empty(3)))
    _same_error(lambda: einit.dirac_(ember.empty(3, 3)), lambda: tinit.dirac_(torch.empty(3, 3)))
    _same_error(lambda: einit.dirac_(ember.empty(3, 3, 3), 2), lambda: tinit.dirac_(torch.empty(3, 3, 3), 2))
    _same_error(lambda: einit.orthogonal_(ember.empty(3)), lambda: tinit.orthogonal_(torch.empty(3)))


@pytest.mark.parametrize("shape", [(3, 5), (7, 2, 3), (4, 6, 2, 3), (2, 2, 1, 2, 3)])
def test_fans(shape):
    assert einit._calculate_fan_in_and_fan_out(ember.empty(shape)) == \
        tinit._calculate_fan_in_and_fan_out(torch.empty(shape))


def test_deterministic_fills_match_torch():
    for shape in [(3, 5), (4, 2)]:
        assert einit.eye_(ember.empty(shape)).tolist() == tinit.eye_(torch.empty(shape)).tolist()
    for shape, groups in [((4, 2, 3), 1), ((6, 3, 3, 3), 2), ((4, 4, 1, 3, 3), 2), ((2, 5, 3), 1)]:
        assert einit.dirac_(ember.empty(shape), groups).tolist() == tinit.dirac_(torch.empty(shape), groups).tolist()
    assert einit.constant_(ember.empty(2, 2), 0.3).tolist() == tinit.constant_(torch.empty(2, 2), 0.3).tolist()
    assert einit.ones_(ember.empty(3)).tolist() == [1.0] * 3
    assert einit.zeros_(ember.ones(3)).tolist() == [0.0] * 3


def test_init_on_parameter_keeps_it_a_leaf():
    p = enn.Parameter(ember.empty(3, 4))
    out = einit.constant_(p, 2.0)
    assert out is p and p.is_leaf and p.requires_grad and p.grad_fn is None
    einit.eye_(p)
    einit.zeros_(p)
    assert p.sum().item() == 0.0


def test_zero_element_warns():
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        einit.kaiming_uniform_(ember.empty(0, 3))
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        einit.kaiming_normal_(ember.empty(3, 0))


def _stats(t):
    a = t.detach().numpy().astype(np.float64)
    return a.mean(), a.std(), np.abs(a).max()


def test_init_statistics():
    n_out, n_in = 300, 200
    _, std, top = _stats(einit.uniform_(ember.empty(n_out, n_in), -0.5, 0.5))
    assert top <= 0.5 and abs(std - 1 / math.sqrt(12)) < 0.01
    mean, std, _ = _stats(einit.normal_(ember.empty(n_out, n_in), 1.0, 2.0))
    assert abs(mean - 1.0) < 0.05 and abs(std - 2.0) < 0.05
    bound = math.sqrt(6 / (n_in + n_out))
    _, std, top = _stats(einit.xavier_uniform_(ember.empty(n_out, n_in)))
    assert top <= bound and abs(std - bound / math.sqrt(3)) < 0.02 * bound
    _, std, _ = _stats(einit.xavier_normal_(ember.empty(n_out, n_in), gain=2.0))
    assert abs(std - 2 * math.sqrt(2 / (n_in + n_out))) < 0.02 * std
    gain = math.sqrt(2.0)
    _, std, top = _stats(einit.kaiming_uniform_(ember.empty(n_out, n_in), nonlinearity="relu"))
    assert top <= gain * math.sqrt(3 / n_in) and abs(std - gain / math.sqrt(n_in)) < 0.02 * std
    _, std, _ = _stats(einit.kaiming_normal_(ember.empty(n_out, n_in), mode="fan_out", nonlinearity="relu"))
    assert abs(std - gain / math.sqrt(n_out)) < 0.02 * std


def test_trunc_normal_statistics():
    mean, std, top = _stats(einit.trunc_normal_(ember.empty(300, 200), mean=0.5, std=1.0, a=-1.0, b=1.0))
    ref = torch.nn.init.trunc_normal_(torch.empty(200000, dtype=torch.float64), 0.5, 1.0, -1.0, 1.0)
    assert top <= 1.0 and abs(mean - ref.mean().item()) < 0.02 and abs(std - ref.std().item()) < 0.02
    with pytest.warns(UserWarning, match="mean is more than 2 std"):
        einit.trunc_normal_(ember.empty(3), mean=10.0)


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 2, 3)])
def test_orthogonal(shape):
    w = einit.orthogonal_(ember.empty(shape), gain=2.0).detach().numpy().reshape(shape[0], -1)
    if shape[0] <= w.shape[1]:
        np.testing.assert_allclose(w @ w.T, 4 * np.eye(shape[0]), atol=1e-5)
    else:
        np.testing.assert_allclose(w.T @ w, 4 * np.eye(w.shape[1]), atol=1e-5)


SEEDED = [
    ("uniform_", (-0.3, 0.7), {}), ("normal_", (0.5, 2.0), {}), ("xavier_uniform_", (), {"gain": 1.5}),
    ("xavier_normal_", (), {}), ("kaiming_uniform_", (), {"a": math.sqrt(5)}),
    ("kaiming_normal_", (), {"mode": "fan_out", "nonlinearity": "relu"}),
    ("trunc_normal_", (), {"std": 0.02}), ("trunc_normal_", (0.5, 1.0, -1.0, 1.0), {}),
    ("trunc_normal_", (0.0, 1.0, 2.0, 2.5), {}), ("orthogonal_", (), {}),
]


@pytest.mark.parametrize("name,args,kwargs", SEEDED)
def test_seeded_draws_match_torch(name, args, kwargs):
    # same generator consumption as torch: after the same seed, the same values
    torch.manual_seed(7)
    t = getattr(tinit, name)(torch.empty(6, 4), *args, **kwargs)
    ember.manual_seed(7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e = getattr(einit, name)(ember.empty(6, 4), *args, **kwargs)
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-5, atol=1e-6)
