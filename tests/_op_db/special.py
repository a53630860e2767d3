"""op_db entries for ember/ops/special.py (lgamma, digamma, polygamma, erf, erfc, erfinv, xlogy)."""
import numpy as np

from tests.op_db import OpInfo, Sample, arr


def _sp(lib):
    """torch's functions live at top level; ember's in ember.ops.special until the lead re-exports."""
    if lib.__name__ == "torch":
        return lib
    from ember.ops import special
    return special


def _unary(low, high):
    def make():
        return [Sample((arr(3, 4, low=low, high=high),)),
                Sample((arr(5, low=low, high=high, seed=1),)),
                Sample((np.array(arr(1, low=low, high=high, seed=2)[0]),), name="0d")]
    return make


def _xlogy_samples():
    x = arr(3, 4, low=-2.0, high=2.0)
    x[0, :2] = 0.0  # the x == 0 branch
    return [Sample((x, arr(3, 4, low=0.5, high=3.0, seed=5))),
            Sample((arr(3, 1, low=-2.0, high=2.0), arr(4, low=0.5, high=3.0, seed=6)), name="broadcast")]


OPS = [
    OpInfo("lgamma", lambda lib, x: _sp(lib).lgamma(x), _unary(0.2, 6.0)),
    OpInfo("lgamma_negative", lambda lib, x: _sp(lib).lgamma(x), _unary(-2.9, -2.1)),
    OpInfo("digamma", lambda lib, x: _sp(lib).digamma(x), _unary(0.2, 6.0), grad_rtol=1e-4),
    OpInfo("digamma_negative", lambda lib, x: _sp(lib).digamma(x), _unary(-1.8, -1.2)),
    OpInfo("polygamma_1", lambda lib, x: _sp(lib).polygamma(1, x), _unary(0.5, 6.0), rtol=1e-5),
    OpInfo("polygamma_2", lambda lib, x: _sp(lib).polygamma(2, x), _unary(0.5, 6.0)),
    OpInfo("erf", lambda lib, x: _sp(lib).erf(x), _unary(-3.5, 3.5)),
    OpInfo("erfc", lambda lib, x: _sp(lib).erfc(x), _unary(-2.0, 4.0)),
    OpInfo("erfinv", lambda lib, x: _sp(lib).erfinv(x), _unary(-0.95, 0.95)),
    OpInfo("xlogy", lambda lib, x, y: _sp(lib).xlogy(x, y), _xlogy_samples),
]
