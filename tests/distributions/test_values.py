"""Moments, log_prob, entropy, shapes and gradients of every distribution against torch."""
import numpy as np
import pytest

import ember
from tests.distributions._cases import CASES, NO_ENTROPY, build

torch = pytest.importorskip("torch")

NAMES = sorted(CASES)


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _close(e, t, rtol=1e-6, atol=1e-8):
    np.testing.assert_allclose(_np(e), _np(t), rtol=rtol, atol=atol, equal_nan=True)


@pytest.mark.parametrize("name", NAMES)
def test_shapes_and_moments(name):
    e, _ = build(ember, name)
    t, _ = build(torch, name)
    assert tuple(e.batch_shape) == tuple(t.batch_shape)
    assert tuple(e.event_shape) == tuple(t.event_shape)
    assert e.has_rsample == t.has_rsample
    assert e.has_enumerate_support == t.has_enumerate_support
    for attr in ("mean", "variance", "stddev", "mode"):
        try:
            tv = getattr(t, attr)
        except NotImplementedError:  # Multinomial.mode
            with pytest.raises(NotImplementedError):
                getattr(e, attr)
            continue
        ev = getattr(e, attr)
        assert tuple(ev.shape) == tuple(tv.shape), attr
        _close(ev, tv)
    try:
        t_entropy = t.entropy()
    except NotImplementedError:  # Poisson; Binomial with varying total_count
        with pytest.raises(NotImplementedError):
            e.entropy()
    else:
        _close(e.entropy(), t_entropy)


@pytest.mark.parametrize("name", NAMES)
def test_log_prob_and_grad(name):
    torch.manual_seed(0)
    t_plain, _ = build(torch, name)
    values = t_plain.sample((3,))
    e, e_leaves = build(ember, name, requires_grad=True)
    t, t_leaves = build(torch, name, requires_grad=True)
    e_lp = e.log_prob(ember.tensor(values.numpy()))
    t_lp = t.log_prob(values)
    assert tuple(e_lp.shape) == tuple(t_lp.shape)
    _close(e_lp, t_lp)
    if e_leaves:
        w = np.random.default_rng(1).uniform(0.5, 1.5, size=tuple(t_lp.shape))
        e_g = ember.autograd.grad((e_lp * ember.tensor(w)).sum(), list(e_leaves.values()))
        t_g = torch.autograd.grad((t_lp * torch.tensor(w)).sum(), list(t_leaves.values()))
        for a, b in zip(e_g, t_g):
            _close(a, b, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", [n for n in NAMES if CASES[n][0] not in NO_ENTROPY
                                  and n != "binomial_tensor_count"])
def test_entropy_grad(name):
    e, e_leaves = build(ember, name, requires_grad=True)
    t, t_leaves = build(torch, name, requires_grad=True)
    if not e_leaves:
        pytest.skip("no tensor parameter")
    e_g = ember.autograd.grad(e.entropy().sum(), list(e_leaves.values()), allow_unused=True)
    t_g = torch.autograd.grad(t.entropy().sum(), list(t_leaves.values()), allow_unused=True)
    for a, b in zip(e_g, t_g):
        assert (a is None) == (b is None)  # loc does not enter the entropy
        if a is not None:
            _close(a, b, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_expand(name):
    e, _ = build(ember, name)
    t, _ = build(torch, name)
    shape = (2,) + tuple(t.batch_shape)
    ex, tx = e.expand(shape), t.expand(shape)
    assert type(ex) is type(e)
    assert tuple(ex.batch_shape) == tuple(tx.batch_shape)
    assert tuple(ex.event_shape) == tuple(tx.event_shape)
    _close(ex.mean, tx.mean)
    torch.manual_seed(3)
    values = tx.sample()
    _close(ex.log_prob(ember.tensor(values.numpy())), tx.log_prob(values))


@pytest.mark.parametrize("name", ["normal_vec", "normal_broadcast", "uniform", "exponential",
                                  "gamma", "gamma_scalar"])
def test_cdf_icdf(name):
    e, _ = build(ember, name)
    t, _ = build(torch, name)
    torch.manual_seed(5)
    values = t.sample((4,))
    tol = 1e-9 if values.dtype == torch.float64 else 1e-6  # gamma_scalar is float32
    _close(e.cdf(ember.tensor(values.numpy())), t.cdf(values), rtol=tol, atol=tol * 1e-3)
    if CASES[name][0] != "Gamma":
        q = torch.rand((4,) + tuple(t.batch_shape), dtype=torch.float64)
        _close(e.icdf(ember.tensor(q.numpy())), t.icdf(q), rtol=1e-9, atol=1e-12)


def test_normal_cdf_grad():
    loc = [ember.tensor([0.2, -1.0], requires_grad=True), torch.tensor([0.2, -1.0], requires_grad=True)]
    out = []
    for lib, p in zip((ember, torch), loc):
        d = lib.distributions.Normal(p, lib.tensor([1.5, 0.5]))
        out.append(lib.autograd.grad(d.cdf(lib.tensor([0.0, 0.3])).sum(), p)[0])
    _close(out[0], out[1])


@pytest.mark.parametrize("name", ["bernoulli_probs", "categorical_probs", "binomial_probs"])
def test_enumerate_support(name):
    e, _ = build(ember, name)
    t, _ = build(torch, name)
    for expand in (True, False):
        a, b = e.enumerate_support(expand), t.enumerate_support(expand)
        assert tuple(a.shape) == tuple(b.shape)
        _close(a, b)


@pytest.mark.parametrize("name", ["bernoulli_probs", "bernoulli_logits", "categorical_probs",
                                  "categorical_logits", "binomial_probs", "binomial_logits",
                                  "multinomial_probs"])
def test_probs_logits_parametrisations(name):
    e, _ = build(ember, name)
    t, _ = build(torch, name)
    _close(e.probs, t.probs)
    _close(e.logits, t.logits)


def test_probs_clamped_like_torch():
    for lib in (ember, torch):
        b = lib.distributions.Bernoulli(probs=lib.tensor([0.0, 1.0, 0.5]))
        c = lib.distributions.Categorical(probs=lib.tensor([0.0, 1.0]))
        if lib is ember:
            eb, ec = b.logits, c.logits
        else:
            _close(eb, b.logits)
            _close(ec, c.logits)


def test_repr():
    for lib in (ember, torch):
        s = [repr(lib.distributions.Normal(0.0, 1.0)),
             repr(lib.distributions.Bernoulli(logits=lib.tensor([0.1, 0.2]))),
             repr(lib.distributions.Beta(2.0, 3.0)),
             repr(lib.distributions.Independent(lib.distributions.Normal(lib.zeros(3), 1.0), 1))]
        if lib is ember:
            got = [x.replace("ember.Size", "torch.Size") for x in s]
        else:
            assert got == s
    assert got[0] == "Normal(loc: 0.0, scale: 1.0)"


def test_independent():
    for lib in (ember, torch):
        base = lib.distributions.Normal(lib.tensor(np.arange(6.0).reshape(2, 3)), lib.tensor(2.0))
        d = lib.distributions.Independent(base, 1)
        x = lib.tensor(np.linspace(-1, 1, 6).reshape(2, 3))
        res = (tuple(d.batch_shape), tuple(d.event_shape), _np(d.log_prob(x)), _np(d.entropy()))
        if lib is ember:
            got = res
        else:
            assert got[:2] == res[:2]
            _close(got[2], res[2])
            _close(got[3], res[3])
    with pytest.raises(ValueError, match="reinterpreted_batch_ndims"):
        ember.distributions.Independent(ember.distributions.Normal(0.0, 1.0), 1)
