"""LeNet-5 (d2l's: sigmoid, average pooling) on 28x28 inputs, batch 64, one SGD training step:
convolution and pooling speed."""
import numpy as np

from ._common import init_params, randn, tensor

DESCRIPTION = "LeNet-5 (d2l), 28x28, batch 64, one SGD step"
KIND = "time"
CHECK_STEPS = 3
RTOL, ATOL = 1e-4, 1e-5


def setup(torch, quick):
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))
    init_params(torch, model, 50)
    x = tensor(torch, randn(51, 64, 1, 28, 28))
    y = torch.tensor(np.random.RandomState(52).randint(0, 10, size=64).astype(np.int64))
    opt = torch.optim.SGD(model.parameters(), lr=0.9)
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
