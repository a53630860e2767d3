"""op_db entries for ember/ops/composite.py (functions built from other ops, checked end to end).

``api(lib)`` is ``lib`` itself for torch, and for ember the package with composite.py / extra.py /
_finfo.py names filled in where the package does not export them yet, so these entries test the
modules whether or not ember/__init__.py re-exports them.
"""
import numpy as np

from tests.op_db import OpInfo, Sample, arr


class _Api:
    def __init__(self, lib):
        from ember import _finfo
        from ember.ops import composite, extra
        self._lib = lib
        self._mods = (composite, extra, _finfo)
        composite.bind(lib.Tensor)
        extra.bind(lib.Tensor)

    def __getattr__(self, name):
        if hasattr(self._lib, name):
            return getattr(self._lib, name)
        for m in self._mods:
            if name in m.__all__:
                return getattr(m, name)
        raise AttributeError(name)


_API = {}


def api(lib):
    """torch, or ember with this task's functions available (see the module docstring)."""
    if lib.__name__ == "torch":
        return lib
    if lib not in _API:
        _API[lib] = _Api(lib)
    return _API[lib]


def _s(*shapes, kw=None, seed=0, low=-2.0, high=2.0):
    return lambda: [Sample(tuple(arr(*s, seed=seed + i, low=low, high=high) for s in shapes), dict(kw or {}))
                    for i in range(1)]


def _one(*shape, seed=0, low=-2.0, high=2.0, **kw):
    return Sample((arr(*shape, seed=seed, low=low, high=high),), kw)


def _op(name, fn, samples, **kw):
    return OpInfo(name, lambda lib, *a, **k: fn(api(lib), *a, **k), samples, **kw)


def _distinct(*shape, seed=0):
    """Values with no ties (max-like and sort-like ops)."""
    g = np.random.default_rng(seed)
    return g.permutation(np.prod(shape)).reshape(shape) * 0.37 - 2.0 + g.uniform(0, 0.1, size=shape)


def _trapz_samples():
    return [Sample((arr(3, 5),), {}), Sample((arr(3, 5),), {"dx": 0.5, "dim": 0}),
            Sample((arr(3, 5), np.sort(arr(5, seed=3))), {}, name="x1d"),
            Sample((arr(3, 5), np.sort(arr(3, 5, seed=4), axis=1)), {}, name="x2d")]


def _quantile(lib, x, q, **kw):
    qt = lib.tensor(q, dtype=x.dtype) if isinstance(q, list) else q
    return lib.quantile(x, qt, **kw)


def _nanquantile(lib, x, q, **kw):
    qt = lib.tensor(q, dtype=x.dtype) if isinstance(q, list) else q
    return lib.nanquantile(x, qt, **kw)


def _q_samples():
    x = _distinct(3, 5)
    return [Sample((x, 0.3), {}), Sample((x, [0.1, 0.5, 0.9]), {"dim": 1}),
            Sample((x, 0.7), {"dim": 0, "keepdim": True}),
            Sample((x, [0.25, 0.6]), {"dim": 1, "interpolation": "midpoint"}),
            Sample((x, 0.4), {"dim": 1, "interpolation": "lower"}),
            Sample((x, 0.4), {"dim": 1, "interpolation": "higher"}),
            Sample((x, 0.4), {"dim": 1, "interpolation": "nearest"})]


OPS = [
    _op("select", lambda L, x: L.select(x, 1, -2), _s((3, 4, 2))),
    _op("select_method", lambda L, x: x.select(0, 1), _s((3, 4))),
    _op("ravel", lambda L, x: L.ravel(x.t()), _s((3, 4))),
    _op("tile", lambda L, x, **k: L.tile(x, **k),
        lambda: [_one(2, 3, dims=(2,)), _one(2, 3, dims=(2, 1, 2))]),
    _op("repeat_interleave_int", lambda L, x: L.repeat_interleave(x, 2, dim=1), _s((3, 2))),
    _op("repeat_interleave_flat", lambda L, x: x.repeat_interleave(3), _s((2, 2))),
    _op("repeat_interleave_tensor", lambda L, x: L.repeat_interleave(x, L.tensor([2, 0, 1]), dim=0),
        _s((3, 2))),
    _op("take_along_dim", lambda L, x, i: L.take_along_dim(x, i, dim=1),
        lambda: [Sample((arr(3, 4), np.array([[0, 3], [1, 1], [2, 0]])), int_args=(1,)),
                 Sample((arr(3, 4), np.array([[0], [3], [1]])), int_args=(1,), name="one")]),
    _op("take_along_dim_flat", lambda L, x, i: L.take_along_dim(x, i),
        lambda: [Sample((arr(3, 4), np.array([0, 11, 5])), int_args=(1,))]),
    _op("tensor_split_sections", lambda L, x: L.tensor_split(x, 3, dim=1), _s((2, 7))),
    _op("tensor_split_indices", lambda L, x: L.tensor_split(x, [1, 4]), _s((6, 2))),
    _op("hsplit", lambda L, x: L.hsplit(x, 2), _s((3, 4))),
    _op("vsplit", lambda L, x: L.vsplit(x, [1]), _s((3, 4))),
    _op("dsplit", lambda L, x: L.dsplit(x, 2), _s((2, 2, 4))),
    _op("dstack", lambda L, x, y: L.dstack([x, y]), _s((3,), (3,))),
    _op("column_stack", lambda L, x, y: L.column_stack([x, y]), _s((3,), (3, 2))),
    _op("rot90", lambda L, x, **k: L.rot90(x, **k),
        lambda: [_one(3, 4, k=1), _one(3, 4, k=2), _one(3, 4, k=-1), _one(2, 3, 4, k=1, dims=(2, 0))]),
    _op("diff", lambda L, x, **k: L.diff(x, **k),
        lambda: [_one(3, 5), _one(4, 3, n=2, dim=0), _one(5, n=3)]),
    _op("diff_prepend_append", lambda L, x, p, a: L.diff(x, dim=1, prepend=p, append=a),
        _s((3, 4), (3, 1), (3, 2))),
    _op("vander", lambda L, x, **k: L.vander(x, **k),
        lambda: [_one(4), _one(3, N=5, increasing=True)], differentiable=False),  # torch's own backward fails
    _op("sgn", lambda L, x: L.sgn(x), _s((3, 4)), gradcheck=False),
    _op("deg2rad", lambda L, x: L.deg2rad(x), _s((3, 4))),
    _op("rad2deg", lambda L, x: L.rad2deg(x), _s((3, 4))),
    _op("logit", lambda L, x: L.logit(x), _s((3, 4), low=0.05, high=0.95)),
    _op("logit_eps", lambda L, x: L.logit(x, eps=0.1), _s((3, 4), low=0.15, high=0.85)),
    _op("fmax", lambda L, x, y: L.fmax(x, y), _s((3, 4), (4,))),
    _op("fmin", lambda L, x, y: L.fmin(x, y), _s((3, 4), (3, 1))),
    _op("logaddexp", lambda L, x, y: L.logaddexp(x, y), _s((3, 4), (4,))),
    _op("logaddexp2", lambda L, x, y: L.logaddexp2(x, y), _s((3, 4), (3, 1))),
    _op("nansum", lambda L, x, **k: L.nansum(x, **k), lambda: [_one(3, 4), _one(3, 4, dim=1, keepdim=True)]),
    _op("nanmean", lambda L, x, **k: L.nanmean(x, **k), lambda: [_one(3, 4), _one(3, 4, dim=0)]),
    _op("std_mean", lambda L, x, **k: L.std_mean(x, **k), lambda: [_one(3, 4), _one(3, 4, dim=1)]),
    _op("var_mean", lambda L, x, **k: L.var_mean(x, **k),
        lambda: [_one(3, 4, dim=0, keepdim=True), _one(3, 4, correction=0)]),
    _op("logcumsumexp", lambda L, x, **k: L.logcumsumexp(x, **k),
        lambda: [_one(3, 4, dim=1), _one(5, dim=0, low=-30, high=30), _one(2, 3, 2, dim=-2)]),
    _op("cummax", lambda L, x, d: L.cummax(x, d), lambda: [Sample((_distinct(3, 5), 1)),
                                                          Sample((_distinct(4, 2), 0))]),
    _op("cummin", lambda L, x, d: L.cummin(x, d), lambda: [Sample((_distinct(3, 5), 1))]),
    _op("kthvalue", lambda L, x, k, **kw: L.kthvalue(x, k, **kw),
        lambda: [Sample((_distinct(3, 5), 2)), Sample((_distinct(3, 5), 3), {"dim": 0, "keepdim": True})]),
    _op("mode", lambda L, x, **kw: L.mode(x, **kw),
        lambda: [Sample((np.array([[1.5, 2.0, 2.0, -1.0], [0.5, 0.5, 3.0, 3.0]]),)),
                 Sample((np.array([[1.5, 2.0], [1.5, -1.0], [0.5, 2.0]]),), {"dim": 0})],
        gradcheck=False),  # the mode needs ties, which finite differences break
    _op("msort", lambda L, x: L.msort(x), lambda: [Sample((_distinct(4, 3),))]),
    _op("quantile", lambda L, x, q, **kw: _quantile(L, x, q, **kw), _q_samples),
    _op("nanquantile", lambda L, x, q, **kw: _nanquantile(L, x, q, **kw), _q_samples),
    _op("trapezoid", lambda L, y, *x, **kw: L.trapezoid(y, *x, **kw), _trapz_samples),
    _op("trapz", lambda L, y, *x, **kw: L.trapz(y, *x, **kw), _trapz_samples),
    _op("cumulative_trapezoid", lambda L, y, *x, **kw: L.cumulative_trapezoid(y, *x, **kw),
        _trapz_samples),
    _op("sum_to_size", lambda L, x: x.sum_to_size(3, 1), _s((2, 3, 4))),
    _op("unfold", lambda L, x, *a: x.unfold(*a),
        lambda: [Sample((arr(3, 7), 1, 3, 2)), Sample((arr(5, 2), 0, 2, 1)), Sample((arr(4), 0, 4, 1))]),
    _op("as_strided", lambda L, x, *a: L.as_strided(x, *a),
        lambda: [Sample((arr(3, 4), (3, 3), (1, 1))), Sample((arr(12), (2, 2), (4, 1), 1))]),
]
