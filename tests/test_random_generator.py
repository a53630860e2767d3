"""ember.Generator and the global seeding API against torch: seeds, states, generator=, fork_rng, errors."""
from __future__ import annotations

import re

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")
hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies


def _eq(e, t):
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    assert e.numpy().tobytes() == t.numpy().tobytes()


def _draws(m, g=None):
    return [m.randn(5, generator=g), m.rand(17, generator=g), m.randint(0, 9, (4,), generator=g),
            m.randperm(9, generator=g), m.normal(0.5, 2.0, (20,), generator=g),
            m.normal(m.zeros(3), m.ones(3), generator=g), m.empty(18).uniform_(-1, 1, generator=g),
            m.empty(3).normal_(generator=g), m.empty(4, dtype=m.int64).random_(generator=g),
            m.empty(5).bernoulli_(0.4, generator=g), m.bernoulli(m.full((5,), 0.5), generator=g),
            m.empty(5).exponential_(generator=g), m.multinomial(m.ones(5), 3, generator=g),
            m.rand_like(m.zeros(2, 2), generator=g) if m is ember else m.rand(2, 2, generator=g)]


def test_new_generator_has_torchs_default_seed_and_stream():
    assert ember.Generator().initial_seed() == torch.Generator().initial_seed() == 67280421310721
    for e, t in zip(_draws(ember, ember.Generator()), _draws(torch, torch.Generator())):
        _eq(e, t)


@pytest.mark.parametrize("seed", [0, 7, 2**32 - 1, 2**32 + 5, 2**63 + 11, -1, -2**63, 2**64 - 1])
def test_generator_argument_uses_that_generator_only(seed):
    ember.manual_seed(5)
    before = ember.get_rng_state().numpy().copy()
    ours = _draws(ember, ember.Generator().manual_seed(seed))
    theirs = _draws(torch, torch.Generator().manual_seed(seed))
    for e, t in zip(ours, theirs):
        _eq(e, t)
    np.testing.assert_array_equal(ember.get_rng_state().numpy(), before)  # default one untouched
    assert ember.Generator().manual_seed(seed).initial_seed() == torch.Generator().manual_seed(seed).initial_seed()


def test_state_bytes_match_torch_and_round_trip():
    for m in (ember, torch):
        m.manual_seed(123)
    assert ember.get_rng_state().dtype is ember.uint8 and tuple(ember.get_rng_state().shape) == (5056,)
    np.testing.assert_array_equal(ember.get_rng_state().numpy(), torch.get_rng_state().numpy())
    for m in (ember, torch):
        m.randn(3, dtype=m.float64)  # leaves a cached normal in the state
        m.rand(700)                  # crosses a twist of the 624-word state
    np.testing.assert_array_equal(ember.get_rng_state().numpy(), torch.get_rng_state().numpy())
    state = ember.get_rng_state()
    first = ember.randn(5, dtype=ember.float64).numpy()
    ember.set_rng_state(state)
    np.testing.assert_array_equal(ember.randn(5, dtype=ember.float64).numpy(), first)
    # torch's own state bytes restore into ember, and ember's into torch
    torch.manual_seed(99)
    torch.randn(1, dtype=torch.float64)
    ember.set_rng_state(ember.tensor(torch.get_rng_state().numpy()))
    _eq(ember.randn(7), torch.randn(7))
    torch.set_rng_state(torch.from_numpy(ember.get_rng_state().numpy().copy()))
    _eq(ember.randn(3), torch.randn(3))


def test_generator_get_set_state_and_seed():
    g, tg = ember.Generator(), torch.Generator()
    g.manual_seed(11)
    tg.manual_seed(11)
    s = g.get_state()
    np.testing.assert_array_equal(s.numpy(), tg.get_state().numpy())
    a = ember.rand(4, generator=g)
    g.set_state(s)
    _eq(ember.rand(4, generator=g), torch.rand(4, generator=tg))
    _eq(a, ember.rand(4, generator=ember.Generator().manual_seed(11)))
    new = g.seed()
    assert isinstance(new, int) and g.initial_seed() == new
    assert ember.manual_seed(3) is ember.default_generator and ember.initial_seed() == 3
    assert ember.seed() == ember.initial_seed()


def test_out_argument():
    outs = []
    for m in (ember, torch):
        m.manual_seed(4)
        a, b, c = m.empty(3, dtype=m.float64), m.empty(0), m.empty(5, dtype=m.int32)
        r = [m.randn(3, out=a), m.rand(2, 2, out=b), m.randint(0, 9, (5,), out=c), m.randperm(4, out=c),
             m.normal(0.0, 1.0, (17,), out=m.empty(17))]
        assert r[0] is a and r[1] is b
        outs.append(r)
    for e, t in zip(*outs):
        _eq(e, t)


def test_fork_rng_restores_the_state():
    ember.manual_seed(8)
    torch.manual_seed(8)
    with ember.random.fork_rng():
        ember.randn(100)
    with ember.random.fork_rng(enabled=False):
        ember.rand(1)
    with torch.random.fork_rng():
        torch.randn(100)
    torch.rand(1)
    _eq(ember.randn(10), torch.randn(10))


def test_inplace_sampling_follows_autograd_and_version_rules():
    w = ember.zeros(3, 4, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        w.uniform_()
    with ember.no_grad():
        v = w._version
        w.normal_()
        assert w._version == v + 1 and w.requires_grad and w.grad_fn is None
    y = ember.ones(5, requires_grad=True) * 2
    y.uniform_()
    y.sum().backward()  # the values no longer depend on the input


@pytest.mark.parametrize("call, error, phrase", [
    ("rand(3, dtype={m}.int64)", NotImplementedError, "check_uniform_bounds"),
    ("randn(3, dtype={m}.int32)", NotImplementedError, "normal_kernel_cpu"),
    ("randint(5, 3, (3,))", RuntimeError, "random_ expects 'from' to be less than 'to'"),
    ("randint(0, 300, (3,), dtype={m}.uint8)", RuntimeError, "to - 1 is out of bounds for unsigned char"),
    ("empty(3).bernoulli_(1.5)", RuntimeError, "bernoulli_ expects p to be in [0, 1]"),
    ("empty(3).normal_(0, -1)", RuntimeError, "normal expects std >= 0.0"),
    ("empty(3).uniform_(2, 1)", RuntimeError, "uniform_ expects to return a [from, to) range"),
    ("multinomial({m}.ones(3), 5)", RuntimeError, "cannot sample n_sample > prob_dist.size(-1)"),
    ("multinomial({m}.tensor([1.0, -1.0]), 1)", RuntimeError, "probability tensor contains either"),
    ("multinomial({m}.zeros(3), 1)", RuntimeError, "invalid multinomial distribution"),
    ("empty(3).exponential_(-1)", RuntimeError, "exponential_ expects lambda > 0.0"),
    ("randperm(-1)", RuntimeError, "Trying to create tensor with negative dimension"),
    ("Generator().manual_seed(1.5)", RuntimeError, "manual_seed expected a long"),
    ("manual_seed(2**64)", ValueError, "Overflow when unpacking long"),
    ("set_rng_state({m}.zeros(10, dtype={m}.uint8))", RuntimeError, "Expected a CPUGeneratorImplState"),
    ("set_rng_state({m}.zeros(5056))", TypeError, "RNG state must be a torch.ByteTensor"),
])
def test_errors_match_torch(call, error, phrase):
    for m in ("torch", "ember"):
        with pytest.raises(error, match=re.escape(phrase)):
            eval(f"{m}." + call.format(m=m))


@hypothesis.settings(max_examples=40, deadline=None)
@hypothesis.given(shape=st.lists(st.integers(0, 7), max_size=3), seed=st.integers(0, 2**64 - 1),
                  dtype=st.sampled_from(["float32", "float64", "float16"]),
                  mean=st.floats(-5, 5), std=st.floats(0, 5, allow_subnormal=False))  # subnormal std: sign of 0 differs
def test_any_shape_and_seed(shape, seed, dtype, mean, std):
    outs = []
    for m in (ember, torch):
        m.manual_seed(seed)
        dt = getattr(m, dtype)
        outs.append([m.randn(shape, dtype=dt), m.rand(shape, dtype=dt),
                     m.empty(shape, dtype=dt).normal_(mean, std), m.empty(shape, dtype=dt).uniform_(-std, std),
                     m.randint(-4, 9, shape), m.get_rng_state()])
    for e, t in zip(*outs):
        _eq(e, t)


def test_dataloader_shuffle_recipe_matches_torch():
    """torch's shuffling DataLoader: a base-seed draw, a sampler-seed draw, then randperm from a new
    generator seeded with it; the same calls in ember give torch's order and leave the same state."""
    from torch.utils.data import DataLoader
    torch.manual_seed(7)
    order = [int(b) for b in DataLoader(list(range(30)), batch_size=1, shuffle=True)]
    ember.manual_seed(7)
    ember.empty((), dtype=ember.int64).random_()  # the iterator's base seed
    g = ember.Generator().manual_seed(int(ember.empty((), dtype=ember.int64).random_().item()))
    assert ember.randperm(30, generator=g).tolist() == order
    np.testing.assert_array_equal(ember.get_rng_state().numpy(), torch.get_rng_state().numpy())


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("n", [3, 20])
def test_normal_with_zero_std_keeps_the_sign_of_zero(seed, n):
    """mean -0.0, std 0: torch's fused z * std + mean gives -0.0 where z < 0 (hypothesis found it)."""
    outs = []
    for m in (ember, torch):
        m.manual_seed(seed)
        outs.append(m.empty(n).normal_(-0.0, 0.0).numpy().tobytes())
    assert outs[0] == outs[1]


def test_fma64_signed_zeros():
    from ember._vec_math import fma64
    a = np.array([1.5, -1.5, 0.0, -0.0, 2.0])
    b, c = np.array([0.0, 0.0, 3.0, 3.0, -1.0]), np.array([-0.0, -0.0, -0.0, 0.0, 2.0])
    r = fma64(a, b, c)  # (these products and sums are exact, so IEEE a * b + c is the reference)
    assert np.signbit(r).tolist() == np.signbit(a * b + c).tolist() == [False, True, False, False, False]
    assert not r.any()
