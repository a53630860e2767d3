"""A 784-256-256-10 ReLU MLP, batch 128, cross-entropy, one SGD step (zero_grad, forward, backward,
step)."""
from ._common import init_params, randn, tensor

DESCRIPTION = "784-256-256-10 ReLU MLP, batch 128, CE + SGD step"
KIND = "time"
CHECK_STEPS = 3
RTOL, ATOL = 1e-4, 1e-5


def setup(torch, quick):
    import numpy as np
    nn = torch.nn
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                          nn.Linear(256, 10))
    init_params(torch, model, 3)
    x = tensor(torch, randn(1, 128, 784))
    y = torch.tensor(np.random.RandomState(2).randint(0, 10, size=128).astype(np.int64))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    return {"model": model, "x": x, "y": y, "opt": opt, "loss_fn": nn.CrossEntropyLoss(), "losses": []}


def step(state):
    opt = state["opt"]
    opt.zero_grad()
    loss = state["loss_fn"](state["model"](state["x"]), state["y"])
    loss.backward()
    opt.step()
    if len(state["losses"]) < CHECK_STEPS:
        state["losses"].append(loss.item())


def result(state):
    return [state["losses"], [p.detach().sum().item() for p in state["model"].parameters()]]
