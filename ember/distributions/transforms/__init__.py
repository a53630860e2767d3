"""Transforms: invertible (or at least computable) maps y = f(x) with log |det df/dx|.

A Transform knows its ``domain`` and ``codomain`` (constraints), whether it is ``bijective``, the
``sign`` of its derivative where monotone, and ``log_abs_det_jacobian(x, y)``. ``t.inv`` is the
inverse map (a light view, shared while the transform lives). With ``cache_size=1`` the last
``(x, y)`` pair is remembered so that ``t.inv(t(x))`` returns ``x`` itself: TransformedDistribution
relies on that to score its own samples exactly.

The base class and the combinators live in ``_base``, the concrete maps in ``_elementwise``.
"""
from ._base import (
    CatTransform,
    ComposeTransform,
    CumulativeDistributionTransform,
    IndependentTransform,
    ReshapeTransform,
    StackTransform,
    Transform,
    _InverseTransform,  # noqa: F401  (torch exposes it here too)
    identity_transform,
)
from ._elementwise import (
    AbsTransform,
    AffineTransform,
    CorrCholeskyTransform,
    ExpTransform,
    LowerCholeskyTransform,
    PositiveDefiniteTransform,
    PowerTransform,
    SigmoidTransform,
    SoftmaxTransform,
    SoftplusTransform,
    StickBreakingTransform,
    TanhTransform,
)

__all__ = [
    "AbsTransform",
    "AffineTransform",
    "CatTransform",
    "ComposeTransform",
    "CorrCholeskyTransform",
    "CumulativeDistributionTransform",
    "ExpTransform",
    "IndependentTransform",
    "LowerCholeskyTransform",
    "PositiveDefiniteTransform",
    "PowerTransform",
    "ReshapeTransform",
    "SigmoidTransform",
    "SoftmaxTransform",
    "SoftplusTransform",
    "StackTransform",
    "StickBreakingTransform",
    "TanhTransform",
    "Transform",
    "identity_transform",
]
