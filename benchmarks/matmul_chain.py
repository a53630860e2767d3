"""X(1024x1024) -> relu(X @ W1) -> relu(. @ W2) -> sum, forward and backward (W1, W2 require grad).

Also has a bare-NumPy version doing only the work the pass needs (2 forward and 3 backward matmuls,
the relu masks), the floor ember sits on."""
import numpy as np

from ._common import randn, tensor

DESCRIPTION = "relu(relu(X@W1)@W2).sum() fwd+bwd, 1024x1024"
KIND = "time"
CHECK_STEPS = 1
RTOL, ATOL = 1e-4, 1e-4
N = 1024


def _arrays(n):
    return randn(10, n, n), randn(11, n, n, scale=n ** -0.5), randn(12, n, n, scale=n ** -0.5)


def setup(torch, quick):
    x, w1, w2 = _arrays(N)
    return {"x": tensor(torch, x), "w1": tensor(torch, w1, True), "w2": tensor(torch, w2, True),
            "torch": torch}


def step(state):
    w1, w2 = state["w1"], state["w2"]
    relu = state["torch"].relu
    w1.grad = None
    w2.grad = None
    s = relu(relu(state["x"] @ w1) @ w2).sum()
    s.backward()
    state["s"] = s


def result(state):
    return [state["s"], state["w1"].grad.sum(), state["w2"].grad.sum()]


def numpy_setup(quick):
    x, w1, w2 = _arrays(N)
    return {"x": x, "w1": w1, "w2": w2}


def numpy_step(state):
    x, w1, w2 = state["x"], state["w1"], state["w2"]
    h1 = x @ w1
    a1 = np.maximum(h1, 0)
    h2 = a1 @ w2
    a2 = np.maximum(h2, 0)
    s = a2.sum()
    g2 = (h2 > 0).astype(np.float32)
    gw2 = a1.T @ g2
    ga1 = g2 @ w2.T
    ga1 *= h1 > 0
    gw1 = x.T @ ga1
    state["out"] = (s, gw1.sum(), gw2.sum())


def numpy_result(state):
    return list(state["out"])
