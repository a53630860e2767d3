"""Run on N ranks: errors instead of hangs. ``argv[1]`` picks the scenario.

mismatch  the ranks call collectives that do not match: every rank raises the same RuntimeError,
          and the group still works afterwards; then bad arguments raise torch's error types before
          anything is sent;
exit      rank 1 leaves early (a clean exit); the others' next collective times out and aborts;
raise     rank 1 raises; the exception hook aborts the whole job at once;
kill      rank 1 is killed by SIGKILL; mpiexec ends the others.
"""
import os
import signal
import sys
from datetime import timedelta

import ember
import ember.distributed as dist


def ok(check):
    """Report a passed check. Rank 0 alone prints (lines of several ranks would interleave); a failed
    check on any rank raises, and the uncaught exception aborts the job with a non-zero status."""
    if dist.get_rank() == 0:
        print(f"OK {check}", flush=True)



def expect_error(kind, phrase, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except kind as e:
        assert phrase in str(e), f"{phrase!r} not in {e!r}"
    else:
        raise AssertionError(f"{fn.__name__} did not raise {kind.__name__}")


def mismatch(rank):
    phrase = "Detected mismatch between collectives on ranks"
    expect_error(RuntimeError, phrase, dist.all_reduce, ember.ones(3 + rank))
    expect_error(RuntimeError, phrase, dist.all_reduce,
                 ember.ones(3, dtype=ember.float64 if rank else ember.float32))
    expect_error(RuntimeError, phrase, dist.all_reduce, ember.ones(3),
                 op=dist.ReduceOp.MAX if rank else dist.ReduceOp.SUM)
    expect_error(RuntimeError, phrase, dist.broadcast, ember.ones(2), src=rank)
    if rank == 0:
        expect_error(RuntimeError, phrase, dist.broadcast, ember.ones(2), src=0)
    else:
        expect_error(RuntimeError, phrase, dist.all_reduce, ember.ones(2))
    t = ember.ones(2)
    dist.all_reduce(t)  # the group is still usable
    assert t.tolist() == [float(dist.get_world_size())] * 2
    ok("mismatch")


def bad_args(rank):
    size = dist.get_world_size()
    expect_error(ValueError, "twice", dist.init_process_group, "mpi")
    expect_error(TypeError, "Expected parameter `tensor` of type torch.Tensor", dist.all_reduce, [1.0])
    expect_error(RuntimeError, "contiguous", dist.all_reduce, ember.ones(3, 2).t())
    expect_error(ValueError, "AVG", dist.all_reduce, ember.ones(3, dtype=ember.int64),
                 op=dist.ReduceOp.AVG)
    expect_error(ValueError, "world_size times input tensor size", dist.all_gather_into_tensor,
                 ember.zeros(3 * size + 1), ember.ones(3))
    expect_error(ValueError, "world_size", dist.all_gather, [ember.zeros(2)] * (size + 1), ember.ones(2))
    expect_error(ValueError, "should not be the same as the rank", dist.send, ember.ones(1), dst=rank)
    expect_error(ValueError, "Invalid src rank", dist.broadcast, ember.ones(1), src=size)
    if rank == 0:
        expect_error(ValueError, "must be specified on destination rank", dist.gather, ember.ones(1),
                     None, dst=0)
    else:
        expect_error(ValueError, "must NOT be specified on non-destination ranks", dist.gather,
                     ember.ones(1), [ember.zeros(1)] * size, dst=0)
    ok("args")


def main():
    scenario = sys.argv[1]
    dist.init_process_group("mpi", timeout=timedelta(seconds=2))
    rank = dist.get_rank()
    if scenario == "mismatch":
        mismatch(rank)
        bad_args(rank)
        return 0
    dist.barrier()
    if rank == 1:
        if scenario == "exit":
            return 0
        if scenario == "raise":
            raise RuntimeError("rank 1 failed on purpose")
        os.kill(os.getpid(), signal.SIGKILL)
    for _ in range(3):
        dist.all_reduce(ember.ones(4))
    ok("should not get here")
    return 0


if __name__ == "__main__":
    sys.exit(main())
