"""DistributedDataParallel on 2 and 4 MPI ranks matches single-process training (worker_ddp.py)."""
import pytest

from .mpi_helpers import ok_lines, run_workers

CHECKS = ["OK ddp default buckets", "OK ddp small buckets", "OK ddp no_sync accumulation",
          "OK ddp find_unused_parameters", "OK ddp broadcast buffers"]


@pytest.mark.parametrize("n", [2, 4])
def test_ddp_matches_single_process(n):
    proc, _ = run_workers("worker_ddp.py", n)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert ok_lines(proc) == sorted(CHECKS)
