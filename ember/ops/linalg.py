"""linalg ops (see DESIGN.md)."""
from __future__ import annotations

__all__ = []
