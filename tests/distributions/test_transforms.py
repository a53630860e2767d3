"""Transforms and the constraint registry against torch: values, inverses, log-jacobians, shapes."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ember
from ember.distributions import constraints as C
from ember.distributions import transforms as T

torch = pytest.importorskip("torch")
TC = torch.distributions.constraints
TT = torch.distributions.transforms


def _np(t):
    return t.detach().numpy()


def _close(e, t, rtol=1e-7, atol=1e-9):
    np.testing.assert_allclose(_np(e), _np(t), rtol=rtol, atol=atol, equal_nan=True)


def _x(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def _pos(*shape, seed=0):
    return np.random.default_rng(seed).uniform(0.3, 2.5, size=shape)


# name -> (factory(lib) -> transform, input array)
def _affine(lib):
    return lib.distributions.transforms.AffineTransform(
        lib.tensor(_x(3, seed=1)), lib.tensor(_pos(3, seed=2) - 1.2))


def _affine_event(lib):
    return lib.distributions.transforms.AffineTransform(
        lib.tensor(_x(2, 3, seed=1)), lib.tensor(_pos(2, 3, seed=2)), event_dim=2)


def _compose(lib):
    t = lib.distributions.transforms
    return t.ComposeTransform([t.AffineTransform(0.5, 2.0), t.ExpTransform(),
                               t.PowerTransform(lib.tensor(1.5, dtype=lib.float64))])


def _compose_event(lib):
    t = lib.distributions.transforms
    return t.ComposeTransform([t.ExpTransform(), t.AffineTransform(1.0, -0.5),
                               t.StickBreakingTransform()])


def _cat(lib):
    t = lib.distributions.transforms
    return t.CatTransform([t.ExpTransform(), t.AffineTransform(1.0, 3.0), t.TanhTransform()],
                          dim=-1, lengths=[1, 2, 1])


def _stack(lib):
    t = lib.distributions.transforms
    return t.StackTransform([t.ExpTransform(), t.SigmoidTransform(), t.SoftplusTransform()], dim=1)


def _simple(name, *args):
    return lambda lib: getattr(lib.distributions.transforms, name)(*args)


def _independent(lib):
    t = lib.distributions.transforms
    return t.IndependentTransform(t.SigmoidTransform(), 1)


def _reshape(lib):
    return lib.distributions.transforms.ReshapeTransform((2, 3), (3, 2))


def _power(lib):
    return lib.distributions.transforms.PowerTransform(lib.tensor(_pos(4, seed=3) - 1.0))


def _cdf(lib):
    d = lib.distributions.Normal(lib.tensor(_x(4, seed=3)), lib.tensor(_pos(4, seed=4)))
    return lib.distributions.transforms.CumulativeDistributionTransform(d)


BIJECTIVE = {
    "exp": (_simple("ExpTransform"), _x(3, 4)),
    "sigmoid": (_simple("SigmoidTransform"), _x(3, 4) * 3),
    "tanh": (_simple("TanhTransform"), _x(3, 4)),
    "softplus": (_simple("SoftplusTransform"), _x(3, 4) * 3),
    "affine": (_affine, _x(2, 3)),
    "affine_scalar": (_simple("AffineTransform", -1.0, 0.25), _x(5)),
    "affine_event": (_affine_event, _x(4, 2, 3)),
    "power": (lambda lib: _power(lib), _pos(2, 4)),
    "stick_breaking": (_simple("StickBreakingTransform"), _x(3, 4)),
    "corr_cholesky": (_simple("CorrCholeskyTransform"), _x(2, 6)),
    "compose": (_compose, _x(2, 3) * 0.5),
    "compose_event": (_compose_event, _x(2, 3) * 0.5),
    "cat": (_cat, _x(3, 4) * 0.5),
    "stack": (_stack, _x(2, 3, 4)),
    "independent": (_independent, _x(3, 4)),
    "reshape": (_reshape, _x(4, 2, 3)),
    "cdf": (_cdf, _x(3, 4)),
}


@pytest.mark.parametrize("name", sorted(BIJECTIVE))
def test_bijective_transform_matches_torch(name):
    make, x = BIJECTIVE[name]
    et, tt = make(ember), make(torch)
    ex, tx = ember.tensor(x), torch.tensor(x)
    ey, ty = et(ex), tt(tx)
    _close(ey, ty)
    _close(et.inv(ey), tt.inv(ty))
    _close(et.inv(ey), tx, rtol=1e-6, atol=1e-7)  # a true inverse
    _close(et.log_abs_det_jacobian(ex, ey), tt.log_abs_det_jacobian(tx, ty))
    _close(et.inv.log_abs_det_jacobian(ey, ex), tt.inv.log_abs_det_jacobian(ty, tx))
    assert et.bijective is tt.bijective is True
    assert et.domain.event_dim == tt.domain.event_dim
    assert et.codomain.event_dim == tt.codomain.event_dim
    assert tuple(et.forward_shape(ex.shape)) == tuple(tt.forward_shape(tx.shape))
    assert tuple(et.inverse_shape(ey.shape)) == tuple(tt.inverse_shape(ty.shape))
    assert repr(et) == repr(tt)
    assert bool(et.codomain.check(ey).all())


@pytest.mark.parametrize("name", ["exp", "sigmoid", "tanh", "affine", "stick_breaking",
                                  "corr_cholesky", "compose_event"])
def test_log_abs_det_jacobian_gradient_matches_torch(name):
    make, x = BIJECTIVE[name]
    ex = ember.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    et, tt = make(ember), make(torch)
    ember.autograd.backward(et.log_abs_det_jacobian(ex, et(ex)).sum() + et(ex).sum())
    (tt.log_abs_det_jacobian(tx, tt(tx)).sum() + tt(tx).sum()).backward()
    _close(ex.grad, tx.grad, rtol=1e-6, atol=1e-8)


def test_log_abs_det_jacobian_is_the_jacobian():
    # elementwise: log|dy/dx| by autograd; stick breaking: the determinant of the full jacobian
    x = _x(3)
    t = T.StickBreakingTransform()
    full = ember.autograd.functional.jacobian(lambda v: t(v)[:-1], ember.tensor(x))
    logdet = np.log(abs(np.linalg.det(full.numpy())))
    ex = ember.tensor(x)
    np.testing.assert_allclose(t.log_abs_det_jacobian(ex, t(ex)).item(), logdet, rtol=1e-10)


NON_BIJECTIVE = {
    "abs": (_simple("AbsTransform"), _x(3, 4)),
    "softmax": (_simple("SoftmaxTransform"), _x(3, 4)),
    "lower_cholesky": (_simple("LowerCholeskyTransform"), _x(2, 3, 3)),
    "positive_definite": (_simple("PositiveDefiniteTransform"), _x(2, 3, 3)),
}


@pytest.mark.parametrize("name", sorted(NON_BIJECTIVE))
def test_non_bijective_transform_matches_torch(name):
    make, x = NON_BIJECTIVE[name]
    et, tt = make(ember), make(torch)
    ey, ty = et(ember.tensor(x)), tt(torch.tensor(x))
    _close(ey, ty)
    _close(et.inv(ey), tt.inv(ty), rtol=1e-6, atol=1e-8)
    assert et.bijective is tt.bijective is False
    assert repr(et) == repr(tt)
    assert bool(et.codomain.check(ey).all())


def test_cache_returns_the_cached_input():
    t = T.ExpTransform(cache_size=1)
    x = ember.randn(3)
    y = t(x)
    assert t.inv(y) is x
    assert t(x) is y
    assert T.ExpTransform().with_cache(1)._cache_size == 1
    with pytest.raises(ValueError, match="cache_size must be 0 or 1"):
        T.ExpTransform(cache_size=2)


def test_equality_inverse_and_identity():
    assert T.ExpTransform() == T.ExpTransform()
    assert T.ExpTransform().inv == T.ExpTransform().inv
    assert T.ExpTransform().inv.inv == T.ExpTransform()
    assert T.AffineTransform(1.0, 2.0) == T.AffineTransform(1.0, 2.0)
    assert T.AffineTransform(1.0, 2.0) != T.AffineTransform(1.0, 3.0)
    assert T.identity_transform == T.ComposeTransform([])
    x = ember.randn(4)
    assert T.identity_transform(x) is x
    assert T.SigmoidTransform().sign == 1
    assert T.AffineTransform(0.0, -2.0).sign == -1
    assert T.ComposeTransform([T.ExpTransform(), T.AffineTransform(0.0, -1.0)]).sign == -1
    with pytest.raises(ValueError, match="different numbers of elements"):
        T.ReshapeTransform((2, 3), (5,))
    with pytest.raises(ValueError, match="flattend lower-diagonal"):
        T.CorrCholeskyTransform().forward_shape((4,))
    with pytest.raises(ValueError, match="event_dim"):
        _ = T.ComposeTransform([T.ReshapeTransform((4,), (2, 2))]).event_dim


def _constraint_cases(lib):
    c = lib.distributions.constraints
    lo = lib.tensor(_x(3, seed=5))
    return {
        "real": c.real,
        "real_vector": c.real_vector,
        "positive": c.positive,
        "nonnegative": c.nonnegative,
        "greater_than": c.greater_than(lo),
        "greater_than_eq": c.greater_than_eq(-1.5),
        "less_than": c.less_than(lo),
        "unit_interval": c.unit_interval,
        "interval": c.interval(lo, lo + 2.0),
        "half_open_interval": c.half_open_interval(-2.0, 3.0),
        "simplex": c.simplex,
        "lower_cholesky": c.lower_cholesky,
        "positive_definite": c.positive_definite,
        "positive_semidefinite": c.positive_semidefinite,
        "corr_cholesky": c.corr_cholesky,
        "independent": c.independent(c.positive, 1),
        "cat": c.cat([c.positive, c.real, c.unit_interval], dim=-1, lengths=[1, 1, 1]),
        "stack": c.stack([c.positive, c.real, c.unit_interval], dim=-1),
    }


_INPUT_SHAPES = {"lower_cholesky": (2, 3, 3), "positive_definite": (2, 3, 3),
                 "positive_semidefinite": (2, 3, 3), "corr_cholesky": (2, 3)}


@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
@pytest.mark.parametrize("name", sorted(_constraint_cases(ember)))
def test_constraint_registry_matches_torch(registry, name):
    ec = _constraint_cases(ember)[name]
    tc = _constraint_cases(torch)[name]
    ereg = getattr(ember.distributions, registry)
    treg = getattr(torch.distributions, registry)
    try:
        tt = treg(tc)
    except NotImplementedError:
        with pytest.raises(NotImplementedError, match="Cannot transform"):
            ereg(ec)
        return
    et = ereg(ec)
    assert repr(et) == repr(tt)
    x = _x(*_INPUT_SHAPES.get(name, (2, 3)), seed=7)
    ey, ty = et(ember.tensor(x)), tt(torch.tensor(x))
    _close(ey, ty, rtol=1e-6, atol=1e-9)
    assert bool(ec.check(ey).all())
    if et.bijective:
        _close(et.log_abs_det_jacobian(ember.tensor(x), ey),
               tt.log_abs_det_jacobian(torch.tensor(x), ty), rtol=1e-6, atol=1e-9)


def test_registry_register_and_errors():
    reg = ember.distributions.constraint_registry.ConstraintRegistry()
    reg.register(C.positive, lambda c: T.ExpTransform())
    assert isinstance(reg(C.positive), T.ExpTransform)
    with pytest.raises(NotImplementedError, match="Cannot transform _Boolean constraints"):
        reg(C.boolean)
    with pytest.raises(TypeError, match="Expected constraint"):
        reg.register(3, lambda c: T.ExpTransform())


@settings(max_examples=25, deadline=None)
@given(shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
       name=st.sampled_from(["exp", "sigmoid", "tanh", "softplus", "stick_breaking",
                             "corr_cholesky_3"]),
       seed=st.integers(0, 2 ** 16))
def test_transforms_over_shapes(shape, name, seed):
    if name == "corr_cholesky_3":  # a 3 x 3 factor needs vectors of 3
        shape = (*shape[:-1], 3)
        make = _simple("CorrCholeskyTransform")
    else:
        make = BIJECTIVE[name][0]
    x = _x(*shape, seed=seed)
    et, tt = make(ember), make(torch)
    ey, ty = et(ember.tensor(x)), tt(torch.tensor(x))
    assert tuple(ey.shape) == tuple(ty.shape) == tuple(tt.forward_shape(shape))
    _close(ey, ty)
    _close(et.log_abs_det_jacobian(ember.tensor(x), ey), tt.log_abs_det_jacobian(torch.tensor(x), ty))
    _close(et.inv(ey), tt.inv(ty), rtol=1e-6, atol=1e-8)
