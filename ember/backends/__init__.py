"""ember.backends: torch's backend flags, for code that sets them (``torch.backends.cudnn.benchmark``).

ember has no cuDNN or MPS backend; the flags are kept so that code setting or reading them runs.
"""
from __future__ import annotations

import types

__all__ = ["cudnn", "mps"]

cudnn = types.SimpleNamespace(enabled=True, benchmark=False, deterministic=False, allow_tf32=True,
                              is_available=lambda: False, version=lambda: None)
mps = types.SimpleNamespace(is_available=lambda: False, is_built=lambda: False)
