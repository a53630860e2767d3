"""Global settings torch code calls: thread counts, deterministic algorithms."""
from __future__ import annotations

import os

__all__ = ["are_deterministic_algorithms_enabled", "get_num_interop_threads", "get_num_threads",
           "set_num_interop_threads", "set_num_threads", "use_deterministic_algorithms"]

# torch's default thread count: OMP_NUM_THREADS when set, else the CPU count. It also decides how
# ember splits large sums (ops/_cascade.py), as torch splits them across its threads.
_THREADS = int(os.environ.get("OMP_NUM_THREADS", "0") or 0) or min(os.cpu_count() or 1, 64)
_STATE = {"threads": _THREADS, "interop": os.cpu_count() or 1, "deterministic": False}


def get_num_threads() -> int:
    """The thread count torch would report; large float sums are rounded as torch's split across this
    many threads. NumPy's BLAS takes its threads from the environment at start-up."""
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
