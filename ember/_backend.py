"""Devices and the array module behind them: NumPy on the CPU (CuPy on a GPU, later).

Every array call in ``ops/`` goes through the module returned by ``get_array_module`` so that the same
op code runs on either library.
"""
from __future__ import annotations

import numpy as np

__all__ = ["cuda_is_available", "device", "get_array_module"]


def cuda_is_available() -> bool:
    return False


class device:
    """ember.device('cpu'); 'cuda' is accepted as a name but refused until the GPU backend lands."""

    __slots__ = ("index", "type")

    def __init__(self, type, index: int | None = None):
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if not isinstance(type, str):
            raise TypeError(f"device() received an invalid combination of arguments - got ({type!r})")
        name, _, idx = type.partition(":")
        if name not in ("cpu", "cuda", "meta", "mps"):
            raise RuntimeError(
                "Expected one of cpu, cuda, mps, meta device type at start of device string: " + type
            )
        if idx:
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = int(idx)
        self.type = name
        self.index = index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


CPU = device("cpu")


def as_device(d) -> device:
    """Normalise a device argument and refuse the devices ember cannot run on yet."""
    if d is None:
        return CPU
    if isinstance(d, int):
        d = device("cuda", d)
    elif not isinstance(d, device):
        d = device(d)
    if d.type != "cpu":
        if d.type == "cuda":
            raise AssertionError("Torch not compiled with CUDA enabled")
        raise RuntimeError(f"ember has no backend for device type '{d.type}'")
    return CPU


def get_array_module(*arrays):
    """The array library (numpy or cupy) that the given arrays live in."""
    return np
