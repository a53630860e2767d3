"""A few image transforms in the spirit of torchvision's, for ember tensors.

MNIST-style datasets hand out an image as an ``(H, W)`` (or ``(H, W, C)``) uint8 ember Tensor;
``ToTensor`` turns it into the float32 ``(C, H, W)`` tensor in [0, 1] that models expect.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._creation import as_tensor, from_numpy
from .._dtype import float32, uint8
from .._tensor import Tensor

__all__ = ["Compose", "Lambda", "Normalize", "Resize", "ToTensor", "resize_bilinear"]


class Compose:
    """Apply ``transforms`` one after another."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        self.transforms = list(transforms)

    def __call__(self, img: Any) -> Any:
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t!r}" for t in self.transforms)
        return f"{type(self).__name__}({inner}\n)"


class Lambda:
    """Wrap a function as a transform."""

    def __init__(self, lambd: Callable) -> None:
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, img: Any) -> Any:
        return self.lambd(img)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ToTensor:
    """An ``(H, W)`` or ``(H, W, C)`` image (uint8 tensor or array) -> float32 ``(C, H, W)``.

    uint8 values are scaled to [0, 1]; other dtypes are converted to float32 unscaled, as
    torchvision does for non-byte arrays.
    """

    def __call__(self, pic: Any) -> Tensor:
        x = pic if isinstance(pic, Tensor) else as_tensor(np.asarray(pic))
        if x.dim() not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {x.dim()} dimensions.")
        if x.dim() == 2:
            x = x.unsqueeze(-1)
        scaled = x.to(float32)
        if x.dtype == uint8:
            scaled = scaled / 255
        return scaled.permute(2, 0, 1).contiguous()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Normalize:
    """``(x - mean) / std`` per channel of a ``(..., C, H, W)`` float tensor."""

    def __init__(self, mean: Sequence[float], std: Sequence[float]) -> None:
        self.mean, self.std = list(mean), list(std)

    def __call__(self, x: Tensor) -> Tensor:
        mean = as_tensor(self.mean, dtype=x.dtype).reshape(-1, 1, 1)
        std = as_tensor(self.std, dtype=x.dtype).reshape(-1, 1, 1)
        if (std == 0).any():
            raise ValueError(f"std evaluated to zero after conversion to {x.dtype}, leading to "
                             f"division by zero.")
        return (x - mean) / std

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


def _bilinear_axis(arr: np.ndarray, size: int, axis: int) -> np.ndarray:
    """Resample one axis with half-pixel centres (align_corners=False), no antialiasing."""
    n_in = arr.shape[axis]
    src = (np.arange(size, dtype=np.float64) + 0.5) * (n_in / size) - 0.5
    src = np.clip(src, 0, n_in - 1)
    lo = np.floor(src).astype(np.int64)
    hi = np.minimum(lo + 1, n_in - 1)
    shape = [1] * arr.ndim
    shape[axis] = size
    frac = (src - lo).reshape(shape)
    return np.take(arr, lo, axis=axis) * (1 - frac) + np.take(arr, hi, axis=axis) * frac


def resize_bilinear(x: Tensor, size: int | Sequence[int]) -> Tensor:
    """Resize the last two dims of ``x`` to ``size`` by bilinear interpolation.

    The same values as ``torch.nn.functional.interpolate(x, size, mode='bilinear',
    align_corners=False)`` (no antialiasing). The result has ``x``'s floating dtype (float32 for
    integer input); it is data preparation, so no gradient flows through it.
    """
    out_h, out_w = (size, size) if isinstance(size, int) else tuple(size)
    arr = x.detach().numpy()
    work = arr.astype(np.float64)
    work = _bilinear_axis(_bilinear_axis(work, out_h, work.ndim - 2), out_w, work.ndim - 1)
    out_dtype = arr.dtype if arr.dtype.kind == "f" else np.float32
    return from_numpy(work.astype(out_dtype))


class Resize:
    """Resize an image tensor's last two dims to ``size`` (an int means a square) bilinearly.

    Unlike torchvision, an int ``size`` gives a square image rather than matching the shorter side,
    and there is no antialiasing (it matters only when shrinking a lot).
    """

    def __init__(self, size: int | Sequence[int]) -> None:
        self.size = size

    def __call__(self, x: Tensor) -> Tensor:
        return resize_bilinear(x, self.size)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size})"
