"""Every collective on 2 and 4 MPI ranks, several dtypes and shapes (worker_collectives.py)."""
import pytest

from .mpi_helpers import ok_lines, run_workers

CHECKS = ["OK ember.float32", "OK ember.float64", "OK ember.float16", "OK ember.int64", "OK ember.int32",
          "OK ember.int8", "OK ember.uint8", "OK ember.bool", "OK fallback", "OK async", "OK p2p",
          "OK barrier"]


@pytest.mark.parametrize("n", [2, 4])
def test_collectives_on_n_ranks(n):
    proc, _ = run_workers("worker_collectives.py", n)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert ok_lines(proc) == sorted(CHECKS)
