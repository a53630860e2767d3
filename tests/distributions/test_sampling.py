"""Sampling: draws identical to torch's for the same seed where torch's method is simple; sample
statistics for the rest; reparameterised gradients against torch or against their expectation."""
import numpy as np
import pytest

import ember
from ember._distributions_samplers import gammainc_array, standard_gamma_grad_array
from tests.distributions._cases import build

torch = pytest.importorskip("torch")

EXACT = ["normal_scalar", "normal_vec", "normal_broadcast", "uniform", "uniform_broadcast",
         "exponential", "bernoulli_probs", "bernoulli_logits", "categorical_probs",
         "categorical_logits", "multinomial_probs", "multinomial_logits", "mvn_cov",
         "mvn_tril_batch", "mvn_precision"]


@pytest.mark.parametrize("name", EXACT)
@pytest.mark.parametrize("sample_shape", [(), (5,), (2, 3)])
def test_sample_identical_to_torch(name, sample_shape):
    e, _ = build(ember, name)
    t, _ = build(torch, name)
    ember.manual_seed(123)
    torch.manual_seed(123)
    es, ts = e.sample(sample_shape), t.sample(sample_shape)
    assert tuple(es.shape) == tuple(ts.shape)
    assert str(es.dtype).split(".")[-1] == str(ts.dtype).split(".")[-1]
    np.testing.assert_allclose(es.numpy(), ts.numpy(), rtol=1e-12, atol=1e-12)
    if t.has_rsample:
        ember.manual_seed(7)
        torch.manual_seed(7)
        np.testing.assert_allclose(e.rsample(sample_shape).detach().numpy(),
                                   t.rsample(sample_shape).detach().numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["normal_vec", "normal_broadcast", "uniform", "exponential",
                                  "mvn_cov", "mvn_tril_batch", "mvn_precision"])
def test_rsample_grad_matches_torch(name):
    e, e_leaves = build(ember, name, requires_grad=True)
    t, t_leaves = build(torch, name, requires_grad=True)
    ember.manual_seed(11)
    torch.manual_seed(11)
    es, ts = e.rsample((4,)), t.rsample((4,))
    w = np.random.default_rng(0).normal(size=tuple(ts.shape))
    eg = ember.autograd.grad((es * ember.tensor(w)).sum(), list(e_leaves.values()))
    tg = torch.autograd.grad((ts * torch.tensor(w)).sum(), list(t_leaves.values()))
    for a, b in zip(eg, tg):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-7, atol=1e-9)


def test_d2l_probability_section():
    from ember.distributions import multinomial
    fair_probs = ember.ones([6]) / 6
    one = multinomial.Multinomial(1, fair_probs).sample()
    assert tuple(one.shape) == (6,) and float(one.sum()) == 1.0
    ember.manual_seed(0)
    torch.manual_seed(0)
    counts = multinomial.Multinomial(10, fair_probs).sample((500,))
    t_counts = torch.distributions.multinomial.Multinomial(10, torch.ones([6]) / 6).sample((500,))
    np.testing.assert_array_equal(counts.numpy(), t_counts.numpy())
    cum_counts = counts.cumsum(dim=0)
    estimates = cum_counts / cum_counts.sum(dim=1, keepdims=True)
    assert tuple(estimates.shape) == (500, 6)
    assert np.all(np.abs(estimates[-1].numpy() - 1 / 6) < 0.05)


def _stats_ok(samples, mean, var, n):
    s = samples.numpy().astype(np.float64)
    m, v = np.asarray(mean.detach().numpy(), np.float64), np.asarray(var.detach().numpy(), np.float64)
    # 6 standard errors of the mean; the variance within 15%
    assert np.all(np.abs(s.mean(0) - m) < 6 * np.sqrt(v / n) + 1e-12)
    assert np.all(np.abs(s.var(0) - v) < 0.15 * v + 1e-9)


@pytest.mark.parametrize("name", ["gamma", "gamma_scalar", "chi2", "beta", "beta_scalar",
                                  "dirichlet", "poisson", "binomial_probs", "binomial_logits",
                                  "binomial_tensor_count"])
def test_sample_statistics(name):
    ember.manual_seed(2024)
    d, _ = build(ember, name)
    n = 20000
    s = d.sample((n,))
    assert tuple(s.shape) == (n,) + tuple(d.batch_shape) + tuple(d.event_shape)
    assert bool(d.support.check(s).all())
    _stats_ok(s, d.mean, d.variance, n)


def test_poisson_binomial_large_and_edge_parameters():
    ember.manual_seed(5)
    p = ember.distributions.Poisson(ember.tensor([0.0, 0.5, 30.0, 400.0], dtype=ember.float64))
    _stats_ok(p.sample((20000,)), p.mean, p.variance + 1e-12, 20000)
    b = ember.distributions.Binomial(ember.tensor([0.0, 50.0, 1000.0, 40.0], dtype=ember.float64),
                                     ember.tensor([0.5, 0.0, 0.3, 1.0], dtype=ember.float64))
    s = b.sample((5000,))
    np.testing.assert_array_equal(s[:, 0].numpy(), 0)
    np.testing.assert_array_equal(s[:, 1].numpy(), 0)
    np.testing.assert_array_equal(s[:, 3].numpy(), 40)
    assert abs(float(s[:, 2].mean()) - 300) < 6 * np.sqrt(210 / 5000)


def test_standard_gamma_grad_matches_torch():
    alpha = np.array([0.1, 0.5, 1.0, 2.5, 7.0, 30.0])
    x = np.array([[0.01, 0.3, 1.0, 2.0, 8.0, 28.0], [1e-3, 1.2, 0.2, 4.0, 5.0, 35.0]])
    ours = standard_gamma_grad_array(alpha, x)
    theirs = torch._standard_gamma_grad(torch.tensor(alpha).expand(2, 6).contiguous(),
                                        torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=2e-4, atol=1e-8)


def test_gammainc_matches_torch():
    a = np.array([0.1, 0.5, 1.0, 3.0, 10.0, 50.0])
    x = np.array([[0.05, 0.2, 1.5, 2.0, 12.0, 45.0], [3.0, 0.7, 0.1, 9.0, 5.0, 60.0]])
    np.testing.assert_allclose(gammainc_array(a, x), torch.special.gammainc(
        torch.tensor(a), torch.tensor(x)).numpy(), rtol=1e-8, atol=1e-14)  # torch's is the less exact
    assert abs(gammainc_array(50.0, 45.0) - 0.24680203440017) < 1e-13  # mpmath's value


@pytest.mark.parametrize("cls", ["Gamma", "Beta", "Dirichlet"])
def test_implicit_reparam_gradient_is_unbiased(cls):
    """E[d sample / d param] equals d E[sample] / d param (the mean's analytic gradient)."""
    ember.manual_seed(0)
    n = 20000
    if cls == "Gamma":
        a = ember.tensor([0.4, 1.5, 6.0], dtype=ember.float64, requires_grad=True)
        d = ember.distributions.Gamma(a, ember.tensor(2.0, dtype=ember.float64))
        mean_fn = lambda lib, p: p / 2.0
    elif cls == "Beta":
        a = ember.tensor([0.7, 2.0, 5.0], dtype=ember.float64, requires_grad=True)
        d = ember.distributions.Beta(a, ember.tensor(1.5, dtype=ember.float64))
        mean_fn = lambda lib, p: p / (p + 1.5)
    else:
        a = ember.tensor([0.6, 1.0, 3.0], dtype=ember.float64, requires_grad=True)
        d = ember.distributions.Dirichlet(a)
        mean_fn = lambda lib, p: p / p.sum()
    w = np.array([1.0, -0.5, 2.0])
    s = d.rsample((n,))
    (g,) = ember.autograd.grad((s * ember.tensor(w)).sum() / n, a)
    tp = torch.tensor(a.detach().numpy(), requires_grad=True)
    (expected,) = torch.autograd.grad((mean_fn(torch, tp) * torch.tensor(w)).sum(), tp)
    np.testing.assert_allclose(g.numpy(), expected.numpy(), rtol=0.06, atol=0.01)


def test_gamma_rsample_gradient_in_rate_is_exact():
    ember.manual_seed(1)
    rate = ember.tensor([0.5, 2.0], dtype=ember.float64, requires_grad=True)
    d = ember.distributions.Gamma(ember.tensor([1.5, 3.0], dtype=ember.float64), rate)
    s = d.rsample((3,))
    (g,) = ember.autograd.grad(s.sum(), rate)
    np.testing.assert_allclose(g.numpy(), -(s.detach() / rate.detach()).sum(0).numpy(), rtol=1e-12)
