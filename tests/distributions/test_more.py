"""The distributions beyond the first set, against torch: moments, log_prob (and its gradients),
entropy, cdf/icdf, expand, repr, samples (identical where torch's draw is a simple formula)."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ember
from tests.distributions._more_cases import MORE, build_more

torch = pytest.importorskip("torch")

NAMES = sorted(MORE)
# drawn from a gamma (ember's gamma sampler is its own): same distribution, different stream
NOT_EXACT = {"chi2", "fisher_snedecor", "inverse_gamma", "lkj_cholesky", "negative_binomial",
             "negative_binomial_logits", "studentT", "studentT_low_df", "wishart",
             "wishart_precision", "wishart_tril"}


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _close(e, t, rtol=1e-6, atol=1e-8):
    np.testing.assert_allclose(_np(e), _np(t), rtol=rtol, atol=atol, equal_nan=True)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's Wishart warns on every draw
        yield


def _torch_values(t, n=4):
    torch.manual_seed(0)
    return t.sample((n,))


def _attr(d, name):
    try:
        return getattr(d, name)
    except NotImplementedError:
        return NotImplemented


@pytest.mark.parametrize("name", NAMES)
def test_shapes_moments_entropy(name):
    e, _ = build_more(ember, name)
    t, _ = build_more(torch, name)
    assert tuple(e.batch_shape) == tuple(t.batch_shape)
    assert tuple(e.event_shape) == tuple(t.event_shape)
    assert e.has_rsample == t.has_rsample
    assert e.has_enumerate_support == t.has_enumerate_support
    for attr in ("mean", "variance", "stddev", "mode"):
        tv = _attr(t, attr)
        ev = _attr(e, attr)
        if tv is NotImplemented:
            assert ev is NotImplemented, attr
            continue
        assert tuple(ev.shape) == tuple(tv.shape), attr
        _close(ev, tv)
    te = _attr(t, "entropy")
    try:
        t_entropy = te()
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            e.entropy()
    else:
        _close(e.entropy(), t_entropy)
    assert repr(e) == repr(t).replace("torch", "ember")


@pytest.mark.parametrize("name", NAMES)
def test_log_prob_and_gradients(name):
    t, t_leaves = build_more(torch, name, requires_grad=True)
    e, e_leaves = build_more(ember, name, requires_grad=True)
    x = _torch_values(t).detach()
    lt = t.log_prob(x)
    le = e.log_prob(ember.tensor(x.numpy()))
    assert str(le.dtype).split(".")[-1] == str(lt.dtype).split(".")[-1]
    _close(le, lt)
    names = list(t_leaves)
    if not names:
        return
    gt = torch.autograd.grad(lt.sum(), [t_leaves[k] for k in names], allow_unused=True)
    ge = ember.autograd.grad(le.sum(), [e_leaves[k] for k in names], allow_unused=True)
    for k, a, b in zip(names, gt, ge):
        if a is None:
            continue
        a = a.numpy()
        if k == "scale_tril":  # torch's cholesky_solve also sends gradient to the upper triangle
            a = np.tril(a)
        np.testing.assert_allclose(_np(b), a, rtol=1e-5, atol=1e-8, err_msg=k)


@pytest.mark.parametrize("name", NAMES)
def test_cdf_icdf(name):
    t, _ = build_more(torch, name)
    e, _ = build_more(ember, name)
    x = _torch_values(t)
    q = torch.rand(x.shape, generator=torch.Generator().manual_seed(1), dtype=x.dtype)
    for fn, arg in (("cdf", x), ("icdf", q)):
        try:
            tv = getattr(t, fn)(arg)
        except NotImplementedError:
            with pytest.raises(NotImplementedError):
                getattr(e, fn)(ember.tensor(arg.numpy()))
            continue
        _close(getattr(e, fn)(ember.tensor(arg.numpy())), tv, rtol=1e-5)


@pytest.mark.parametrize("name", NAMES)
def test_expand(name):
    t, _ = build_more(torch, name)
    e, _ = build_more(ember, name)
    shape = (2, *tuple(t.batch_shape))
    te, ee = t.expand(shape), e.expand(shape)
    assert type(ee).__name__ == type(te).__name__
    assert tuple(ee.batch_shape) == tuple(te.batch_shape)
    assert tuple(ee.event_shape) == tuple(te.event_shape)
    x = _torch_values(t, n=1)[0]
    _close(ee.log_prob(ember.tensor(x.numpy())), te.log_prob(x))
    assert tuple(ee.sample((3,)).shape) == tuple(te.sample((3,)).shape)


@pytest.mark.parametrize("name", NAMES)
def test_samples(name):
    t, _ = build_more(torch, name)
    e, _ = build_more(ember, name)
    torch.manual_seed(5)
    ember.manual_seed(5)
    ts = t.sample((3,))
    es = e.sample((3,))
    assert tuple(es.shape) == tuple(ts.shape)
    assert str(es.dtype).split(".")[-1] == str(ts.dtype).split(".")[-1]
    assert bool(e.support.check(es).all()) if name != "lkj_cholesky" else True
    if name not in NOT_EXACT:
        _close(es, ts, rtol=1e-6, atol=1e-7)
    if e.has_rsample:
        torch.manual_seed(6)
        ember.manual_seed(6)
        tr, er = t.rsample((2,)), e.rsample((2,))
        assert tuple(er.shape) == tuple(tr.shape)
        if name not in NOT_EXACT:
            _close(er, tr, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["cauchy", "laplace", "gumbel", "log_normal", "pareto", "weibull",
                                  "kumaraswamy", "relaxed_bernoulli", "relaxed_one_hot",
                                  "logistic_normal", "lowrank_mvn", "continuous_bernoulli",
                                  "one_hot_st", "studentT", "fisher_snedecor", "wishart"])
def test_rsample_gradient(name):
    t, t_leaves = build_more(torch, name, requires_grad=True)
    e, e_leaves = build_more(ember, name, requires_grad=True)
    torch.manual_seed(2)
    ember.manual_seed(2)
    es = e.rsample((2,))
    ember.autograd.backward(es.sum())
    for k, leaf in e_leaves.items():
        assert leaf.grad is not None, k
        assert np.isfinite(leaf.grad.numpy()).all(), k
    if name not in NOT_EXACT:  # same draw, so the same gradient
        t.rsample((2,)).sum().backward()
        for k in e_leaves:
            _close(e_leaves[k].grad, t_leaves[k].grad, rtol=1e-5)


def test_sample_statistics_of_inexact_samplers():
    ember.manual_seed(0)
    n = 20000
    s = ember.distributions.StudentT(ember.tensor([5.0]), 1.0, 2.0).sample((n,))
    assert abs(s.mean().item() - 1.0) < 0.08
    assert abs(s.var().item() - 4.0 * 5 / 3) < 0.4
    f = ember.distributions.FisherSnedecor(ember.tensor(6.0), ember.tensor(12.0)).sample((n,))
    assert abs(f.mean().item() - 12 / 10) < 0.05
    nb = ember.distributions.NegativeBinomial(5.0, probs=ember.tensor(0.3)).sample((n,))
    assert abs(nb.mean().item() - 5 * 0.3 / 0.7) < 0.1
    w = ember.distributions.Wishart(ember.tensor(6.0), covariance_matrix=ember.eye(2)).sample((4000,))
    np.testing.assert_allclose(w.mean(0).numpy(), 6 * np.eye(2), atol=0.25)
    lkj = ember.distributions.LKJCholesky(3, 2.0).sample((500,))
    corr = lkj @ lkj.mT
    np.testing.assert_allclose(np.diagonal(corr.numpy(), axis1=-2, axis2=-1), 1.0, atol=1e-6)
    assert bool(ember.distributions.constraints.corr_cholesky.check(lkj).all())


def _mixture(lib, event):
    mix = lib.distributions.Categorical(probs=lib.tensor([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]],
                                                         dtype=lib.float64))
    loc = lib.tensor(np.arange(12.0).reshape(2, 3, 2) / 4 - 1)
    scale = lib.tensor(np.linspace(0.5, 2.0, 12).reshape(2, 3, 2))
    if event:
        comp = lib.distributions.Independent(lib.distributions.Normal(loc, scale), 1)
    else:
        comp = lib.distributions.Normal(loc[..., 0], scale[..., 0])
    return lib.distributions.MixtureSameFamily(mix, comp)


@pytest.mark.parametrize("event", [False, True])
def test_mixture_same_family(event):
    e, t = _mixture(ember, event), _mixture(torch, event)
    assert tuple(e.batch_shape) == tuple(t.batch_shape)
    assert tuple(e.event_shape) == tuple(t.event_shape)
    _close(e.mean, t.mean)
    _close(e.variance, t.variance)
    x = _torch_values(t, 5)
    _close(e.log_prob(ember.tensor(x.numpy())), t.log_prob(x))
    if not event:
        _close(e.cdf(ember.tensor(x.numpy())), t.cdf(x))
    assert repr(e) == repr(t).replace("torch", "ember")
    assert repr(e.support) == repr(t.support)
    torch.manual_seed(3)
    ember.manual_seed(3)
    _close(e.sample((4,)), t.sample((4,)))
    ee, te = e.expand((3, 2)), t.expand((3, 2))
    assert tuple(ee.batch_shape) == tuple(te.batch_shape)
    with pytest.raises(ValueError, match="does not equal"):
        ember.distributions.MixtureSameFamily(ember.distributions.Categorical(ember.ones(2)),
                                              ember.distributions.Normal(ember.zeros(3), 1.0))


def test_transformed_distribution_matches_torch():
    def make(lib):
        d = lib.distributions
        base = d.Normal(lib.tensor(np.zeros(3)), lib.tensor(np.ones(3)))
        return d.TransformedDistribution(base, [d.transforms.AffineTransform(1.0, -2.0),
                                                d.transforms.StickBreakingTransform()])
    e, t = make(ember), make(torch)
    assert tuple(e.batch_shape) == tuple(t.batch_shape) == ()
    assert tuple(e.event_shape) == tuple(t.event_shape) == (4,)
    assert repr(e.support) == repr(t.support)
    x = _torch_values(t)
    _close(e.log_prob(ember.tensor(x.numpy())), t.log_prob(x))
    torch.manual_seed(4)
    ember.manual_seed(4)
    _close(e.sample((2,)), t.sample((2,)))
    # a decreasing transform turns the cdf around
    e2 = ember.distributions.TransformedDistribution(
        ember.distributions.Exponential(ember.tensor([1.5])),
        ember.distributions.transforms.AffineTransform(0.0, -1.0))
    t2 = torch.distributions.TransformedDistribution(
        torch.distributions.Exponential(torch.tensor([1.5])),
        torch.distributions.transforms.AffineTransform(0.0, -1.0))
    v = torch.tensor([-0.7])
    _close(e2.cdf(ember.tensor(v.numpy())), t2.cdf(v))
    _close(e2.icdf(ember.tensor([0.3])), t2.icdf(torch.tensor([0.3])))
    with pytest.raises(ValueError, match="transforms must be a Transform"):
        ember.distributions.TransformedDistribution(ember.distributions.Normal(0.0, 1.0), 3)


def test_validation_errors_like_torch():
    d = ember.distributions
    with pytest.raises(ValueError, match="constraint GreaterThan"):
        d.Cauchy(ember.tensor([0.0]), ember.tensor([-1.0]))
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        d.Geometric()
    with pytest.raises(ValueError, match="Expected parameter probs"):
        d.Geometric(probs=ember.tensor([0.0, 0.5]))
    with pytest.raises(ValueError, match="within the support"):
        d.Laplace(0.0, 1.0).log_prob(ember.tensor(float("nan")))
    with pytest.raises(ValueError, match="greater than or equal to 2"):
        d.LKJCholesky(1)
    with pytest.raises(ValueError, match="expected to be greater than"):
        d.Wishart(ember.tensor(1.0), covariance_matrix=ember.eye(3))
    with pytest.raises(ValueError, match="cov_diag must be a batch of vectors"):
        d.LowRankMultivariateNormal(ember.zeros(3), ember.ones(3, 1), ember.ones(2))


def test_exponential_family_entropy_and_membership():
    d = ember.distributions
    members = [d.Normal, d.Bernoulli, d.Beta, d.Gamma, d.Chi2, d.Exponential, d.Poisson,
               d.Dirichlet, d.ContinuousBernoulli, d.Wishart]
    for cls in members:
        assert issubclass(cls, d.ExponentialFamily), cls
        assert issubclass(getattr(torch.distributions, cls.__name__),
                          torch.distributions.ExponentialFamily)
    # the Bregman-divergence entropy agrees with the closed forms
    for dist in (d.Normal(ember.tensor([0.3, -1.0]), ember.tensor([0.5, 2.0])),
                 d.Gamma(ember.tensor([2.0, 0.7]), ember.tensor([1.5, 3.0])),
                 d.Exponential(ember.tensor([0.4])),
                 d.Bernoulli(ember.tensor([0.2, 0.9])),
                 d.ContinuousBernoulli(ember.tensor([0.2, 0.7]))):
        _close(d.ExponentialFamily.entropy(dist), dist.entropy(), rtol=1e-5)


def test_dir_matches_torch():
    assert dir(ember.distributions) == dir(torch.distributions)
    assert sorted(ember.distributions.transforms.__all__) == sorted(
        torch.distributions.transforms.__all__)
    assert sorted(ember.distributions.constraint_registry.__all__) == sorted(
        torch.distributions.constraint_registry.__all__)


def _perturbed(lib, name):
    """The MORE case with every parameter moved a little (staying inside its constraint)."""
    cls_name, args, params = MORE[name]
    kwargs = {}
    for k, v in params.items():
        if k == "probs":
            v = v ** 1.5 if v.ndim < 2 else (v ** 1.5) / (v ** 1.5).sum(-1, keepdims=True)
        elif k == "df":
            v = v + 1.0
        elif k in ("covariance_matrix", "precision_matrix", "cov_diag", "scale_tril"):
            v = v * 1.3
        elif isinstance(v, np.ndarray):
            v = v * 1.25 + (0.1 if k in ("loc", "logits", "cov_factor") else 0.0)
        kwargs[k] = lib.tensor(v, dtype=lib.float64) if isinstance(v, np.ndarray) else v
    return getattr(lib.distributions, cls_name)(*args, **kwargs)


KL_NAMES = ["cauchy", "continuous_bernoulli", "geometric_probs", "gumbel", "half_normal", "laplace",
            "one_hot_categorical", "pareto", "log_normal", "lowrank_mvn", "wishart", "chi2",
            "logistic_normal"]


@pytest.mark.parametrize("name", KL_NAMES)
def test_kl_divergence_matches_torch(name):
    out = [lib.distributions.kl_divergence(build_more(lib, name)[0], _perturbed(lib, name))
           for lib in (ember, torch)]
    assert tuple(out[0].shape) == tuple(out[1].shape)
    _close(out[0], out[1], rtol=1e-6, atol=1e-9)


def test_kl_lowrank_and_full_multivariate_normal():
    def make(lib):
        d = lib.distributions
        low, _ = build_more(lib, "lowrank_mvn")
        cov = np.array([[2.0, 0.3, 0, 0], [0.3, 1.5, 0.2, 0], [0, 0.2, 1.0, 0.1], [0, 0, 0.1, 0.8]])
        full = d.MultivariateNormal(lib.tensor(np.linspace(-1, 1, 4)), lib.tensor(cov))
        return d.kl_divergence(low, full), d.kl_divergence(full, low)
    for e, t in zip(make(ember), make(torch)):
        _close(e, t)
    with pytest.raises(NotImplementedError, match="different exponential families"):
        ember.distributions.kl_divergence(ember.distributions.Normal(0.0, 1.0),
                                          ember.distributions.Poisson(0.3))


def _family(lib, name, variant):
    """Small float64 instances of the families torch pairs across in kl_divergence."""
    d = lib.distributions
    v = 1.0 + 0.35 * variant

    def t(*xs):
        return lib.tensor(np.array(xs) * 1.0, dtype=lib.float64)
    return {
        "Bernoulli": lambda: d.Bernoulli(t(0.2, 0.5, 0.9) ** v),
        "Beta": lambda: d.Beta(t(0.8, 2.0, 3.0) * v, t(1.5, 0.7, 2.0)),
        "Binomial": lambda: d.Binomial(5, t(0.3, 0.5, 0.6)),
        "ContinuousBernoulli": lambda: d.ContinuousBernoulli(t(0.2, 0.4, 0.8) ** v),
        "Exponential": lambda: d.Exponential(t(0.5, 1.0, 2.0) * v),
        "Gamma": lambda: d.Gamma(t(0.7, 2.0, 3.5) * v, t(1.0, 0.5, 2.0)),
        "Gumbel": lambda: d.Gumbel(t(-0.5, 0.0, 1.0) * v, t(0.7, 1.0, 2.0)),
        "Laplace": lambda: d.Laplace(t(-0.5, 0.0, 1.0) * v, t(0.7, 1.0, 2.0)),
        "Normal": lambda: d.Normal(t(-0.5, 0.0, 1.0) * v, t(0.7, 1.0, 2.0)),
        "Pareto": lambda: d.Pareto(t(0.5, 1.0, 1.5) * v, t(0.8, 2.5, 4.0)),
        "Poisson": lambda: d.Poisson(t(0.5, 2.0, 5.0) * v),
        "Uniform": lambda: d.Uniform(t(0.1, 0.5, 1.2) * v, t(0.6, 0.9, 3.0) * v),
    }[name]()


_CROSS = sorted({(p.__name__, q.__name__) for p, q in torch.distributions.kl._KL_REGISTRY}
                & {(a, b) for a in ("Bernoulli", "Beta", "Binomial", "ContinuousBernoulli",
                                    "Exponential", "Gamma", "Gumbel", "Laplace", "Normal",
                                    "Pareto", "Poisson", "Uniform") for b in (
                                        "Bernoulli", "Beta", "Binomial", "ContinuousBernoulli",
                                        "Exponential", "Gamma", "Gumbel", "Laplace", "Normal",
                                        "Pareto", "Poisson", "Uniform") if a != b})


def test_kl_registry_has_torchs_pairs():
    mine = {(p.__name__, q.__name__) for p, q in ember.distributions.kl._KL_REGISTRY}
    assert mine == {(p.__name__, q.__name__) for p, q in torch.distributions.kl._KL_REGISTRY}


@pytest.mark.parametrize("pair", _CROSS, ids=lambda p: f"{p[0]}-{p[1]}")
def test_kl_between_families_matches_torch(pair):
    out = [lib.distributions.kl_divergence(_family(lib, pair[0], 0), _family(lib, pair[1], 1))
           for lib in (ember, torch)]
    _close(out[0], out[1], rtol=1e-6, atol=1e-9)


_LOC_SCALE = ["Cauchy", "Laplace", "Gumbel", "LogNormal", "HalfNormal", "HalfCauchy", "Weibull",
              "Pareto", "Kumaraswamy"]


@settings(max_examples=15, deadline=None)
@given(batch=hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3),
       sample=hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3),
       name=st.sampled_from(_LOC_SCALE), seed=st.integers(0, 2 ** 16))
def test_two_parameter_families_over_shapes(batch, sample, name, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(0.5, 2.0, size=batch), rng.uniform(1.1, 3.0, size=batch)
    args = (b,) if name in ("HalfNormal", "HalfCauchy") else (a, b)

    def make(lib):
        return getattr(lib.distributions, name)(*[lib.tensor(x, dtype=lib.float32) for x in args])
    e, t = make(ember), make(torch)
    torch.manual_seed(seed)
    ember.manual_seed(seed)
    ts, es = t.sample(sample), e.sample(sample)
    assert tuple(es.shape) == tuple(ts.shape) == tuple(sample) + tuple(batch)
    _close(es, ts, rtol=2e-6, atol=1e-6)
    _close(e.log_prob(ember.tensor(ts.numpy())), t.log_prob(ts), rtol=1e-5, atol=1e-5)
