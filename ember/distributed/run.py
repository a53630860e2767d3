"""Launch a data-parallel job: ``python -m ember.distributed.run -n 4 train.py [args...]``.

The launcher is a thin layer over ``mpiexec``: MPI starts the processes (on this machine, or on the
machines of a hostfile) and does the rendezvous. Each rank runs the script through this module's
``--worker`` mode, which first sets torchrun's environment variables (RANK, WORLD_SIZE, LOCAL_RANK,
LOCAL_WORLD_SIZE) from MPI's, so scripts written for torchrun find them. Options:

  -n / --np / --nproc-per-node N   number of processes (default 1)
  --hostfile FILE                  machines to run on (MPICH: ``host:slots`` lines; Open MPI: ``host slots=N``)
  --mpiexec PATH                   the mpiexec to use (default: the one on PATH)
  -m MODULE                        run a module instead of a script, as ``python -m`` does

Running more ranks than cores works (MPICH allows it; with Open MPI ``--oversubscribe`` is added).
"""
from __future__ import annotations

import argparse
import os
import runpy
import shutil
import subprocess
import sys

__all__ = ["build_command", "main"]


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ember.distributed.run",
                                     description="Run a script on N MPI ranks (mpiexec underneath).")
    parser.add_argument("-n", "--np", "--nproc-per-node", "--nproc_per_node", dest="nproc", type=int,
                        default=1, help="number of processes")
    parser.add_argument("--hostfile", default=None, help="file listing the machines to run on")
    parser.add_argument("--mpiexec", default=None, help="path of mpiexec (default: found on PATH)")
    parser.add_argument("-m", dest="module", action="store_true", help="run the target as a module")
    parser.add_argument("target", help="the training script (or module, with -m)")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the script")
    ns = parser.parse_args(argv)
    if ns.nproc < 1:
        parser.error(f"-n must be at least 1, got {ns.nproc}")
    return ns


def _find_mpiexec(explicit: str | None) -> str:
    candidates = [explicit] if explicit else [
        os.path.join(os.path.dirname(sys.executable), "mpiexec"), "mpiexec", "mpirun"]
    for c in candidates:
        found = shutil.which(c)
        if found:
            return found
    raise RuntimeError("mpiexec was not found: install an MPI (for example `pip install mpich "
                       "mpi4py`) or pass --mpiexec PATH")


def _is_open_mpi(mpiexec: str) -> bool:
    try:
        out = subprocess.run([mpiexec, "--version"], check=False, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "open mpi" in (out.stdout + out.stderr).lower()


def build_command(argv: list[str]) -> list[str]:
    """The mpiexec command line that ``main(argv)`` runs."""
    ns = _parse(argv)
    mpiexec = _find_mpiexec(ns.mpiexec)
    cmd = [mpiexec, "-n", str(ns.nproc)]
    open_mpi = _is_open_mpi(mpiexec)
    if ns.hostfile:
        cmd += ["--hostfile" if open_mpi else "-f", ns.hostfile]
    if open_mpi:
        cmd.append("--oversubscribe")
    cmd += [sys.executable, "-m", "ember.distributed.run", "--worker"]
    cmd += ["-m", ns.target] if ns.module else [ns.target]
    return cmd + list(ns.args)


def _worker(argv: list[str]) -> None:
    """Inside one rank: torchrun's environment variables, then the script as ``__main__``."""
    from mpi4py import MPI
    world = MPI.COMM_WORLD
    local = world.Split_type(MPI.COMM_TYPE_SHARED)  # the ranks on this machine
    os.environ.update(RANK=str(world.Get_rank()), WORLD_SIZE=str(world.Get_size()),
                      LOCAL_RANK=str(local.Get_rank()), LOCAL_WORLD_SIZE=str(local.Get_size()),
                      GROUP_RANK="0", MASTER_ADDR=os.environ.get("MASTER_ADDR", "localhost"),
                      MASTER_PORT=os.environ.get("MASTER_PORT", "29500"))
    local.Free()
    if argv and argv[0] == "-m":
        sys.argv = argv[1:]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = list(argv)
        sys.path.insert(0, os.path.dirname(os.path.abspath(argv[0])))
        runpy.run_path(argv[0], run_name="__main__")


def main(argv: list[str] | None = None) -> int:
    """Run the job; returns mpiexec's exit status (non-zero when any rank failed)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--worker":
        _worker(argv[1:])
        return 0
    cmd = build_command(argv)
    env = dict(os.environ)
    if _parse(argv).nproc > 1 and "OMP_NUM_THREADS" not in env:
        # as torchrun does: N ranks each running a BLAS with one thread per core overload the machine
        print("Setting OMP_NUM_THREADS environment variable for each process to be 1 in default, to "
              "avoid your system being overloaded, please further tune the variable for optimal "
              "performance in your application as needed.", file=sys.stderr)
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(var, "1")
    # the ranks must import this same ember, wherever the launcher found it
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return subprocess.run(cmd, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
