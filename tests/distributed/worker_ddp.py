"""Run on N ranks: DistributedDataParallel training matches single-process training on the full batch.

Each rank starts from a different initialisation (DDP must broadcast rank 0's), trains on its
DistributedSampler shard, and after the steps every rank's parameters must equal every other's and
those of one process trained on the whole batch from rank 0's initialisation (within 1e-5).
Prints ``OK <check>`` per passed check.
"""
import sys

import numpy as np

import ember
import ember.distributed as dist
from ember import nn
from ember.nn.parallel import DistributedDataParallel as DDP
from ember.utils.data import DistributedSampler


def ok(check):
    """Report a passed check. Rank 0 alone prints (lines of several ranks would interleave); a failed
    check on any rank raises, and the uncaught exception aborts the job with a non-zero status."""
    if dist.get_rank() == 0:
        print(f"OK {check}", flush=True)


N, STEPS = 48, 50


def spiral(n, classes=3, seed=0):
    """The demo's spiral: ``classes`` arms of points with a little noise."""
    rng = np.random.default_rng(seed)
    per = n // classes
    t = np.tile(np.linspace(0.0, 1.0, per), classes)
    label = np.repeat(np.arange(classes), per)
    angle = label * 4.0 + t * 4.0 + rng.normal(0.0, 0.2, n)
    x = np.stack([t * np.sin(angle), t * np.cos(angle)], axis=1).astype(np.float32)
    return ember.from_numpy(x), ember.from_numpy(label.astype(np.int64))


class WithUnused(nn.Module):
    """The MLP plus a layer that forward never calls."""

    def __init__(self, mlp):
        super().__init__()
        self.mlp = mlp
        self.unused = nn.Linear(4, 4)

    def forward(self, x):
        return self.mlp(x)


def make_model(seed, extra=False):
    ember.manual_seed(seed)
    layers = [nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 3)]
    model = nn.Sequential(*layers)
    return WithUnused(model) if extra else model


def train(model, batches, steps, accumulate=1, ddp=None):
    """SGD with momentum; each step sums the gradients of ``accumulate`` micro-batches."""
    opt = ember.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(steps):
        opt.zero_grad()
        for i, (x, y) in enumerate(batches):
            last = i == len(batches) - 1
            if ddp is not None and not last:
                with ddp.no_sync():
                    (loss_fn(ddp(x), y) / accumulate).backward()
            else:
                (loss_fn(model(x), y) / accumulate).backward()
        opt.step()
    return model


def flat(model):
    return ember.cat([p.detach().reshape(-1) for p in model.parameters()])


def check_same(model, reference, what):
    mine = flat(model)
    everyone = ember.zeros(dist.get_world_size(), mine.numel())
    dist.all_gather_into_tensor(everyone, mine)
    spread = (everyone - everyone[0]).abs().max().item()
    off = (mine - flat(reference)).abs().max().item()
    if spread != 0.0 or off > 1e-5:
        raise AssertionError(f"rank {dist.get_rank()} {what}: ranks differ by {spread}, "
                             f"single-process differs by {off}")
    ok(f"{what}")


def main():
    dist.init_process_group("mpi")
    rank, size = dist.get_rank(), dist.get_world_size()
    x, y = spiral(N)
    shard = list(DistributedSampler(range(N), shuffle=False))
    assert shard == list(range(rank, N, size)), shard
    xs, ys = x[shard], y[shard]
    reference = train(make_model(0), [(x, y)], STEPS)

    # plain DDP, default buckets; ranks start from different weights
    ddp = DDP(make_model(0 if rank == 0 else 100 + rank))
    assert next(iter(ddp.state_dict())).startswith("module.")
    train(ddp, [(xs, ys)], STEPS)
    check_same(ddp.module, reference, "ddp default buckets")

    # many small buckets: each Iallreduce starts while backward still runs
    ddp = DDP(make_model(0 if rank == 0 else 7), bucket_cap_mb=0.001)
    assert len(ddp._buckets) >= 2, len(ddp._buckets)
    launches = []  # at each bucket launch: how many parameters have a gradient so far
    launch = ddp._launch
    ddp._launch = lambda b: (launches.append(sum(p.grad is not None for p in ddp.parameters())),
                             launch(b))
    train(ddp, [(xs, ys)], STEPS)
    n_params = len(list(ddp.parameters()))
    assert launches[0] < n_params, launches  # the first Iallreduce started in the middle of backward
    check_same(ddp.module, reference, "ddp small buckets")

    # gradient accumulation: two micro-batches per step, the first under no_sync
    ddp = DDP(make_model(0))
    half = len(shard) // 2
    micro = [(xs[:half], ys[:half]), (xs[half:], ys[half:])]
    train(ddp.module, micro, 10, accumulate=2, ddp=ddp)
    check_same(ddp.module, train(make_model(0), [(x, y)], 10), "ddp no_sync accumulation")

    # an unused parameter: an error on the next forward, unless find_unused_parameters
    ddp = DDP(make_model(0, extra=True))
    loss_fn = nn.CrossEntropyLoss()
    loss_fn(ddp(xs), ys).backward()
    try:
        ddp(xs)
    except RuntimeError as e:
        assert "Expected to have finished reduction in the prior iteration" in str(e), e
    else:
        raise AssertionError("a forward after an unfinished reduction did not raise")
    ddp = DDP(make_model(0, extra=True), find_unused_parameters=True)
    train(ddp, [(xs, ys)], STEPS)
    assert ddp.module.unused.weight.grad is None
    check_same(ddp.module.mlp, reference, "ddp find_unused_parameters")

    # buffers follow rank 0 at every forward
    model = nn.Sequential(nn.Linear(2, 4), nn.BatchNorm1d(4))
    ddp = DDP(model)
    model[1].running_mean.fill_(float(rank))
    ddp.eval()
    ddp(xs)
    assert model[1].running_mean.eq(0.0).all().item(), model[1].running_mean
    ok("ddp broadcast buffers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
