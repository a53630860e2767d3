"""repr/str of tensors, character for character what torch prints.

How torch lays a tensor out (established by experiment against torch, and tested in
tests/test_printing.py):

* Past ``threshold`` elements the tensor is *summarised*: along every dimension longer than
  ``2 * edgeitems`` only the first and last ``edgeitems`` entries are kept, with ``...`` between.
* One formatter is chosen from the values that will actually be shown (the summarised ones), so
  every element is padded to one common width and the columns line up.
* Floats: if every finite nonzero value is a whole number, they print as ``3.`` (``'{:.0f}'``
  plus a point); otherwise with ``precision`` decimals.  Scientific notation (``1.0000e-08``) is
  used when max/min of the finite nonzero magnitudes exceeds 1000, when the max exceeds 1e8, or
  (for non-integer values) when the min is below 1e-4.  ``sci_mode`` forces it on or off.
  Each value is formatted as a Python float (a float32 value widened exactly to double), so
  rounding is Python's correctly rounded ``format``.
* A 1-d row is wrapped to ``linewidth``: as many ``width + 2`` wide items as fit after the indent.
* Rows of an n-d tensor are separated by ``,`` and ``n - 1`` newlines, indented under the ``[``.
* Suffixes follow in this order: ``size=`` (empty tensors that are not 1-d, or any tensor when
  ``edgeitems`` is 0), ``dtype=`` (when not the default for its kind), then ``grad_fn=<...>`` or
  ``requires_grad=True``.  A suffix that would overflow the line goes on a new line.
"""
from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import _dtype

__all__ = ["get_printoptions", "printoptions", "set_printoptions", "tensor_repr"]

_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


class _PrintOptions:
    """The current print options (module state, as in torch: not thread local)."""

    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


_OPTS = _PrintOptions()


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set options for printing tensors (same meaning as ``torch.set_printoptions``).

    Args:
        precision: digits after the decimal point for floats (default 4).
        threshold: number of elements above which the repr is summarised (default 1000).
        edgeitems: items kept at the start and end of each summarised dimension (default 3).
        linewidth: characters per line before wrapping (default 80).
        profile: ``'default'``, ``'short'`` or ``'full'``; applied first, the other
            arguments then override it.
        sci_mode: ``True``/``False`` to force scientific notation on/off, ``None`` to let it
            be chosen from the values.  Like torch, every call sets it (omitting it resets
            it to ``None``).
    """
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"Invalid profile: {profile}")
        for name, value in _PROFILES[profile].items():
            setattr(_OPTS, name, value)
    if precision is not None:
        _OPTS.precision = precision
    if threshold is not None:
        _OPTS.threshold = threshold
    if edgeitems is not None:
        _OPTS.edgeitems = edgeitems
    if linewidth is not None:
        _OPTS.linewidth = linewidth
    _OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """The current print options as a dict that can be passed back to ``set_printoptions``."""
    return {
        "precision": _OPTS.precision,
        "threshold": _OPTS.threshold,
        "edgeitems": _OPTS.edgeitems,
        "linewidth": _OPTS.linewidth,
        "sci_mode": _OPTS.sci_mode,
    }


@contextlib.contextmanager
def printoptions(**kwargs) -> Iterator[None]:
    """Context manager that sets print options (``set_printoptions`` arguments) temporarily."""
    saved = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**saved)


# ---------------------------------------------------------------------------------- summarising
def _summary_index(n: int, edge: int) -> np.ndarray | None:
    """Indices kept along a dimension of length ``n``, or None when it is short enough to keep."""
    if n <= 2 * edge:
        return None
    return np.concatenate([np.arange(edge), np.arange(n - edge, n)])


def _summarise(arr: np.ndarray, edge: int) -> tuple[np.ndarray, list[bool]]:
    """The part of ``arr`` a summarised repr shows, and which dimensions were cut.

    Indexing one axis at a time keeps the work proportional to what is printed (at most
    ``(2 * edge) ** ndim`` elements), never to the tensor's size.
    """
    cut = []
    for axis, n in enumerate(arr.shape):
        idx = _summary_index(n, edge)
        cut.append(idx is not None)
        if idx is not None:
            arr = np.take(arr, idx, axis=axis)
    return arr, cut


# ---------------------------------------------------------------------------------- formatting
def _float_strings(values: np.ndarray, precision: int, sci_mode: bool | None) -> tuple[list[str], int]:
    """Format float values (a flat float64 array) as torch does; also return the column width.

    The width is that of the finite nonzero values only: zeros, nan and inf are padded to it
    but never widen it (torch prints ``tensor([-0., 1.])`` and ``tensor([-inf, 1.])``).
    """
    keep = np.isfinite(values) & (values != 0)
    shown = np.abs(values[keep])
    items = values.tolist()  # Python floats: the exact double value of each element
    if not shown.size:
        # nothing to judge by (all zeros / nan / inf): whole-number style, even if sci_mode;
        # the width stays at its starting value of 1, which only matters for row wrapping
        return [f"{v:.0f}." if math.isfinite(v) else f"{v:.0f}" for v in items], 1
    int_mode = bool(np.all(shown == np.ceil(shown)))
    # the ratio and bounds are judged in double, like torch's own check
    lo, hi = float(shown.min()), float(shown.max())
    sci = hi / lo > 1000.0 or hi > 1.0e8 or (not int_mode and lo < 1.0e-4)
    if sci_mode is not None:
        sci = sci_mode
    if sci:
        strs = [f"{v:.{precision}e}" for v in items]
    elif int_mode:
        # whole numbers print as "3." ; nan and inf stay bare
        strs = [f"{v:.0f}." if math.isfinite(v) else f"{v:.0f}" for v in items]
    else:
        strs = [f"{v:.{precision}f}" for v in items]
    width = max(len(s) for s, k in zip(strs, keep.tolist()) if k)
    return strs, width


def _element_strings(arr: np.ndarray, dt) -> tuple[np.ndarray, int]:
    """Every element of ``arr`` as a string right-aligned to the common width, and that width."""
    flat = arr.reshape(-1)
    if dt.is_floating_point:
        strs, width = _float_strings(flat.astype(np.float64), _OPTS.precision, _OPTS.sci_mode)
    else:
        strs = [str(v) for v in flat.tolist()]  # bool -> True/False, ints -> digits
        width = max((len(s) for s in strs), default=0)
    out = np.empty(len(strs), dtype=object)
    out[:] = [s.rjust(width) for s in strs]
    return out.reshape(arr.shape), width


# ---------------------------------------------------------------------------------- layout
def _layout(strs: np.ndarray, width: int, cut: list[bool], indent: int) -> str:
    """Bracket and wrap the (summarised) element strings; ``indent`` is the column of ``[``.

    Rows wrap by the formatter's ``width``, not by the strings' lengths (a nan may be longer).
    """
    edge = _OPTS.edgeitems
    if strs.ndim == 1:
        items = strs.tolist()
        if cut[0]:
            # the ellipsis counts as one item when rows are wrapped; ", " + " ..." gives ",  ..."
            items = items[:edge] + [" ..."] + items[edge:]
        per_line = max(1, (_OPTS.linewidth - indent) // (width + 2))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    rows = [_layout(strs[i], width, cut[1:], indent + 1) for i in range(strs.shape[0])]
    if cut[0]:
        rows = rows[:edge] + ["..."] + rows[edge:]
    # one newline between rows of a matrix, a blank line between matrices, two between blocks...
    sep = "," + "\n" * (strs.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(rows) + "]"


def _body(arr: np.ndarray, dt, indent: int) -> str:
    """The bracketed contents of a non-empty tensor, summarised when it is too large."""
    if arr.ndim == 0:
        return _element_strings(arr, dt)[0].item()
    edge = _OPTS.edgeitems
    if arr.size > _OPTS.threshold:
        if edge == 0:
            return "[...]"  # nothing to show: torch prints the size suffix instead
        arr, cut = _summarise(arr, edge)
    else:
        cut = [False] * arr.ndim
    strs, width = _element_strings(arr, dt)
    return _layout(strs, width, cut, indent)


def _suffixes(t, arr: np.ndarray) -> list[str]:
    """The ``name=value`` parts after the contents, in torch's order."""
    dt = t.dtype
    out = []
    device = getattr(t, "device", None)
    if device is not None and getattr(device, "type", "cpu") != "cpu":
        out.append(f"device='{device}'")  # first, as torch orders them (seen on its meta device)
    if arr.size == 0:
        if arr.ndim != 1:
            out.append(f"size={tuple(arr.shape)}")
        # an empty tensor names any dtype but the default float one (even int64 and bool)
        if dt is not _dtype.get_default_dtype():
            out.append(f"dtype={dt!r}")
    else:
        if _OPTS.edgeitems == 0:
            out.append(f"size={tuple(arr.shape)}")
        if dt not in (_dtype.get_default_dtype(), _dtype.int64, _dtype.bool):
            out.append(f"dtype={dt!r}")
    if t.grad_fn is not None:
        out.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        out.append("requires_grad=True")
    return out


def _join_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """Append suffixes, each on a new line (under the contents) when it would overflow.

    torch measures the contents' last line as two characters longer than it is (observed:
    ``tensor([2., 4.])`` with a 19-character suffix fits at linewidth 38, not 37), but measures
    a line it started for a suffix exactly; both are reproduced here.
    """
    parts = [text]
    used = len(text) - (text.rfind("\n") + 1) + 2
    for suffix in suffixes:
        if used + len(suffix) + 2 > _OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            used = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            used += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(t) -> str:
    """``repr(t)`` / ``str(t)`` exactly as torch prints it, with ``torch.`` spelt ``ember.``."""
    arr = t._data
    if not isinstance(arr, np.ndarray):
        # a CuPy array is copied to the host (printing is never hot); NumPy scalars are wrapped
        arr = arr.get() if hasattr(arr, "get") else np.asarray(arr)
    prefix = "tensor("
    indent = len(prefix)
    body = "[]" if arr.size == 0 else _body(arr, t.dtype, indent)
    return _join_suffixes(prefix + body, _suffixes(t, arr), indent)
