"""Composite ops (ember/ops/composite.py) against torch: values, dtypes, shapes and errors.

Every case runs the same code on torch and on ember and compares values, dtypes and shapes, or the
error type and message (``torch.`` read as ``ember.``).
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ember
import tests.op_db  # noqa: F401  (loaded first: it imports tests/_op_db/*, where api lives)
from tests._op_db.composite import api

torch = pytest.importorskip("torch")
nan = float("nan")
x = np.random.default_rng(0).normal(size=(3, 4)).round(2)


def T(L, a=x, **k):
    return L.tensor(a, **k)


def _norm(r):
    if isinstance(r, Exception):
        return (type(r).__name__, str(r).replace("torch.", "ember."))
    if isinstance(r, (tuple, list)):
        return [_norm(v) for v in r]
    if hasattr(r, "detach") and hasattr(r, "dtype"):
        vals = np.asarray(r.detach().tolist(), dtype=float).round(4).tolist()
        return (str(r.dtype).split(".")[-1], tuple(r.shape), vals)
    if hasattr(r, "__module__") and type(r).__module__ in ("torch", "ember"):
        return repr(r).replace("torch.", "ember.")
    return r


def compare(fn):
    """fn(lib) on torch and on ember: the same result or the same error."""
    out = []
    for lib in (torch, api(ember)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                out.append(_norm(fn(lib)))
            except Exception as e:  # noqa: BLE001  (the error itself is what is compared)
                out.append(_norm(e))
    assert repr(out[1]) == repr(out[0])

CASES: list = []
CASES.append(('select', lambda L: L.select(T(L), 1, -1)))
CASES.append(('select err', lambda L: L.select(T(L), 0, 3)))
CASES.append(('ravel', lambda L: L.ravel(T(L).t())))
CASES.append(('tile', lambda L: L.tile(T(L), (2,))))
CASES.append(('tile2', lambda L: L.tile(T(L), (2,1,2))))
CASES.append(('ri', lambda L: L.repeat_interleave(T(L), 2)))
CASES.append(('ri dim', lambda L: L.repeat_interleave(T(L), L.tensor([1,0,2]), dim=0)))
CASES.append(('ri err', lambda L: L.repeat_interleave(T(L), L.tensor([1,2]), dim=1)))
CASES.append(('ri only', lambda L: L.repeat_interleave(L.tensor([1,0,3]))))
CASES.append(('ri meth', lambda L: T(L).repeat_interleave(3, dim=1)))
CASES.append(('diff', lambda L: L.diff(T(L))))
CASES.append(('diff2', lambda L: L.diff(T(L), n=2, dim=0, prepend=T(L)[:1], append=T(L))))
CASES.append(('diff bool', lambda L: L.diff(L.tensor([True, False, False]))))
CASES.append(('diff int', lambda L: L.tensor([1,4,9]).diff()))
CASES.append(('diff err', lambda L: L.diff(L.tensor(1.))))
CASES.append(('logit', lambda L: L.logit(L.tensor([0.1,0.5,0.99, 0.0]))))
CASES.append(('logit eps', lambda L: L.logit(L.tensor([0.1,0.5,0.99, 0.0]), eps=0.2)))
CASES.append(('logit int', lambda L: L.logit(L.tensor([0, 1]))))
CASES.append(('logaddexp', lambda L: L.logaddexp(T(L), T(L)[:, :1]*3)))
CASES.append(('logaddexp inf', lambda L: L.logaddexp(L.tensor([float('inf'), -float('inf'), 1000.]), L.tensor([float('inf'), -float('inf'), 1000.]))))
CASES.append(('logaddexp2', lambda L: L.logaddexp2(T(L), T(L)*2)))
CASES.append(('logcumsumexp', lambda L: L.logcumsumexp(T(L)*100, 1)))
CASES.append(('logcumsumexp inf', lambda L: L.logcumsumexp(L.tensor([-float('inf'), 1, float('inf')]), 0)))
CASES.append(('cummax', lambda L: L.cummax(L.tensor([1.,3,3,2,float('nan'),5,float('nan')]),0)))
CASES.append(('cummin', lambda L: L.cummin(T(L), 0)))
CASES.append(('cummax int', lambda L: L.cummax(L.tensor([[1,3,3,2],[0,0,1,0]]), 1)))
CASES.append(('kthvalue', lambda L: L.kthvalue(L.tensor([2.,1,2,1]),2)))
CASES.append(('kthvalue kd', lambda L: L.kthvalue(T(L), 2, 0, True)))
CASES.append(('kthvalue err', lambda L: L.kthvalue(T(L), 5, 0, True)))
CASES.append(('mode', lambda L: L.mode(L.tensor([[1.,2,2,1,3],[3,2,2,3,1]]))))
CASES.append(('mode d0', lambda L: L.mode(L.tensor([[1,2],[1,3],[2,3]]), 0)))
CASES.append(('msort', lambda L: L.msort(T(L))))
CASES.append(('tad', lambda L: L.take_along_dim(T(L), L.tensor([[0],[1],[3]]), 1)))
CASES.append(('tad bcast', lambda L: L.take_along_dim(T(L), L.tensor([[0,2]]).t(), 1)))
CASES.append(('tad none', lambda L: L.take_along_dim(T(L), L.tensor([0, 11]))))
CASES.append(('tensor_split', lambda L: L.tensor_split(L.arange(7), 3)))
CASES.append(('tensor_split idx', lambda L: L.tensor_split(T(L), [1, 3, 10], dim=1)))
CASES.append(('tensor_split t', lambda L: L.tensor_split(T(L), L.tensor([1]), dim=0)))
CASES.append(('hsplit', lambda L: L.hsplit(T(L), 2)))
CASES.append(('hsplit err', lambda L: L.hsplit(L.arange(5), 2)))
CASES.append(('vsplit', lambda L: L.vsplit(T(L), [1])))
CASES.append(('vsplit err', lambda L: L.vsplit(L.arange(5), 2)))
CASES.append(('dsplit err', lambda L: L.dsplit(T(L), 2)))
CASES.append(('dsplit', lambda L: L.dsplit(L.ones(2,2,4), 2)))
CASES.append(('dstack', lambda L: L.dstack([L.tensor([1,2]), L.tensor([3,4])])))
CASES.append(('dstack2', lambda L: L.dstack([T(L), T(L)])))
CASES.append(('column_stack', lambda L: L.column_stack([L.tensor([1,2,3]), L.ones(3,2, dtype=L.int64), L.tensor([7,8,9])])))
for k in range(-1, 6):
    CASES.append((f'rot90 {k}', lambda L, k=k: L.rot90(T(L), k)))
CASES.append(('rot90 dims', lambda L: L.rot90(L.arange(24).reshape(2,3,4), 1, [2, 0])))
CASES.append(('rot90 err', lambda L: L.rot90(T(L), 1, [0,0])))
CASES.append(('rot90 err2', lambda L: L.rot90(T(L), 1, [0])))
CASES.append(('deg2rad', lambda L: L.deg2rad(L.tensor([180., 90]))))
CASES.append(('deg2rad int', lambda L: L.deg2rad(L.tensor([180, 90]))))
CASES.append(('rad2deg', lambda L: L.rad2deg(T(L))))
CASES.append(('heaviside', lambda L: L.heaviside(L.tensor([-1.,0,2]), L.tensor([0.5]))))
CASES.append(('heaviside err', lambda L: L.heaviside(L.tensor([-1.,0,2]), L.tensor([1]))))
CASES.append(('fmax', lambda L: L.fmax(L.tensor([1., nan, 3, nan]), L.tensor([2., 1, nan, nan]))))
CASES.append(('fmin', lambda L: L.fmin(L.tensor([1., nan, 3, nan]), L.tensor([2., 1, nan, nan]))))
CASES.append(('sgn', lambda L: L.sgn(T(L))))
CASES.append(('nansum', lambda L: L.nansum(L.tensor([[1., nan],[2, 3]]), 1)))
CASES.append(('nansum int', lambda L: L.nansum(L.tensor([[1, 2],[2, 3]]))))
CASES.append(('nanmean', lambda L: L.nanmean(L.tensor([[1., nan],[nan, nan]]), 1)))
CASES.append(('nanmean all', lambda L: L.nanmean(L.tensor([[1., nan],[2, nan]]))))
CASES.append(('std_mean', lambda L: L.std_mean(T(L), 1)))
CASES.append(('var_mean', lambda L: L.var_mean(T(L), 0, correction=0, keepdim=True)))
CASES.append(('var_mean all', lambda L: L.var_mean(T(L))))
for interp in ['linear','lower','higher','midpoint','nearest']:
    CASES.append((f'quantile {interp}', lambda L, interp=interp: L.quantile(T(L), L.tensor([0.1, 0.5, 0.75, 1.0], dtype=L.float64), dim=1, interpolation=interp)))
CASES.append(('quantile scalar', lambda L: L.quantile(T(L), 0.3)))
CASES.append(('quantile kd', lambda L: L.quantile(T(L), 0.3, dim=0, keepdim=True)))
CASES.append(('quantile kd none', lambda L: L.quantile(T(L), L.tensor([0.3, .6], dtype=L.float64), keepdim=True)))
CASES.append(('quantile nan', lambda L: L.quantile(L.tensor([[1., nan, 3],[1, 2, 3]]), 0.5, dim=1)))
CASES.append(('nanquantile', lambda L: L.nanquantile(L.tensor([[1., nan, 3],[nan, nan, nan], [4, 2, 3]]), L.tensor([0.25, .5]), dim=1)))
CASES.append(('quantile err', lambda L: L.quantile(T(L), 1.5)))
CASES.append(('quantile err2', lambda L: L.quantile(T(L).int(), 0.5)))
CASES.append(('quantile err3', lambda L: L.quantile(T(L), 0.5, interpolation='foo')))
CASES.append(('vander', lambda L: L.vander(L.tensor([1., 2, 0, -1]))))
CASES.append(('vander N inc', lambda L: L.vander(L.tensor([1, 2, 3]), N=2, increasing=True)))
CASES.append(('trapz', lambda L: L.trapz(T(L))))
CASES.append(('trapz x', lambda L: L.trapezoid(T(L), L.tensor([0., 1, 3, 6]))))
CASES.append(('trapz dx', lambda L: L.trapezoid(T(L), dx=0.5, dim=0)))
CASES.append(('cum trapz', lambda L: L.cumulative_trapezoid(T(L), L.tensor([0., 1, 3, 6]))))
CASES.append(('is_nonzero', lambda L: L.is_nonzero(L.tensor([0.5]))))
CASES.append(('is_nonzero err', lambda L: L.is_nonzero(L.tensor([0.5, 1]))))
CASES.append(('sum_to_size', lambda L: T(L).sum_to_size(1, 4)))
CASES.append(('sum_to_size2', lambda L: T(L).sum_to_size((4,))))
CASES.append(('sum_to_size err', lambda L: T(L).sum_to_size(3)))
CASES.append(('unfold', lambda L: L.arange(24.).reshape(2,3,4).unfold(2, 2, 1)))
CASES.append(('unfold2', lambda L: L.arange(24.).reshape(2,3,4).unfold(1, 2, 2)))
CASES.append(('unfold 0d', lambda L: L.tensor(3.).unfold(0, 1, 1)))
CASES.append(('unfold err', lambda L: T(L).unfold(1, 5, 1)))
CASES.append(('unfold err2', lambda L: T(L).unfold(1, 2, 0)))
CASES.append(('as_strided', lambda L: L.as_strided(T(L), (3,3), (1,1))))
CASES.append(('as_strided off', lambda L: T(L).as_strided((2,2), (4,1), 1)))
CASES.append(('as_strided err', lambda L: T(L).as_strided((4,4), (4,1), 1)))
CASES.append(('positive', lambda L: L.positive(T(L))))
CASES.append(('positive err', lambda L: L.positive(L.tensor([True]))))
CASES.append(('fix', lambda L: L.fix(T(L))))


@pytest.mark.parametrize("name,fn", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(name, fn):
    compare(fn)


# --------------------------------------------------------------------------- gradients beyond op_db
def _grads(lib, fn, *arrays):
    leaves = [lib.tensor(a, dtype=lib.float64, requires_grad=True) for a in arrays]
    out = fn(lib, *leaves)
    w = np.random.default_rng(5).uniform(-1, 1, size=tuple(out.shape))
    (out * lib.tensor(w)).sum().backward()
    return [leaf.grad.numpy() for leaf in leaves]


@pytest.mark.parametrize("name,fn,arrays", [
    ("logaddexp-ties", lambda L, a, b: L.logaddexp(a, b), (np.array([1.0, -2.0, 3.0]),) * 2),
    ("logaddexp2-ties", lambda L, a, b: L.logaddexp2(a, b), (np.array([1.0, -2.0, 3.0]),) * 2),
    ("fmax-ties-nan", lambda L, a, b: L.fmax(a, b), (np.array([1.0, nan, 2.0]), np.array([1.0, 0.5, nan]))),
    ("fmin-ties-nan", lambda L, a, b: L.fmin(a, b), (np.array([1.0, nan, 2.0]), np.array([1.0, 0.5, nan]))),
    ("nansum-nan", lambda L, a: L.nansum(a, 0), (np.array([[1.0, nan], [2.0, 3.0]]),)),
    ("nanmean-nan", lambda L, a: L.nanmean(a, 1), (np.array([[1.0, nan], [2.0, 3.0]]),)),
    ("logit-eps-outside", lambda L, a: L.logit(a, eps=0.2), (np.array([0.1, 0.5, 0.9]),)),
    ("cummax-ties", lambda L, a: L.cummax(a, 0).values, (np.array([1.0, 3.0, 3.0, 2.0, 4.0]),)),
    ("logcumsumexp-wide", lambda L, a: L.logcumsumexp(a, 0), (np.array([-50.0, 40.0, 0.0, 45.0]),)),
])
def test_special_point_grads_match_torch(name, fn, arrays):
    e = _grads(api(ember), fn, *arrays)
    t = _grads(torch, fn, *arrays)
    for ge, gt in zip(e, t):
        np.testing.assert_allclose(ge, gt, rtol=1e-6, atol=1e-9, equal_nan=True)


def test_vander_grad_matches_finite_differences():
    # torch's own vander backward fails (an in-place error), so check ember against gradcheck only
    E = api(ember)
    for x in (np.array([1.5, -0.5, 0.0, 2.0]), np.array([0.3, 1.2])):
        xt = ember.tensor(x, requires_grad=True)
        assert ember.autograd.gradcheck(lambda v: E.vander(v), (xt,))
        assert ember.autograd.gradgradcheck(lambda v: E.vander(v, N=3, increasing=True), (xt,))


def test_vander_values_match_torch():
    compare(lambda L: L.vander(L.tensor([1.5, -0.5, 0.0, 2.0]), N=5))


def test_select_is_a_view_sharing_the_version_counter():
    E = api(ember)
    a = ember.zeros(3, 4)
    s = E.select(a, 1, 2)
    s.add_(1)
    assert a[:, 2].tolist() == [1.0, 1.0, 1.0]


def test_cummax_return_type_prints_like_torch():
    E = api(ember)
    r = repr(E.cummax(ember.tensor([1.0, 3.0, 2.0]), 0))
    t = repr(torch.cummax(torch.tensor([1.0, 3.0, 2.0]), 0))
    assert r == t.replace("torch.", "ember.")


# --------------------------------------------------------------------------- varying shapes
@settings(max_examples=25, deadline=None)
@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=3), data=st.data())
def test_shape_ops_match_torch_for_any_shape(shape, data):
    a = np.random.default_rng(len(shape)).normal(size=shape).round(3)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    n = shape[dim]
    size = data.draw(st.integers(1, n))
    step = data.draw(st.integers(1, 3))
    sections = data.draw(st.integers(1, 4))
    compare(lambda L: L.tensor(a).unfold(dim, size, step))
    compare(lambda L: L.tensor_split(L.tensor(a), sections, dim))
    order = data.draw(st.integers(0, 3))
    compare(lambda L: L.diff(L.tensor(a), n=order, dim=dim))
    compare(lambda L: L.cummin(L.tensor(a), dim))
    compare(lambda L: L.logcumsumexp(L.tensor(a), dim))
    compare(lambda L: L.repeat_interleave(L.tensor(a), step, dim=dim))
    # torch picks among tied elements by its quickselect's order: compare values, and check that the
    # index points at an element holding that value
    compare(lambda L: L.kthvalue(L.tensor(a), size, dim).values)
    kth = ember.kthvalue(ember.tensor(a), size, dim, keepdim=True)
    np.testing.assert_array_equal(np.take_along_axis(a, kth.indices.numpy(), dim), kth.values.numpy())
    compare(lambda L: L.quantile(L.tensor(a), 0.3, dim=dim))
    compare(lambda L: L.tile(L.tensor(a), (step, sections)))


def test_quantile_refuses_empty_input_like_torch():
    compare(lambda L: L.quantile(L.ones(0), 0.5))
    compare(lambda L: L.nanquantile(L.ones(2, 0), 0.5, dim=1))
