"""Data-parallel training of the demo's spiral classifier on several processes (MPI underneath).

    python -m ember.distributed.run -n 4 examples/ddp_spiral.py      # 4 ranks on this machine
    python -m ember.distributed.run -n 8 --hostfile hosts examples/ddp_spiral.py   # several machines
    python examples/ddp_spiral.py                                     # one process works too

Every rank builds the same data set (generated here, no download) and the same model; the
DistributedSampler gives each rank its own share of every epoch, DistributedDataParallel averages
the gradients across ranks during backward, so each optimizer step sees the whole global batch and
the replicas stay identical. Written the torch way: with ``ember`` replaced by ``torch`` it runs
under ``torchrun --nproc-per-node 4``.
"""
import argparse
import math

import ember as torch
import ember.distributed as dist
from ember import nn
from ember.nn.parallel import DistributedDataParallel as DDP
from ember.utils.data import DataLoader, DistributedSampler, TensorDataset


def make_spiral(points_per_class: int = 200, classes: int = 3, noise: float = 0.2, seed: int = 0):
    """``classes`` interleaved spiral arms in the plane: points (N, 2) float32 and labels (N,) int64."""
    g = torch.Generator().manual_seed(seed)
    radius = torch.linspace(0.0, 1.0, points_per_class).repeat(classes)
    label = torch.arange(points_per_class * classes) // points_per_class
    angle = (label * (2 * math.pi / classes) + radius * 4.0
             + noise * torch.randn(points_per_class * classes, generator=g))
    x = torch.stack([radius * torch.sin(angle), radius * torch.cos(angle)], dim=1)
    return x, label


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=32, help="per rank")
    parser.add_argument("--lr", type=float, default=0.01)
    args = parser.parse_args()

    dist.init_process_group("gloo")  # ember serves "gloo" with MPI too
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(0)  # the same initial model everywhere (DDP would broadcast rank 0's anyway)

    x, y = make_spiral()
    data = TensorDataset(x, y)
    sampler = DistributedSampler(data, shuffle=True, seed=0)
    loader = DataLoader(data, batch_size=args.batch_size, sampler=sampler)
    model = DDP(nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                              nn.Linear(64, 3)))
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    if rank == 0:
        print(f"{world} rank(s), {len(data)} points, {len(sampler)} per rank per epoch, "
              f"global batch {args.batch_size * world}")

    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)  # a new shuffle each epoch, the same on every rank
        total = torch.zeros(2)    # summed loss and number of points on this rank
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()       # gradients are averaged across ranks here
            opt.step()
            total += torch.tensor([loss.item() * len(yb), len(yb)])
        dist.all_reduce(total)    # the epoch's mean loss over every rank's points
        if rank == 0 and (epoch % 10 == 0 or epoch == args.epochs - 1):
            print(f"epoch {epoch:3d}  loss {total[0].item() / total[1].item():.4f}")

    with torch.no_grad():  # each rank scores its share; the counts are summed
        shard = list(sampler)
        correct = (model(x[shard]).argmax(dim=1) == y[shard]).sum().to(torch.float32).reshape(1)
    counts = torch.cat([correct, torch.tensor([float(len(shard))])])
    dist.all_reduce(counts)
    if rank == 0:
        print(f"accuracy {counts[0].item() / counts[1].item():.3f}")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
