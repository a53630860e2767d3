"""Fused, numerically careful neural-network ops: softmax, log_softmax, cross_entropy, ..."""
from __future__ import annotations

__all__: list[str] = []
