"""op_db entries for ember/ops/reduction.py.

Samples are uniform random, so max/min-like ops see no ties (ties have their own tests in
tests/ops/test_reduction.py).
"""
import numpy as np

from tests.op_db import OpInfo, Sample, arr


def _scalar(seed=2, low=-2.0, high=2.0):
    return np.array(arr(1, low=low, high=high, seed=seed)[0])


def reduce_samples(dim_kw=True, tuple_dims=True, zero_d=True, low=-2.0, high=2.0):
    """Full reductions, one dim, negative dim, keepdim, tuple dims and 0-d inputs."""
    def make():
        s = [Sample((arr(3, 4, low=low, high=high),)),
             Sample((arr(5, low=low, high=high, seed=1),))]
        if zero_d:
            s.append(Sample((_scalar(low=low, high=high),), name="0d"))
        if dim_kw:
            s += [Sample((arr(3, 4, low=low, high=high, seed=3),), {"dim": 1}),
                  Sample((arr(2, 3, 4, low=low, high=high, seed=4),), {"dim": -2, "keepdim": True}),
                  Sample((arr(2, 3, 4, low=low, high=high, seed=4),), {"dim": 0})]
            if zero_d:
                s.append(Sample((_scalar(seed=5, low=low, high=high),), {"dim": 0}, name="0d-dim"))
        if tuple_dims:
            s += [Sample((arr(2, 3, 4, low=low, high=high, seed=6),), {"dim": (0, 2)}),
                  Sample((arr(2, 3, 4, low=low, high=high, seed=7),), {"dim": (-1, 0), "keepdim": True})]
        return s
    return make


def dim_samples_nodim():
    """The same inputs as dim_samples, for the reduce-everything form."""
    return lambda: [Sample((s.args[0],)) for s in dim_samples()()]


def dim_samples(zero_d=True, low=-2.0, high=2.0):
    """Ops whose dim is one required int (cumsum, logsumexp, max with dim, ...)."""
    def make():
        s = [Sample((arr(3, 4, low=low, high=high),), {"dim": 1}),
             Sample((arr(5, low=low, high=high, seed=1),), {"dim": 0}),
             Sample((arr(2, 3, 4, low=low, high=high, seed=4),), {"dim": -2}),
             Sample((arr(2, 3, 4, low=low, high=high, seed=8),), {"dim": 0})]
        if zero_d:
            s.append(Sample((_scalar(),), {"dim": 0}, name="0d"))
            s.append(Sample((_scalar(seed=9),), {"dim": -1}, name="0d-neg"))
        return s
    return make


def with_zeros_samples():
    """prod / cumprod with one and with two zeros along the reduced dim (gradient edge cases)."""
    def make():
        one = arr(3, 4, seed=11)
        one[1, 2] = 0.0
        two = arr(3, 4, seed=12)
        two[0, 1] = two[0, 3] = 0.0
        return [Sample((one,), {"dim": 1}, name="one-zero"),
                Sample((two,), {"dim": 1}, name="two-zeros"),
                Sample((one,), {"dim": 0}, name="one-zero-d0")]
    return make


def _keepdim_tuple_to_single(kw):
    """prod and max-with-dim take one int dim: turn tuple-dim samples into their first dim."""
    kw = dict(kw)
    if isinstance(kw.get("dim"), tuple):
        kw["dim"] = kw["dim"][0]
    return kw


def _prod(lib, x, **kw):
    return lib.prod(x, **_keepdim_tuple_to_single(kw))


def _max(lib, x, **kw):
    kw = _keepdim_tuple_to_single(kw)
    return tuple(lib.max(x, **kw)) if "dim" in kw else lib.max(x)


def _min(lib, x, **kw):
    kw = _keepdim_tuple_to_single(kw)
    return tuple(x.min(**kw)) if "dim" in kw else x.min()


def _both(*makers):
    def make():
        return [s for m in makers for s in m()]
    return make


def _std_var_samples():
    s = reduce_samples(zero_d=False)()
    s += [Sample((arr(3, 4, seed=20),), {"dim": 1, "correction": 0}),
          Sample((arr(3, 4, seed=21),), {"dim": 0, "unbiased": False, "keepdim": True}),
          Sample((arr(2, 3, 4, seed=22),), {"dim": (0, 1), "correction": 2})]
    return s


OPS = [
    OpInfo("sum", lambda lib, x, **kw: lib.sum(x, **kw), reduce_samples()),
    OpInfo("sum_method_axis", lambda lib, x: x.sum(axis=1, keepdims=True),
           lambda: [Sample((arr(3, 4),))]),
    OpInfo("mean", lambda lib, x, **kw: lib.mean(x, **kw), reduce_samples()),
    OpInfo("mean_dtype", lambda lib, x: x.mean(1, dtype=lib.float64),
           lambda: [Sample((arr(3, 4),))]),
    OpInfo("prod", _prod, _both(reduce_samples(low=0.5, high=1.5), with_zeros_samples())),
    OpInfo("max", _max, reduce_samples()),
    OpInfo("min", _min, reduce_samples()),
    OpInfo("max_other", lambda lib, x, y: lib.max(x, y),
           lambda: [Sample((arr(3, 4), arr(3, 4, seed=3))), Sample((arr(3, 4), arr(4, seed=4)))]),
    OpInfo("amax", lambda lib, x, **kw: lib.amax(x, **kw), reduce_samples()),
    OpInfo("amin", lambda lib, x, **kw: x.amin(**kw), reduce_samples()),
    OpInfo("argmax", lambda lib, x, **kw: lib.argmax(x, **_keepdim_tuple_to_single(kw)),
           reduce_samples(), differentiable=False),
    OpInfo("argmin", lambda lib, x, **kw: x.argmin(**_keepdim_tuple_to_single(kw)),
           reduce_samples(), differentiable=False),
    OpInfo("argmax_keepdim_nodim", lambda lib, x: lib.argmax(x, keepdim=True),
           lambda: [Sample((arr(3, 4),))], differentiable=False),
    OpInfo("median", lambda lib, x, **kw: tuple(x.median(**_keepdim_tuple_to_single(kw))) if kw
           else lib.median(x), reduce_samples()),
    OpInfo("std", lambda lib, x, **kw: lib.std(x, **kw), _std_var_samples),
    OpInfo("var", lambda lib, x, **kw: x.var(**kw), _std_var_samples),
    OpInfo("var_0d", lambda lib, x: lib.var(x, correction=0),
           lambda: [Sample((_scalar(),), name="0d")]),
    OpInfo("std_legacy", lambda lib, x: (lib.std(x, False), lib.std(x, 1, True, True)),
           lambda: [Sample((arr(3, 4),))]),
    OpInfo("norm", lambda lib, x, **kw: lib.norm(x, **kw), reduce_samples(tuple_dims=False)),
    OpInfo("norm_method_dims", lambda lib, x, **kw: x.norm(**kw), reduce_samples(dim_kw=False)),
    OpInfo("norm_p1", lambda lib, x, **kw: x.norm(1, **kw), reduce_samples()),
    OpInfo("norm_p3", lambda lib, x, **kw: x.norm(3, **kw), reduce_samples()),
    OpInfo("norm_p1_5", lambda lib, x, **kw: lib.norm(x, 1.5, **kw), reduce_samples()),
    OpInfo("norm_p0_5", lambda lib, x, **kw: lib.norm(x, 0.5, **kw), reduce_samples(), grad_rtol=1e-3),
    OpInfo("norm_inf", lambda lib, x, **kw: x.norm(float("inf"), **kw), reduce_samples()),
    OpInfo("norm_ninf", lambda lib, x, **kw: x.norm(float("-inf"), **kw), reduce_samples()),
    OpInfo("norm_p0", lambda lib, x, **kw: lib.norm(x, 0, **kw), reduce_samples()),
    OpInfo("norm_fro", lambda lib, x: (x.norm("fro"), lib.norm(x, "fro", dim=(0, 1), keepdim=True)),
           lambda: [Sample((arr(3, 4),))]),
    OpInfo("logsumexp", lambda lib, x, **kw: lib.logsumexp(x, **kw), dim_samples()),
    OpInfo("logsumexp_tuple_keepdim", lambda lib, x: x.logsumexp((0, 2), keepdim=True),
           lambda: [Sample((arr(2, 3, 4, low=-50, high=50),))]),
    OpInfo("cumsum", lambda lib, x, **kw: lib.cumsum(x, **kw), dim_samples()),
    OpInfo("cumsum_dtype", lambda lib, x: x.cumsum(0, dtype=lib.float64),
           lambda: [Sample((arr(3, 4),))]),
    OpInfo("cumprod", lambda lib, x, **kw: lib.cumprod(x, **kw),
           _both(dim_samples(low=0.5, high=1.5), with_zeros_samples())),
    # boolean reductions: results are bool (no gradient); inputs thresholded so both outcomes occur
    OpInfo("all", lambda lib, x, **kw: lib.all(x > -1.5, **kw), dim_samples(), differentiable=False),
    OpInfo("all_full", lambda lib, x: (x > -1.5).all(), dim_samples_nodim(), differentiable=False),
    OpInfo("any", lambda lib, x, **kw: lib.any(x > 1.5, **kw), dim_samples(), differentiable=False),
    OpInfo("any_full", lambda lib, x: (x > 1.5).any(), dim_samples_nodim(), differentiable=False),
    OpInfo("count_nonzero", lambda lib, x, **kw: lib.count_nonzero(lib.relu(x), **kw),
           dim_samples(zero_d=False), differentiable=False),
]
