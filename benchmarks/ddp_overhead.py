"""DDP overhead: a training step under DistributedDataParallel vs one process, same per-rank batch.

    python benchmarks/ddp_overhead.py [--ranks 2 4] [--batch 128] [--steps 30]

One process first times the plain step (a 784-256-256-10 ReLU MLP, cross-entropy, SGD) on its own.
Then for each rank count a job is launched (``python -m ember.distributed.run``), every rank trains
on a batch of the same size, and rank 0 reports the median DDP step and the median step inside
``no_sync()`` (same work, no gradient averaging), so the table splits the overhead into the cost of
sharing the CPU with the other ranks and the cost of communication. With more ranks than cores
(e.g. 4 on a 2-core machine) the first part dominates: the ranks take turns on the cores.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

# one BLAS thread per process, for the single process too (as the launcher sets for each rank), so
# the comparison is per-rank work against per-rank work; set before NumPy loads its BLAS
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:  # run as a script from a checkout: import this checkout's ember
    sys.path.insert(0, _ROOT)


def _setup(batch: int):
    import ember
    from ember import nn
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                          nn.Linear(256, 10))
    rs = np.random.RandomState(1)
    x = ember.from_numpy(rs.standard_normal((batch, 784)).astype(np.float32))
    y = ember.from_numpy(rs.randint(0, 10, size=batch).astype(np.int64))
    return model, x, y


def _time_steps(model, x, y, steps: int, warmup: int = 5, context=None) -> float:
    """Median seconds of one zero_grad/forward/backward/step."""
    import contextlib

    import ember
    opt = ember.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = ember.nn.CrossEntropyLoss()
    times = []
    for i in range(warmup + steps):
        with context() if context is not None else contextlib.nullcontext():
            start = time.perf_counter()
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
            elapsed = time.perf_counter() - start
        if i >= warmup:
            times.append(elapsed)
    return statistics.median(times)


def _rank_main(batch: int, steps: int) -> None:
    """Inside the MPI job: DDP step and no_sync step; rank 0 prints them for the parent to read."""
    import ember.distributed as dist
    from ember.nn.parallel import DistributedDataParallel as DDP
    dist.init_process_group("mpi")
    model, x, y = _setup(batch)
    ddp = DDP(model)
    dist.barrier()
    synced = _time_steps(ddp, x, y, steps)
    dist.barrier()
    local = _time_steps(ddp, x, y, steps, context=ddp.no_sync)
    if dist.get_rank() == 0:
        print(f"RESULT {synced} {local} {len(ddp._buckets)}", flush=True)
    dist.destroy_process_group()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ranks", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--batch", type=int, default=128, help="batch per rank")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--rank-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rank_worker:
        _rank_main(args.batch, args.steps)
        return 0

    model, x, y = _setup(args.batch)
    single = _time_steps(model, x, y, args.steps)
    print(f"DDP overhead, 784-256-256-10 MLP, batch {args.batch} per rank, median of {args.steps} steps, "
          f"{os.cpu_count()} CPU cores")
    print(f"{'ranks':>5}  {'step ms':>8}  {'no_sync ms':>10}  {'overhead':>8}  {'of which comm':>13}  buckets")
    print(f"{1:>5}  {single * 1e3:8.2f}  {'-':>10}  {'-':>8}  {'-':>13}  -")
    root = _ROOT
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH"))
                                                      if p))
    for n in args.ranks:
        cmd = [sys.executable, "-m", "ember.distributed.run", "-n", str(n), os.path.abspath(__file__),
               "--rank-worker", "--batch", str(args.batch), "--steps", str(args.steps)]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=root, check=False)
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
        if proc.returncode != 0 or not lines:
            print(f"{n:>5}  failed:\n{proc.stdout}{proc.stderr}")
            return 1
        synced, local, buckets = lines[0].split()[1:]
        synced, local = float(synced), float(local)
        print(f"{n:>5}  {synced * 1e3:8.2f}  {local * 1e3:10.2f}  {synced / single - 1:+8.0%}  "
              f"{(synced - local) / single:+13.0%}  {buckets}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
