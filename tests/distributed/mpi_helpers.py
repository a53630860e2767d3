"""Run a worker script on N MPI ranks through ``python -m ember.distributed.run`` (mpiexec underneath)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def mpi_or_skip() -> None:
    """Skip the calling test when mpi4py or mpiexec is missing."""
    pytest.importorskip("mpi4py", reason="mpi4py is not installed (pip install mpi4py mpich)")
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if not (shutil.which(here) or shutil.which("mpiexec")):
        pytest.skip("mpiexec is not on PATH (pip install mpich)")


def run_workers(script: str, n: int, *args: str,
                timeout: float = 60) -> tuple[subprocess.CompletedProcess, float]:
    """Run ``tests/distributed/<script>`` on ``n`` ranks; (finished process, seconds it took)."""
    mpi_or_skip()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    cmd = [sys.executable, "-m", "ember.distributed.run", "-n", str(n), str(HERE / script), *args]
    start = time.monotonic()
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)
    return proc, time.monotonic() - start


def ok_lines(proc: subprocess.CompletedProcess) -> list[str]:
    """The ``OK ...`` lines the ranks printed (workers print one per passed check, per rank)."""
    return sorted(line for line in proc.stdout.splitlines() if line.startswith("OK "))
