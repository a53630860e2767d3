"""Anomaly detection: find the forward op behind a failing or NaN-producing backward.

While it is on, every recorded node keeps the Python stack of the forward call that made it, the
engine checks each node's gradients for NaN (``check_nan``), and when a node's backward fails a
warning shows that forward stack. Off by default: recording stacks is slow.
"""
from __future__ import annotations

import threading
import traceback
import warnings
import weakref

from .grad_mode import _DecoratorContext

__all__ = ["detect_anomaly", "is_anomaly_check_nan_enabled", "is_anomaly_enabled", "set_detect_anomaly"]


class _State(threading.local):
    enabled = False
    check_nan = True


STATE = _State()
_TRACES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def is_anomaly_enabled() -> bool:
    return STATE.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return STATE.check_nan


def record_trace(node) -> None:
    """Remember where ``node`` was created (called by the registry only while anomaly mode is on)."""
    _TRACES[node] = traceback.format_stack()[:-2]  # drop the registry's own frames


def forward_trace(node) -> str:
    return "".join(_TRACES.get(node, ()))


def warn_forward_trace(node) -> None:
    """The warning torch prints when a node's backward failed under anomaly mode."""
    warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that caused the error:\n"
                  f"{forward_trace(node)}", UserWarning, stacklevel=3)


def check_nan(node, grads) -> None:
    """torch's error when a node returned NaN gradients (only called in anomaly mode)."""
    for i, g in enumerate(grads):
        if g is not None and g.dtype.is_floating_point and bool(g.isnan().any()):
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")


class detect_anomaly(_DecoratorContext):
    """Context manager / decorator turning anomaly detection on (see the module docstring)."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan
        self.prev = []
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and "
                      "should only be enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self):
        self.prev.append((STATE.enabled, STATE.check_nan))
        STATE.enabled, STATE.check_nan = True, self.check_nan

    def __exit__(self, *exc):
        STATE.enabled, STATE.check_nan = self.prev.pop()
        return False

    def clone(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return detect_anomaly(self.check_nan)


class set_detect_anomaly(_DecoratorContext):
    """set_detect_anomaly(mode): takes effect at once; restores the old mode when used with ``with``."""

    def __init__(self, mode: bool, check_nan: bool = True):
        self.prev = (STATE.enabled, STATE.check_nan)
        self.mode, self.nan = mode, check_nan
        STATE.enabled, STATE.check_nan = bool(mode), bool(check_nan)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        STATE.enabled, STATE.check_nan = self.prev
        return False

    def clone(self):
        return set_detect_anomaly(self.mode, self.nan)
