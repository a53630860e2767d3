"""Convolution and pooling primitives (conv1d/conv2d, max/avg/adaptive pooling)."""
from __future__ import annotations

__all__: list[str] = []
