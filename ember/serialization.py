"""ember.save / ember.load: a safe format (no code execution on load)."""
from __future__ import annotations

__all__: list[str] = []
