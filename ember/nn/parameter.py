"""Parameter: a Tensor that a Module registers as one of its parameters."""
from __future__ import annotations

from .._tensor import Tensor

__all__ = ["Parameter"]


class Parameter(Tensor):
    """Placeholder until the training issue's Module work lands."""
    __slots__ = ()
