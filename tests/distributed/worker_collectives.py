"""Run on N ranks: every collective, for several dtypes and shapes, checked against NumPy.

Each rank can compute every rank's input (they are drawn from one seeded generator), so each checks
its own result against the exact expected one. Prints ``OK <check>`` per passed check.
"""
import sys
import zlib

import numpy as np

import ember
import ember.distributed as dist
from ember.distributed import ReduceOp, collectives


def ok(check):
    """Report a passed check. Rank 0 alone prints (lines of several ranks would interleave); a failed
    check on any rank raises, and the uncaught exception aborts the job with a non-zero status."""
    if dist.get_rank() == 0:
        print(f"OK {check}", flush=True)


DTYPES = [ember.float32, ember.float64, ember.float16, ember.int64, ember.int32, ember.int8,
          ember.uint8, ember.bool]
SHAPES = [(), (5,), (2, 1, 3)]


def inputs(dtype, shape, size, salt=0):
    """Every rank's input, stacked: small integers, so sums and products are exact in every dtype."""
    rng = np.random.default_rng(zlib.crc32(repr((str(dtype), shape, salt)).encode()))  # same on all ranks
    if dtype == ember.bool:
        return rng.random((size, *shape)) < 0.5
    return rng.integers(1, 4, size=(size, *shape)).astype(dtype.np)


def tensor(arr):
    return ember.from_numpy(np.array(arr))  # a fresh C-contiguous copy (0-d stays 0-d)


def expect(got, want, what):
    got = got.numpy() if isinstance(got, ember.Tensor) else got
    want = np.asarray(want)
    if got.dtype != want.dtype or got.shape != want.shape or not np.array_equal(got, want):
        raise AssertionError(f"rank {dist.get_rank()}: {what}: got {got!r}, want {want!r}")


def reductions(data, dtype):
    ops = {ReduceOp.MAX: data.max(0), ReduceOp.MIN: data.min(0)}
    if dtype == ember.bool:
        ops[ReduceOp.SUM] = data.any(0)
        ops[ReduceOp.PRODUCT] = data.all(0)
    else:
        ops[ReduceOp.SUM] = data.sum(0, dtype=data.dtype)
        ops[ReduceOp.PRODUCT] = data.prod(0, dtype=data.dtype)
    if dtype.is_floating_point:
        ops[ReduceOp.AVG] = (data.sum(0, dtype=np.float64) / len(data)).astype(data.dtype)
    return ops


def check_dtype_shape(dtype, shape, rank, size):
    tag = f"{dtype} {shape}"
    data = inputs(dtype, shape, size)
    for op, want in reductions(data, dtype).items():
        t = tensor(data[rank])
        assert dist.all_reduce(t, op=op) is None
        expect(t, want, f"all_reduce {op} {tag}")
        t = tensor(data[rank])
        dist.reduce(t, dst=size - 1, op=op)
        expect(t, want if rank == size - 1 else data[rank], f"reduce {op} {tag}")
        # reduce_scatter(_tensor): input has size blocks; rank r keeps the reduction of block r
        big = inputs(dtype, (size, *shape), size, salt=1)
        block = reductions(big, dtype)[op][rank]
        out = tensor(np.zeros_like(data[rank]))
        dist.reduce_scatter_tensor(out, tensor(big[rank]), op=op)
        expect(out, block, f"reduce_scatter_tensor {op} {tag}")
        out = tensor(np.zeros_like(data[rank]))
        dist.reduce_scatter(out, [tensor(b) for b in big[rank]], op=op)
        expect(out, block, f"reduce_scatter {op} {tag}")
    # broadcast from every root
    for src in range(size):
        t = tensor(data[rank])
        dist.broadcast(t, src=src)
        expect(t, data[src], f"broadcast src={src} {tag}")
    outs = [tensor(np.zeros_like(data[0])) for _ in range(size)]
    dist.all_gather(outs, tensor(data[rank]))
    for r in range(size):
        expect(outs[r], data[r], f"all_gather {tag}")
    stacked = tensor(np.zeros_like(data))
    dist.all_gather_into_tensor(stacked, tensor(data[rank]))
    expect(stacked, data, f"all_gather_into_tensor stacked {tag}")
    if shape:
        flat = tensor(np.zeros((size * shape[0], *shape[1:]), dtype=data.dtype))
        dist.all_gather_into_tensor(flat, tensor(data[rank]))
        expect(flat, np.concatenate(list(data)), f"all_gather_into_tensor concatenated {tag}")
    dst = size - 1
    glist = [tensor(np.zeros_like(data[0])) for _ in range(size)] if rank == dst else None
    dist.gather(tensor(data[rank]), glist, dst=dst)
    if rank == dst:
        for r in range(size):
            expect(glist[r], data[r], f"gather {tag}")
    out = tensor(np.zeros_like(data[0]))
    dist.scatter(out, [tensor(d) for d in data] if rank == 0 else None, src=0)
    expect(out, data[rank], f"scatter {tag}")


def check_async_and_p2p(rank, size):
    t = ember.full((1000,), float(rank + 1))
    work = dist.all_reduce(t, async_op=True)
    assert isinstance(work, dist.Work)
    assert work.wait() is True and work.is_completed() and work.is_success()
    expect(t, np.full(1000, size * (size + 1) / 2, dtype=np.float32), "async all_reduce")
    # results that go through a staging array (or AVG's division) land only at wait()
    outs = [ember.zeros(2) for _ in range(size)]
    mean = ember.zeros(2)
    works = [dist.all_gather(outs, ember.full((2,), float(rank)), async_op=True),
             dist.reduce_scatter(mean, [ember.full((2,), float(rank + r)) for r in range(size)],
                                 op=ReduceOp.AVG, async_op=True),
             dist.broadcast(t, src=0, async_op=True)]
    assert all(w.wait() for w in works)
    for r in range(size):
        expect(outs[r], np.full(2, r, dtype=np.float32), "async all_gather")
    expect(mean, np.full(2, (size - 1) / 2 + rank, dtype=np.float32), "async reduce_scatter AVG")
    ok("async")
    # a ring: isend to the right, irecv from the left, then blocking send/recv the other way
    right, left = (rank + 1) % size, (rank - 1) % size
    box = ember.zeros(3, dtype=ember.int64)
    recv = dist.irecv(box, src=left, tag=7)
    send = dist.isend(ember.full((3,), rank, dtype=ember.int64), dst=right, tag=7)
    send.wait()
    recv.wait()
    assert recv.is_completed() and recv.source_rank() == left
    expect(box, np.full(3, left, dtype=np.int64), "isend/irecv")
    if rank == 0:
        for _ in range(size - 1):
            got = ember.zeros(2)
            sender = dist.recv(got)  # any source
            expect(got, np.full(2, sender, dtype=np.float32), "recv from any source")
    else:
        assert dist.send(ember.full((2,), float(rank)), dst=0) is None
    ok("p2p")
    dist.barrier()
    assert dist.barrier(async_op=True).wait()
    ok("barrier")


def main():
    dist.init_process_group("mpi")
    rank, size = dist.get_rank(), dist.get_world_size()
    assert dist.is_initialized() and dist.is_available() and dist.get_backend() == "mpi"
    for dtype in DTYPES:
        for shape in SHAPES:
            check_dtype_shape(dtype, shape, rank, size)
        ok(f"{dtype}")
    # the same checks through the NumPy-implemented MPI ops/datatypes that MPIs lacking a type use
    collectives._USE_NATIVE = False
    for dtype in (ember.float16, ember.float32, ember.bool):
        check_dtype_shape(dtype, (3, 4), rank, size)
    collectives._USE_NATIVE = True
    ok("fallback")
    check_async_and_p2p(rank, size)
    dist.destroy_process_group()
    assert not dist.is_initialized()
    return 0


if __name__ == "__main__":
    sys.exit(main())
