"""Just enough of a pytree library for the function transforms.

A pytree is a nest of tuples, lists, dicts and namedtuples whose other objects are its leaves. The
transforms flatten their arguments and results into leaves (the tensors they act on), keep the
structure as a spec, and rebuild the same nest afterwards. ``in_dims`` / ``out_dims`` are pytree
*prefixes*: a leaf of the prefix (an int or None) applies to a whole subtree.
"""
from __future__ import annotations

from typing import Any, NamedTuple


class TreeSpec(NamedTuple):
    """The shape of a nest: ``kind`` is None for a leaf, else the container type; ``context`` holds a
    dict's keys; ``children`` one spec per element."""

    kind: Any
    context: Any
    children: tuple

    def __repr__(self) -> str:
        if self.kind is None:
            return "*"
        inner = ", ".join(repr(c) for c in self.children)
        return f"TreeSpec({self.kind.__name__}, {self.context}, [{inner}])"


LEAF = TreeSpec(None, None, ())


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def _children(tree):
    """(kind, context, children) for a container, or None for a leaf."""
    if isinstance(tree, dict):
        keys = list(tree.keys())
        return type(tree), keys, [tree[k] for k in keys]
    if isinstance(tree, (tuple, list)):
        return type(tree), None, list(tree)
    return None


def tree_flatten(tree) -> tuple[list, TreeSpec]:
    """(leaves left to right, spec)."""
    leaves: list = []

    def walk(node) -> TreeSpec:
        parts = _children(node)
        if parts is None:
            leaves.append(node)
            return LEAF
        kind, context, kids = parts
        return TreeSpec(kind, context, tuple(walk(k) for k in kids))

    return leaves, walk(tree)


def tree_unflatten(leaves, spec: TreeSpec):
    """The nest described by ``spec`` with ``leaves`` put back in order."""
    it = iter(leaves)

    def build(s: TreeSpec):
        if s.kind is None:
            return next(it)
        kids = [build(c) for c in s.children]
        if issubclass(s.kind, dict):
            return s.kind(zip(s.context, kids))
        if issubclass(s.kind, tuple) and hasattr(s.kind, "_fields"):
            return s.kind(*kids)
        return s.kind(kids)

    return build(spec)


def tree_map(fn, tree):
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(x) for x in leaves], spec)


def broadcast_prefix(prefix, spec: TreeSpec) -> list | None:
    """One prefix leaf per leaf of the tree ``spec`` describes, or None when ``prefix`` is not a prefix
    of that tree (a container of another type or length where the tree has a container)."""
    out: list = []

    def walk(p, s: TreeSpec) -> bool:
        parts = _children(p)
        if parts is None:
            out.extend([p] * _num_leaves(s))
            return True
        kind, context, kids = parts
        if s.kind is None or len(kids) != len(s.children):
            return False
        if issubclass(kind, dict) != issubclass(s.kind, dict):
            return False
        if issubclass(kind, dict):
            if set(context) != set(s.context):
                return False
            kids = [p[k] for k in s.context]
        elif issubclass(kind, list) != issubclass(s.kind, list):
            return False
        return all(walk(k, c) for k, c in zip(kids, s.children))

    return out if walk(prefix, spec) else None


def _num_leaves(spec: TreeSpec) -> int:
    if spec.kind is None:
        return 1
    return sum(_num_leaves(c) for c in spec.children)
