"""30 x (Linear(1024, 1024) + Tanh), batch 64, forward and backward: the peak memory of one pass
(parameters are allocated before the baseline; their .grad buffers, the activations and the
backward's temporaries count)."""
from ._common import init_params, randn, tensor

DESCRIPTION = "30 x (Linear(1024,1024)+tanh), batch 64, fwd+bwd: peak memory"
KIND = "memory"
CHECK_STEPS = 1
RTOL, ATOL = 1e-4, 1e-4


def setup(torch, quick):
    nn = torch.nn
    layers = []
    for _ in range(30):
        layers += [nn.Linear(1024, 1024), nn.Tanh()]
    model = nn.Sequential(*layers)
    init_params(torch, model, 30)
    return {"model": model, "x": tensor(torch, randn(31, 64, 1024))}


def step(state):
    model = state["model"]
    model.zero_grad(set_to_none=True)
    out = model(state["x"]).sum()
    out.backward()
    state["out"] = out.item()


def result(state):
    params = list(state["model"].parameters())
    return [state["out"], params[0].grad.sum(), params[-2].grad.sum()]
