"""Small generated data sets: linear-regression data (d2l 3.1-3.3) and the CS231n spiral."""
from __future__ import annotations

from collections.abc import Sequence

from .. import _creation
from .. import random as _random
from .._dtype import int64
from .._tensor import Tensor
from ..ops import linalg as _linalg
from ..ops import movement as _movement
from ..utils.data import TensorDataset

__all__ = ["make_spiral", "synthetic_data"]


def synthetic_data(w: Tensor | Sequence[float], b: float | Tensor, num_examples: int,
                   noise: float = 0.01, generator: _random.Generator | None = None) -> TensorDataset:
    """Examples of ``y = Xw + b + noise`` with ``X ~ N(0, 1)`` and ``noise ~ N(0, noise^2)``.

    The draws are made in d2l's order (X first, then the noise), so with the same seed the data are
    the same as the book's ``synthetic_data`` run on torch.

    Returns:
        a TensorDataset whose ``tensors`` are ``X`` of shape ``(num_examples, len(w))`` and ``y`` of
        shape ``(num_examples, 1)``.
    """
    if not isinstance(w, Tensor):
        w = _creation.tensor(w)
    X = _random.normal(0, 1, (num_examples, len(w)), generator=generator)
    y = _linalg.matmul(X, w) + b
    y += _random.normal(0, noise, y.shape, generator=generator)
    return TensorDataset(X, y.reshape((-1, 1)))


def make_spiral(n_per_class: int, n_classes: int = 3, noise: float = 0.2,
                generator: _random.Generator | None = None) -> TensorDataset:
    """The spiral data set of CS231n: ``n_classes`` interleaved arms of ``n_per_class`` points.

    Point ``i`` of arm ``k`` lies at radius ``r = i / (n_per_class - 1)`` and angle
    ``4k + 4r + noise * N(0, 1)`` (radians), that is at ``(r sin t, r cos t)``; its label is ``k``.
    Only the angle is noisy, so every arm spans radii 0 to 1.

    Returns:
        a TensorDataset of ``X`` (float32, ``(n_classes * n_per_class, 2)``, arm by arm) and ``y``
        (int64 labels).
    """
    if n_per_class < 1 or n_classes < 1:
        raise ValueError(f"make_spiral: n_per_class and n_classes must be positive, "
                         f"got {n_per_class} and {n_classes}")
    r = _creation.linspace(0, 1, n_per_class).expand(n_classes, n_per_class)
    arm = _creation.arange(n_classes).reshape(n_classes, 1)
    theta = 4 * arm + 4 * r + noise * _random.randn(n_classes, n_per_class, generator=generator)
    X = _movement.stack([r * theta.sin(), r * theta.cos()], dim=-1).reshape(-1, 2)
    y = arm.expand(n_classes, n_per_class).reshape(-1).to(int64)
    return TensorDataset(X, y)

