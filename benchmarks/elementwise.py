"""sum(exp(sin(x)) * x + tanh(x) ** 2) over 4,000,000 float32 elements, forward and backward:
memory-bound pointwise work, where temporaries and float64 upcasts show."""
from ._common import randn, tensor

DESCRIPTION = "sum(exp(sin(x))*x + tanh(x)^2), 4M elements, fwd+bwd"
KIND = "time"
CHECK_STEPS = 1
RTOL, ATOL = 1e-4, 1e-4
N = 4_000_000


def setup(torch, quick):
    return {"x": tensor(torch, randn(20, N), True), "torch": torch}


def step(state):
    torch, x = state["torch"], state["x"]
    x.grad = None
    s = (torch.exp(torch.sin(x)) * x + torch.tanh(x) ** 2).sum()
    s.backward()
    state["s"] = s


def result(state):
    g = state["x"].grad
    return [state["s"], g.sum(), g[:1000]]
