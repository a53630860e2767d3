"""Global settings torch code calls: thread counts, deterministic algorithms."""
from __future__ import annotations

import os

__all__ = ["are_deterministic_algorithms_enabled", "get_num_interop_threads", "get_num_threads",
           "set_num_interop_threads", "set_num_threads", "use_deterministic_algorithms"]

_STATE = {"threads": os.cpu_count() or 1, "interop": os.cpu_count() or 1, "deterministic": False}


def get_num_threads() -> int:
    """The thread count torch would report. NumPy's BLAS takes its threads from the environment
    (OMP_NUM_THREADS / OPENBLAS_NUM_THREADS) at start-up; ember's own code is single-threaded."""
    return _STATE["threads"]


def set_num_threads(n: int) -> None:
    if int(n) <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    _STATE["threads"] = int(n)


def get_num_interop_threads() -> int:
    return _STATE["interop"]


def set_num_interop_threads(n: int) -> None:
    if int(n) <= 0:
        raise RuntimeError("Expected positive number of threads")
    _STATE["interop"] = int(n)


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """ember's algorithms are always deterministic; the flag is recorded for the query below."""
    _STATE["deterministic"] = bool(mode)


def are_deterministic_algorithms_enabled() -> bool:
    return _STATE["deterministic"]
