"""Errors, not hangs: mismatched collectives, bad arguments, and a rank that dies (worker_errors.py)."""
import pytest

from .mpi_helpers import ok_lines, run_workers


def test_mismatch_and_bad_arguments_raise_on_every_rank():
    proc, _ = run_workers("worker_errors.py", 2, "mismatch")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert ok_lines(proc) == ["OK args", "OK mismatch"]


@pytest.mark.parametrize("scenario, phrase", [
    ("exit", "timed out"),                    # the others' wait times out (2 s), then MPI_Abort
    ("raise", "rank 1 failed on purpose"),    # the exception hook calls MPI_Abort at once
    ("kill", ""),                             # mpiexec notices the killed process
])
def test_a_dead_rank_ends_the_job(scenario, phrase):
    proc, seconds = run_workers("worker_errors.py", 2, scenario, timeout=45)
    assert proc.returncode != 0
    assert phrase in proc.stderr
    assert "should not get here" not in proc.stdout
    assert seconds < 40
