"""float32 transcendental functions that round like torch's.

NumPy's float32 exp/log/tanh/... are fast SIMD approximations that differ from torch's results in the
last bit for 10-40% of inputs, which shows in printed tensors (a softmax row summing to 1.0000 instead
of 1.). torch's kernels are nearly correctly rounded, so evaluating in float64 and rounding once
matches torch for ~99% of values. That costs 5-10x NumPy's float32 speed, so it is done for arrays
up to ``SMALL`` elements (what learners print); larger arrays take NumPy's fast float32 path.
"""
from __future__ import annotations

SMALL = 1 << 16


def precise(xp, fn, x):
    """``fn(x)``, evaluated in float64 and rounded once when x is a small float32 array."""
    if x.dtype == xp.float32 and x.size <= SMALL:
        return fn(x.astype(xp.float64)).astype(xp.float32)
    return fn(x)
