"""Seed 000's control-flow function with backward, per call, from a = 0.001: about twenty tiny ops
(mul, norm, comparisons) and their backward. Measures per-op overhead and ``bool(tensor)``."""

DESCRIPTION = "seed 000 f(a) with while/if on a scalar + backward, per call"
KIND = "time"
CHECK_STEPS = 1
RTOL, ATOL = 1e-6, 0.0


def f(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


def setup(torch, quick):
    return {"a": torch.tensor(0.001, requires_grad=True), "d": None}


def step(state):
    a = state["a"]
    a.grad = None
    d = f(a)
    d.backward()
    state["d"] = d


def result(state):
    return [state["a"].grad, state["d"]]
