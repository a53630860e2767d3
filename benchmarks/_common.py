"""Helpers the workloads share: identical inputs and parameters for every library, and results as
NumPy arrays for the cross-library check."""
from __future__ import annotations

import numpy as np


def randn(seed: int, *shape: int, scale: float = 1.0) -> np.ndarray:
    """A float32 normal array from NumPy's generator, so every library starts from the same values."""
    return (np.random.RandomState(seed).standard_normal(shape) * scale).astype(np.float32)


def tensor(torch, arr: np.ndarray, requires_grad: bool = False):
    """``torch.tensor(arr)`` (a copy) in whichever library ``torch`` is."""
    t = torch.tensor(arr.copy())
    if requires_grad:
        t.requires_grad_(True)
    return t


def init_params(torch, module, seed: int) -> None:
    """Overwrite every parameter with uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) values from NumPy."""
    rs = np.random.RandomState(seed)
    with torch.no_grad():
        for p in module.parameters():
            shape = tuple(p.shape)
            fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
            bound = 1.0 / np.sqrt(fan_in)
            arr = rs.uniform(-bound, bound, size=shape).astype(np.float32)
            p.copy_(torch.tensor(arr))


def to_numpy(x) -> np.ndarray:
    """A tensor (either library), array, number or sequence of them as one flat float64 array."""
    if isinstance(x, (list, tuple)):
        return np.concatenate([to_numpy(v) for v in x]) if x else np.zeros(0)
    if hasattr(x, "detach"):
        x = x.detach().numpy()
    return np.asarray(x, dtype=np.float64).ravel()
