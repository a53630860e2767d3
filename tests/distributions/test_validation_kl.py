"""validate_args (errors worded like torch's), kl_divergence/register_kl, the public namespace."""
import re

import numpy as np
import pytest

import ember
import ember.distributions as D
from tests.distributions._cases import build

torch = pytest.importorskip("torch")


def _message(lib, fn):
    with pytest.raises(ValueError) as info:
        fn(lib)
    return str(info.value).replace("torch.Size", "ember.Size")


@pytest.mark.parametrize("make", [
    lambda lib: lib.distributions.Normal(lib.tensor([0.0, 1.0]), lib.tensor([1.0, -1.0])),
    lambda lib: lib.distributions.Normal(lib.tensor([0.0, float("nan")]), lib.tensor([1.0, 1.0])),
    lambda lib: lib.distributions.Bernoulli(probs=lib.tensor([0.2, 1.5])),
    lambda lib: lib.distributions.Categorical(probs=lib.tensor([[0.2, -0.5, 0.3]])),
    lambda lib: lib.distributions.Exponential(lib.tensor([0.0, 1.0])),
    lambda lib: lib.distributions.Gamma(lib.tensor([1.0]), lib.tensor([-2.0])),
    lambda lib: lib.distributions.Beta(lib.tensor([1.0]), lib.tensor([0.0])),
    lambda lib: lib.distributions.Dirichlet(lib.tensor([1.0, -1.0])),
    lambda lib: lib.distributions.Poisson(lib.tensor([-1.0])),
    lambda lib: lib.distributions.Binomial(lib.tensor([2.5]), lib.tensor([0.5])),
    lambda lib: lib.distributions.MultivariateNormal(lib.zeros(2), lib.tensor([[1.0, 2.0], [2.0, 1.0]])),
    lambda lib: lib.distributions.MultivariateNormal(lib.zeros(2), scale_tril=lib.tensor([[1.0, 0.0],
                                                                                         [1.0, -1.0]])),
    lambda lib: lib.distributions.Uniform(lib.tensor([0.0, 2.0]), lib.tensor([1.0, 1.0])),
    lambda lib: lib.distributions.Normal(0.0, 1.0).log_prob(lib.tensor([float("nan")])),
    lambda lib: lib.distributions.Bernoulli(0.3).log_prob(lib.tensor([0.5])),
    lambda lib: lib.distributions.Categorical(lib.ones(3)).log_prob(lib.tensor([3])),
    lambda lib: lib.distributions.Normal(lib.zeros(3), 1.0).log_prob(lib.zeros(2)),
    lambda lib: lib.distributions.Bernoulli(),
], ids=lambda f: "")
def test_bad_parameters_rejected_like_torch(make):
    assert _message(ember, make) == _message(torch, make)


def test_error_text_names_parameter_constraint_and_values():
    msg = _message(ember, lambda lib: lib.distributions.Normal(lib.tensor([0.0, 1.0]),
                                                               lib.tensor([1.0, -1.0])))
    assert msg == ("Expected parameter scale (Tensor of shape (2,)) of distribution "
                   "Normal(loc: ember.Size([2]), scale: ember.Size([2])) to satisfy the constraint "
                   "GreaterThan(lower_bound=0.0), but found invalid values:\ntensor([ 1., -1.])")


def test_validate_args_off():
    d = D.Normal(ember.tensor([0.0]), ember.tensor([-1.0]), validate_args=False)
    assert bool(ember.isnan(d.log_prob(ember.tensor([0.0]))).all())
    try:
        D.Distribution.set_default_validate_args(False)
        D.Exponential(ember.tensor([-1.0]))  # accepted now
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError, match="to satisfy the constraint"):
        D.Exponential(ember.tensor([-1.0]))


def test_other_construction_errors():
    with pytest.raises(ValueError, match="Exactly one of covariance_matrix"):
        D.MultivariateNormal(ember.zeros(2))
    with pytest.raises(ValueError, match="at least one-dimensional"):
        D.Categorical(ember.tensor(1.0))
    with pytest.raises(NotImplementedError, match="inhomogeneous total_count"):
        D.Multinomial(ember.tensor(3), ember.ones(2))


KL_PAIRS = [("normal_vec", "normal_broadcast"), ("bernoulli_probs", "bernoulli_probs"),
            ("categorical_probs", "categorical_probs"), ("exponential", "exponential"),
            ("gamma", "gamma_scalar"), ("beta", "beta_scalar"), ("dirichlet", "dirichlet"),
            ("mvn_cov", "mvn_tril_batch"), ("mvn_tril_batch", "mvn_cov"), ("poisson", "poisson"),
            ("binomial_probs", "binomial_probs"), ("uniform_broadcast", "uniform_broadcast")]


@pytest.mark.parametrize("pair", KL_PAIRS, ids=lambda p: f"{p[0]}-{p[1]}")
def test_kl_divergence_matches_torch(pair):
    out = []
    for lib in (ember, torch):
        p, _ = build(lib, pair[0])
        q, _ = build(lib, pair[1])
        if pair[0] == "bernoulli_probs":
            q = lib.distributions.Bernoulli(q.probs ** 2)
        elif pair[0] == pair[1] and pair[0] in ("gamma", "beta", "dirichlet", "poisson", "exponential"):
            q = type(q)(*[2 * getattr(q, a) for a in {
                "gamma": ("concentration", "rate"), "beta": ("concentration1", "concentration0"),
                "dirichlet": ("concentration",), "poisson": ("rate",),
                "exponential": ("rate",)}[pair[0]]])
        out.append(lib.distributions.kl_divergence(p, q))
    assert tuple(out[0].shape) == tuple(out[1].shape)
    np.testing.assert_allclose(out[0].numpy(), out[1].numpy(), rtol=1e-6, atol=1e-9)


def test_kl_uniform_infinite_and_independent():
    for lib in (ember, torch):
        p = lib.distributions.Uniform(lib.tensor([0.0, 0.0]), lib.tensor([1.0, 1.0]))
        q = lib.distributions.Uniform(lib.tensor([0.5, -1.0]), lib.tensor([2.0, 2.0]))
        kl = lib.distributions.kl_divergence(p, q)
        pi = lib.distributions.Independent(lib.distributions.Normal(lib.zeros(2, 3), 1.0), 1)
        qi = lib.distributions.Independent(lib.distributions.Normal(lib.ones(2, 3), 2.0), 1)
        res = (kl.numpy(), lib.distributions.kl_divergence(pi, qi).numpy())
        if lib is ember:
            got = res
    np.testing.assert_allclose(got[0], res[0])
    np.testing.assert_allclose(got[1], res[1], rtol=1e-6)


def test_kl_gradient_and_registry():
    loc = ember.tensor([0.3, -0.2], requires_grad=True)
    kl = D.kl_divergence(D.Normal(loc, 1.0), D.Normal(0.0, 2.0)).sum()
    (g,) = ember.autograd.grad(kl, loc)
    np.testing.assert_allclose(g.numpy(), loc.detach().numpy() / 4, rtol=1e-6)
    with pytest.raises(NotImplementedError, match="No KL"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Cauchy(0.0, 1.0))
    with pytest.raises(NotImplementedError, match="different exponential families"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Poisson(1.0))  # torch's Bregman fallback refuses

    class MyNormal(D.Normal):
        pass

    @D.register_kl(MyNormal, D.Poisson)
    def _kl(p, q):
        return ember.tensor(42.0)

    assert float(D.kl_divergence(MyNormal(0.0, 1.0), D.Poisson(1.0))) == 42.0
    # the subclass still finds Normal-Normal
    assert float(D.kl_divergence(MyNormal(0.0, 1.0), D.Normal(0.0, 1.0))) == 0.0


def test_public_names_cover_torchs_main_ones():
    main = ["Bernoulli", "Beta", "Binomial", "Categorical", "Chi2", "Dirichlet", "Distribution",
            "Exponential", "Gamma", "Independent", "Multinomial", "MultivariateNormal", "Normal",
            "Poisson", "Uniform", "constraints", "kl_divergence", "register_kl"]
    for name in main:
        assert name in dir(torch.distributions)
        assert name in dir(D)
    names = [n for n in dir(D) if not n.startswith("_")]
    assert all(re.match(r"^[A-Za-z]", n) for n in names)


def test_constraint_reprs_match_torch():
    from torch.distributions import constraints as tc

    from ember.distributions import constraints as ec
    for name in ["real", "positive", "nonnegative", "unit_interval", "simplex", "boolean",
                 "nonnegative_integer", "real_vector", "lower_cholesky", "positive_definite"]:
        assert repr(getattr(ec, name)) == repr(getattr(tc, name))
    assert repr(ec.interval(0.0, 2.0)) == repr(tc.interval(0.0, 2.0))
    assert repr(ec.integer_interval(0, 4)) == repr(tc.integer_interval(0, 4))
