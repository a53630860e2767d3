"""Cholesky and triangular solve for ember.distributions (MultivariateNormal, Wishart, LKJ, ...).

ember's ops/linalg.py has no factorisations yet, so they live here, private to distributions.
Both backwards are written in ember ops (differentiable again).
"""
from __future__ import annotations

import numpy as np

import ember
from ember.ops._registry import primitive


def _tri(xp, a, upper: bool):
    return xp.triu(a) if upper else xp.tril(a)


@primitive(saves=("result",))
class _Cholesky:
    grad_fn = "LinalgCholeskyExBackward0"

    def forward(xp, a):
        try:
            return xp.linalg.cholesky(a)
        except xp.linalg.LinAlgError:
            raise RuntimeError("linalg.cholesky: The factorization could not be completed because "
                               "the input is not positive-definite.") from None

    def backward(grad, a, result):
        # gA = sym(L^{-T} Phi(L^T gL) L^{-1}), Phi = lower triangle with the diagonal halved
        lower = result
        phi = (lower.mT @ grad.tril()).tril()
        eye = ember.eye(lower.shape[-1], dtype=lower.dtype)
        phi = phi - 0.5 * phi * eye
        upper = lower.mT
        y = solve_triangular(upper, phi, upper=True)            # L^{-T} Phi
        s = solve_triangular(upper, y.mT, upper=True).mT         # (L^{-T} Phi) L^{-1}
        return 0.5 * (s + s.mT)


@primitive(saves=("a", "result"))
class _SolveTriangular:
    grad_fn = "LinalgSolveTriangularBackward0"

    def forward(xp, a, b, upper=False):
        # a general solve on the triangle: NumPy has no triangular solver without SciPy
        return xp.linalg.solve(_tri(xp, a, upper), b)

    def backward(grad, a, b, result, upper=False):
        gb = solve_triangular(a.mT, grad, upper=not upper)
        ga = -(gb @ result.mT)
        return (ga.triu() if upper else ga.tril()), gb


def cholesky(a):
    """Lower Cholesky factor L of a symmetric positive-definite matrix (A = L L^T), batched."""
    return _Cholesky.apply(a)


def solve_triangular(a, b, *, upper: bool):
    """X with A X = B for triangular A (only A's ``upper``/lower triangle is read), batched."""
    batch = np.broadcast_shapes(tuple(a.shape[:-2]), tuple(b.shape[:-2]))
    a = a.expand(tuple(batch) + tuple(a.shape[-2:]))
    b = b.expand(tuple(batch) + tuple(b.shape[-2:]))
    return _SolveTriangular.apply(a, b, upper=upper)
