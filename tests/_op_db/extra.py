"""op_db entries for the differentiable functions of ember/ops/extra.py."""
import numpy as np

from tests._op_db.composite import api
from tests.op_db import OpInfo, Sample, arr


def _op(name, fn, samples, **kw):
    return OpInfo(name, lambda lib, *a, **k: fn(api(lib), *a, **k), samples, **kw)


def _index_copy_samples():
    return [Sample((arr(3, 4), 1, np.array([2, 0]), arr(3, 2, seed=1)), int_args=(2,)),
            Sample((arr(3, 4), 0, np.array([1]), arr(1, 4, seed=2)), int_args=(2,))]


def _masked_scatter_samples():
    return [Sample((arr(3, 4), arr(3, 4, seed=4) > 0, arr(12, seed=1)), bool_args=(1,)),
            Sample((arr(3, 4), arr(4, seed=5) > 0, arr(4, 4, seed=2)), bool_args=(1,), name="broadcast")]


def _put_samples():
    return [Sample((arr(3, 4), np.array([1, -1, 6]), arr(3, seed=1)), int_args=(1,)),
            Sample((arr(3, 4), np.array([[1, 1], [0, 5]]), arr(2, 2, seed=2)), {"accumulate": True},
                   int_args=(1,), name="accumulate")]


def _distinct(*shape, seed=0):
    g = np.random.default_rng(seed)
    return g.permutation(np.prod(shape)).reshape(shape) * 0.37 - 2.0 + g.uniform(0, 0.1, size=shape)


def _scatter_reduce_samples(reduce):
    def make():
        idx = np.array([[0, 1, 0, 1], [2, 1, 0, 2]])
        out = []
        for include_self in (True, False):
            x, src = _distinct(2, 3, seed=1), _distinct(2, 4, seed=2)
            if reduce == "prod":
                x, src = x + 5.0, src * 0.5 + 2.5  # away from zero: torch's zero handling differs
            out.append(Sample((x, 1, idx, src), {"reduce": reduce, "include_self": include_self},
                              int_args=(2,), name=f"self={include_self}"))
        # src larger than index is left out: torch's own backward fails on it (see test_extra.py)
        return out
    return make


def _scatter_reduce(lib, x, dim, index, src, **kw):
    return x.scatter_reduce(dim, index, src, **kw)


OPS = [
    _op("index_copy", lambda L, x, d, i, s: L.index_copy(x, d, i, s), _index_copy_samples),
    _op("masked_scatter", lambda L, x, m, s: x.masked_scatter(m, s), _masked_scatter_samples),
    _op("put", lambda L, x, i, s, **k: x.put(i, s, **k), _put_samples),
] + [
    _op(f"scatter_reduce_{r}", _scatter_reduce, _scatter_reduce_samples(r)) for r in
    ("sum", "mean", "amax", "amin")  # prod: torch's forward-mode rule gives zeros; see test_extra.py
]
