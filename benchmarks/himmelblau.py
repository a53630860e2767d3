"""Seed 002's loop: Adam (lr 1e-3) on the Himmelblau function, one step = zero_grad, forward,
backward, step. Measures the fixed per-op overhead on tiny tensors."""

DESCRIPTION = "Adam on Himmelblau (2 scalars), per step"
KIND = "time"
CHECK_STEPS = 200
RTOL, ATOL = 1e-5, 1e-6


def himmelblau(x):
    return (x[0] ** 2 + x[1] - 11) ** 2 + (x[0] + x[1] ** 2 - 7) ** 2


def setup(torch, quick):
    x = torch.tensor([-4.0, 0.0], requires_grad=True)
    return {"x": x, "opt": torch.optim.Adam([x], lr=1e-3)}


def step(state):
    x, opt = state["x"], state["opt"]
    pred = himmelblau(x)
    opt.zero_grad()
    pred.backward()
    opt.step()


def result(state):
    return state["x"]
