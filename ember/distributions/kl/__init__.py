"""KL divergence KL(p || q) between distributions, dispatched on the pair of types.

``kl_divergence(p, q)`` looks up the function registered for ``(type(p), type(q))`` (the most
specific match along both MROs); ``register_kl`` adds one. Closed forms for pairs of the same family
are in ``_pairs``, between families in ``_cross``, and any two members of the same exponential family
fall back to the Bregman divergence of their log normaliser.
"""
from . import _cross, _pairs  # noqa: F401  (importing them registers their pairs)
from ._registry import _KL_MEMOIZE, _KL_REGISTRY, kl_divergence, register_kl  # noqa: F401

__all__ = ["kl_divergence", "register_kl"]
