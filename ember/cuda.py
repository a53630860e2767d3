"""ember.cuda: what ``torch.cuda`` answers on a machine without a GPU.

ember runs on NumPy; the CuPy (GPU) backend is separate work. Until then this module behaves like a
CPU-only torch build: ``is_available()`` is False, seeding is a no-op, and anything that needs a
device raises torch's AssertionError.
"""
from __future__ import annotations

__all__ = ["current_device", "device_count", "empty_cache", "get_device_name", "is_available",
           "is_initialized", "manual_seed", "manual_seed_all", "max_memory_allocated",
           "memory_allocated", "synchronize"]

_NOT_COMPILED = "Torch not compiled with CUDA enabled"


def is_available() -> bool:
    return False


def is_initialized() -> bool:
    return False


def device_count() -> int:
    return 0


def manual_seed(seed: int) -> None:
    """Seeds nothing: there is no GPU generator (as torch does silently without CUDA)."""


def manual_seed_all(seed: int) -> None:
    """Seeds nothing (see manual_seed)."""


def empty_cache() -> None:
    """Nothing is cached without a GPU."""


def memory_allocated(device=None) -> int:
    return 0


def max_memory_allocated(device=None) -> int:
    return 0


def _unavailable(*args, **kwargs):
    raise AssertionError(_NOT_COMPILED)


synchronize = current_device = get_device_name = _unavailable
