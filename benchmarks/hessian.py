"""The full 64x64 Hessian of sum(tanh(A @ x) ** 2) through double backward.

torch.autograd.functional.hessian where the library has it, else one autograd.grad with
create_graph=True and a loop of 64 grads of its rows (the same work)."""
from ._common import randn, tensor

DESCRIPTION = "64x64 Hessian of sum(tanh(A@x)^2) (double backward)"
KIND = "time"
CHECK_STEPS = 1
RTOL, ATOL = 1e-4, 1e-5
N = 64


def setup(torch, quick):
    return {"A": tensor(torch, randn(40, N, N, scale=N ** -0.5)), "x": tensor(torch, randn(41, N)),
            "torch": torch}


def _hessian_by_loop(torch, f, x):
    x = x.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(f(x), x, create_graph=True)
    rows = [torch.autograd.grad(g[i], x, retain_graph=True)[0] for i in range(x.shape[0])]
    return torch.stack(rows)


def step(state):
    torch, a = state["torch"], state["A"]

    def f(x):
        return (torch.tanh(a @ x) ** 2).sum()

    functional = getattr(torch.autograd, "functional", None)
    if functional is not None and hasattr(functional, "hessian"):
        state["H"] = functional.hessian(f, state["x"])
    else:
        state["H"] = _hessian_by_loop(torch, f, state["x"])


def result(state):
    return state["H"]
