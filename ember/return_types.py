"""Named tuples returned by ops such as ``max(dim)`` and ``sort``, printed as torch prints them."""
from __future__ import annotations

import collections

__all__ = ["max", "median", "min", "sort", "topk"]


def _make(name: str, fields=("values", "indices")):
    base = collections.namedtuple(name, fields)

    def __repr__(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
        return f"ember.return_types.{name}(\n{body})"

    cls = type(name, (base,), {"__slots__": (), "__repr__": __repr__})
    cls.__module__ = "ember.return_types"
    return cls


max = _make("max")
min = _make("min")
median = _make("median")
sort = _make("sort")
topk = _make("topk")
