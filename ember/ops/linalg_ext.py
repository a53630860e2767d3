"""Matrix functions: inverse, determinants, solves and the decompositions (Cholesky, QR, eigh, SVD).

Each decomposition is one primitive over NumPy's batched LAPACK routines (``xp.linalg``), so inputs
of shape ``(..., n, n)`` work everywhere. Their gradients are the standard matrix-calculus formulas,
written in ember ops (matmul, transpose, tril, ...) so that they can be differentiated again:

- inv:      dA = -A⁻ᵀ G A⁻ᵀ
- det:      dA = G · det(A) · A⁻ᵀ
- solve:    dB = A⁻ᵀ G,  dA = -dB Xᵀ
- cholesky: dA = L⁻ᵀ Φ(Lᵀ dL) L⁻¹, Φ taking the lower triangle with the diagonal halved, symmetrised
- eigh/svd: the eigen/singular vectors are defined up to sign, so only the gauge-invariant part of
  their gradient counts (a skew-symmetric projection), divided by the eigenvalue gaps.

The torch-facing functions (``ember.linalg.*`` and the older top-level ``torch.inverse``, ``svd``,
``qr`` ...) are in the second half of this file and in ``_linalg_more.py``; ``ember/linalg``
re-exports them under torch's names.
"""
from __future__ import annotations

import warnings

from .. import return_types as _rt
from .._creation import eye, zeros
from ._registry import primitive
from .linalg import _mT, matmul
from .movement import Diagonal, DiagonalScatter, diagonal, tril, unsqueeze
from .pointwise import where
from .reduction import sum as _sum

__all__ = ["addbmm", "addmv", "block_diag", "cartesian_prod", "cdist", "chain_matmul", "cholesky", "cross",
           "det", "diag", "diag_embed", "inverse", "kron", "logdet", "matrix_power", "meshgrid",
           "pinverse", "qr", "slogdet", "svd", "tensordot", "trace"]

_ONCE: set = set()


def _warn_once(key: str, message: str) -> None:
    """torch's TORCH_WARN_ONCE: a deprecation warning the first time only."""
    if key not in _ONCE:
        _ONCE.add(key)
        warnings.warn(message, UserWarning, stacklevel=3)


class LinAlgError(RuntimeError):
    """Raised when a matrix function fails on its input (singular, not positive-definite), as
    ``torch.linalg.LinAlgError``; a RuntimeError, so ``except RuntimeError`` catches it too."""


_LinAlgError = LinAlgError  # the forwards below raise it by this name
LinAlgError.__module__ = "ember._C"  # torch's class is torch._C._LinAlgError: tracebacks print that name
LinAlgError.__name__ = LinAlgError.__qualname__ = "_LinAlgError"

_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
          "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool", "bfloat16": "BFloat16"}


# --------------------------------------------------------------------------- argument checks
def _check_float(name: str, A) -> None:
    if not A.dtype.is_floating_point:
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. "
                           f"Got {_NAMES.get(A.dtype.name, A.dtype.name)}")


def _check_matrix(name: str, A, square: bool = True) -> None:
    """torch's checks: at least 2-D, floating point, and (for most functions) square matrices."""
    if A.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    _check_float(name, A)
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")


def _batch_prefix(xp, x, k) -> str:
    """torch names the failing batch element only for batched inputs."""
    return f"(Batch element {k}): " if x.ndim > 2 else ""


def _first_bad(xp, x, test):
    """Index of the first matrix of a batch for which ``test`` (on one matrix) fails."""
    mats = x.reshape((-1,) + x.shape[-2:])
    for k in range(mats.shape[0]):  # error path only: find which element LAPACK refused
        if not test(mats[k]):
            return k, mats[k]
    return 0, mats[0]


def _zero_pivot(xp, a) -> int:
    """1-based index of the first zero pivot of an LU factorisation with partial pivoting (what
    LAPACK's getrf reports for a singular matrix); one vectorised elimination step per column."""
    a = a.astype(xp.float64).copy()
    n = a.shape[0]
    for j in range(n):
        p = j + int(xp.argmax(xp.abs(a[j:, j])))
        if a[p, j] == 0:
            return j + 1
        a[[j, p]] = a[[p, j]]
        a[j + 1:, j:] -= xp.outer(a[j + 1:, j] / a[j, j], a[j, j:])
    return n


def _inv_error(xp, x, name="linalg.inv"):
    def ok(m):
        try:
            xp.linalg.inv(m)
            return True
        except xp.linalg.LinAlgError:
            return False
    k, m = _first_bad(xp, x, ok)
    return LinAlgError(f"{name}: {_batch_prefix(xp, x, k)}The diagonal element {_zero_pivot(xp, m)} is "
                       "zero, the inversion could not be completed because the input matrix is singular.")


def _cholesky_error(xp, x):
    def ok(m):
        try:
            xp.linalg.cholesky(m)
            return True
        except xp.linalg.LinAlgError:
            return False
    k, m = _first_bad(xp, x, ok)
    order = next(i for i in range(1, m.shape[0] + 1) if not ok(m[:i, :i]))
    return LinAlgError(f"linalg.cholesky: {_batch_prefix(xp, x, k)}The factorization could not be "
                       "completed because the input is not positive-definite (the leading minor of "
                       f"order {order} is not positive-definite).")


# --------------------------------------------------------------------------- small helpers (ember ops)
def _diag_embed(v):
    """(..., n) -> (..., n, n) with v on the diagonal (differentiable, via movement's scatter)."""
    n = v.shape[-1]
    return DiagonalScatter.apply(v, offset=0, dim1=v.ndim - 1, dim2=v.ndim,
                                 in_shape=tuple(v.shape) + (n,))


def _diag(A):
    return Diagonal.apply(A, offset=0, dim1=A.ndim - 2, dim2=A.ndim - 1, in_shape=tuple(A.shape))


def _gap_reciprocal(lam):
    """F[i, j] = 1 / (lam[j] - lam[i]) off the diagonal and 0 on it, with no inf/nan anywhere (so
    that the second derivative stays finite too)."""
    I = eye(lam.shape[-1], dtype=lam.dtype)
    E = unsqueeze(lam, -2) - unsqueeze(lam, -1) + I
    return (1 - I) / E


def _multi_jvp(backward, tangents, args, results):
    """Forward mode for a multi-output op whose backward is linear in the output gradients: J·t is the
    gradient, with respect to those output gradients u, of <backward(u), t>."""
    from ..autograd import grad_mode
    from ..autograd.engine import grad
    us = [zeros(tuple(r.shape), dtype=r.dtype).requires_grad_(True) for r in results]
    with grad_mode.enable_grad():
        grads = backward(tuple(us) if len(us) > 1 else us[0], *args, results)
        grads = grads if type(grads) is tuple else (grads,)
        total = None
        for g, t in zip(grads, tangents):
            if g is not None and t is not None:
                term = (g * t).sum()
                total = term if total is None else total + term
        keep = grad_mode.STATE.enabled and any(getattr(t, "requires_grad", False) for t in tangents)
        outs = grad(total, us, create_graph=keep, allow_unused=True)
    return tuple(o if o is not None else zeros(tuple(r.shape), dtype=r.dtype)
                 for o, r in zip(outs, results))


# --------------------------------------------------------------------------- primitives
@primitive(saves=("result",))
class Inv:
    grad_fn = "LinalgInvExBackward0"

    def forward(xp, x):
        try:
            return xp.linalg.inv(x)
        except xp.linalg.LinAlgError:
            raise _inv_error(xp, x) from None

    def backward(grad, x, result):
        r_t = _mT(result)
        return -matmul(r_t, matmul(grad, r_t))

    def jvp(tangents, x, result):
        return -matmul(result, matmul(tangents[0], result))


@primitive
class Det:
    grad_fn = "LinalgDetBackward0"

    def forward(xp, x):
        return xp.linalg.det(x)

    def backward(grad, x, result):
        # d det / dA = det(A) A⁻ᵀ (Jacobi's formula); needs an invertible A
        return unsqueeze(unsqueeze(grad * result, -1), -1) * _mT(inv(x))

    def jvp(tangents, x, result):
        return result * _sum(_mT(inv(x)) * tangents[0], (-2, -1))


@primitive
class Slogdet:
    """(sign det A, log|det A|). The sign is piecewise constant: its gradient is zero."""
    grad_fn = "LinalgSlogdetBackward0"

    def forward(xp, x):
        return tuple(xp.linalg.slogdet(x))

    def backward(grad, x):
        return unsqueeze(unsqueeze(grad[1], -1), -1) * _mT(inv(x))

    def jvp(tangents, x):
        t = _sum(_mT(inv(x)) * tangents[0], (-2, -1))
        return t * 0, t


@primitive(saves=("x", "result"))
class Solve:
    """X = A⁻¹ B for a batch of matrices B (vectors are made columns by the wrapper)."""
    grad_fn = "LinalgSolveExBackward0"

    def forward(xp, x, b):
        try:
            return xp.linalg.solve(x, b)
        except xp.linalg.LinAlgError:
            raise LinAlgError("torch.linalg.solve: The solver failed because the input matrix is "
                              "singular.") from None

    def backward(grad, x, b, result):
        g_b = Solve.apply(_mT(x), grad)
        return -matmul(g_b, _mT(result)), g_b

    def jvp(tangents, x, b, result):
        t_x, t_b = tangents
        rhs = t_b if t_x is None else (-matmul(t_x, result) if t_b is None else t_b - matmul(t_x, result))
        return Solve.apply(x, rhs)


@primitive(saves=("result",))
class Cholesky:
    grad_fn = "LinalgCholeskyExBackward0"

    def forward(xp, x):
        try:
            return xp.linalg.cholesky(x)
        except xp.linalg.LinAlgError:
            raise _cholesky_error(xp, x) from None

    def backward(grad, x, result):
        L = result
        m = tril(matmul(_mT(L), grad))  # only the lower triangle of grad counts (L is triangular)
        m = 0.5 * (m + _mT(tril(m, -1)))  # symmetric, with the diagonal halved
        l_inv = inv(L)
        return matmul(_mT(l_inv), matmul(m, l_inv))

    def jvp(tangents, x, result):
        # dL = L Φ(L⁻¹ dA L⁻ᵀ), Φ = lower triangle with the diagonal halved
        l_inv = inv(result)
        s = matmul(l_inv, matmul(tangents[0], _mT(l_inv)))
        return matmul(result, tril(s, -1) + 0.5 * _diag_embed(_diag(s)))


@primitive(saves=("result",))
class Eigh:
    grad_fn = "LinalgEighBackward0"

    def forward(xp, x, UPLO="L"):
        return tuple(xp.linalg.eigh(x, UPLO=UPLO))  # NumPy's result is a namedtuple

    def backward(grad, x, result, UPLO="L"):
        g_lam, g_v = grad
        lam, v = result
        vg = matmul(_mT(v), g_v)
        # only the skew part of Vᵀ gV is invariant to flipping the eigenvectors' signs
        inner = 0.5 * (vg - _mT(vg)) * _gap_reciprocal(lam) + _diag_embed(g_lam)
        return matmul(v, matmul(inner, _mT(v)))

    def jvp(tangents, x, result, UPLO="L"):
        return _multi_jvp(lambda g, a, r: Eigh.backward(g, a, r, UPLO), tangents, (x,), result)


@primitive(saves=("result",))
class Svd:
    grad_fn = "LinalgSvdBackward0"

    def forward(xp, x, full_matrices=True):
        return tuple(xp.linalg.svd(x, full_matrices=full_matrices))

    def backward(grad, x, result, full_matrices=True):
        g_u, g_s, g_vh = grad
        u, s, vh = result
        m, n = u.shape[-2], vh.shape[-1]
        k = min(m, n)
        if full_matrices and m != n:  # the extra singular vectors are arbitrary: drop them
            u, g_u = u[..., :, :k], g_u[..., :, :k]
            vh, g_vh = vh[..., :k, :], g_vh[..., :k, :]
        v, g_v = _mT(vh), _mT(g_vh)
        s2 = s * s
        I = eye(s.shape[-1], dtype=s.dtype)
        e = unsqueeze(s2, -2) - unsqueeze(s2, -1) + I  # s_j² - s_i², 1 on the diagonal
        off = 1 - I
        ug = matmul(_mT(u), g_u)
        vg = matmul(_mT(v), g_v)
        inner = ((ug - _mT(ug)) * unsqueeze(s, -2) + unsqueeze(s, -1) * (vg - _mT(vg))) * off / e
        inner = inner + _diag_embed(g_s)
        s_inv = unsqueeze(1 / s, -2)
        if m > k:  # the component of gU outside U's column space
            out = matmul(u, inner)
            g_us = g_u * s_inv
            out = out + g_us - matmul(u, matmul(_mT(u), g_us))
            return matmul(out, vh)
        if n > k:
            out = matmul(inner, vh)
            g_vs = g_v * s_inv
            out = out + _mT(g_vs) - matmul(matmul(_mT(g_vs), v), vh)
            return matmul(u, out)
        return matmul(u, matmul(inner, vh))

    def jvp(tangents, x, result, full_matrices=True):
        return _multi_jvp(lambda g, a, r: Svd.backward(g, a, r, full_matrices), tangents, (x,), result)


@primitive(saves=("result",))
class Qr:
    grad_fn = "LinalgQrBackward0"

    def forward(xp, x, mode="reduced"):
        return tuple(xp.linalg.qr(x, mode=mode))

    def backward(grad, x, result, mode="reduced"):
        g_q, g_r = grad
        q, r = result
        m, n = q.shape[-2], r.shape[-1]
        if mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and "
                               "nrows > ncols.")
        if m >= n:
            return _qr_grad(q, r, g_q, g_r)
        # A = Q [R1 R2]: the first m columns are a square QR; the rest are Y = Q R2
        from ._join import cat
        r1, r2, g_r1, g_r2 = r[..., :, :m], r[..., :, m:], g_r[..., :, :m], g_r[..., :, m:]
        y = matmul(q, r2)
        g_x = _qr_grad(q, r1, g_q + matmul(y, _mT(g_r2)), g_r1)
        return cat([g_x, matmul(q, g_r2)], -1)

    def jvp(tangents, x, result, mode="reduced"):
        return _multi_jvp(lambda g, a, r: Qr.backward(g, a, r, mode), tangents, (x,), result)


def _qr_grad(q, r, g_q, g_r):
    """dA = (gQ + Q copyltu(M)) R⁻ᵀ with M = R gRᵀ - gQᵀ Q, copyltu mirroring M's lower triangle."""
    mm = matmul(r, _mT(g_r)) - matmul(_mT(g_q), q)
    sym = tril(mm, -1) + _mT(tril(mm))
    rhs = g_q + matmul(q, sym)
    return _mT(Solve.apply(r, _mT(rhs)))  # rhs R⁻ᵀ = (R⁻¹ rhsᵀ)ᵀ


# --------------------------------------------------------------------------- torch.linalg functions
slogdet_result = _rt._make("linalg_slogdet", ("sign", "logabsdet"))
eigh_result = _rt._make("linalg_eigh", ("eigenvalues", "eigenvectors"))
svd_result = _rt._make("linalg_svd", ("U", "S", "Vh"))
qr_result = _rt._make("linalg_qr", ("Q", "R"))
old_svd_result = _rt._make("svd", ("U", "S", "V"))
old_qr_result = _rt._make("qr", ("Q", "R"))
old_slogdet_result = _rt._make("slogdet", ("sign", "logabsdet"))


def inv(A):
    """linalg.inv: the inverse of each square matrix in ``A`` (..., n, n); LinAlgError if singular."""
    _check_matrix("linalg.inv", A)
    return Inv.apply(A)


def det(A):
    """linalg.det: the determinant of each square matrix in ``A`` (..., n, n)."""
    _check_matrix("linalg.det", A)
    return Det.apply(A)


def slogdet(A):
    """linalg.slogdet: (sign, log|det|) of each square matrix, without overflow for large n."""
    _check_matrix("linalg.slogdet", A)
    return slogdet_result(*Slogdet.apply(A))


def logdet(input):
    """torch.logdet: log det(A); nan for a negative determinant, -inf for a zero one."""
    _check_matrix("linalg.slogdet", input)
    sign, logabs = Slogdet.apply(input)
    return where(sign < 0, float("nan"), logabs)


def solve(A, B, *, left: bool = True, out=None):
    """linalg.solve: X with A X = B (``left=False``: X A = B). B may be a vector or batch of vectors."""
    _check_matrix("linalg.solve", A)
    _check_float("linalg.solve", B)
    if not left:
        return _mT(solve(_mT(A), _mT(B)))
    n = A.shape[-1]
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    b = unsqueeze(B, -1) if vector else B
    if b.shape[-2] != n:
        cols = b.shape[-1]
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
                           f"({A.shape[-2]}x{n} and {b.shape[-2]}x{cols})")
    if A.dtype is not B.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
                           f"{_NAMES[A.dtype.name]} and B of type {_NAMES[B.dtype.name]} instead")
    x = Solve.apply(A, b)
    return x[..., 0] if vector else x


def cholesky_lower(A, upper: bool = False):
    _check_matrix("linalg.cholesky", A)
    L = Cholesky.apply(A)
    return _mT(L) if upper else L


def linalg_cholesky(A, *, upper: bool = False, out=None):
    """linalg.cholesky: L (lower triangular, L Lᵀ = A) of a symmetric positive-definite A."""
    return cholesky_lower(A, upper)


def cholesky(input, upper: bool = False, *, out=None):
    """torch.cholesky (deprecated in torch in favour of linalg.cholesky)."""
    _warn_once("cholesky", "torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be "
               "removed in a future PyTorch release.\nL = torch.cholesky(A)\nshould be replaced with\n"
               "L = torch.linalg.cholesky(A)\nand\nU = torch.cholesky(A, upper=True)\nshould be replaced "
               "with\nU = torch.linalg.cholesky(A).mH\nThis transform will produce equivalent results for "
               "all valid (symmetric positive definite) inputs.")
    return cholesky_lower(input, upper)


def eigh(A, UPLO: str = "L", *, out=None):
    """linalg.eigh: eigenvalues (ascending) and orthonormal eigenvectors of a symmetric A; only the
    ``UPLO`` triangle of A is read."""
    _check_matrix("linalg.eigh", A)
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    lam, v = Eigh.apply(A, UPLO=UPLO)
    return eigh_result(lam, v)


def eigvalsh(A, UPLO: str = "L", *, out=None):
    """linalg.eigvalsh: the eigenvalues of a symmetric A, ascending."""
    return eigh(A, UPLO)[0]


def linalg_svd(A, full_matrices: bool = True, *, driver=None, out=None):
    """linalg.svd: A = U diag(S) Vh, singular values descending."""
    _check_matrix("linalg.svd", A, square=False)
    return svd_result(*Svd.apply(A, full_matrices=full_matrices))


def svdvals(A, *, driver=None, out=None):
    """linalg.svdvals: the singular values of A, descending."""
    _check_matrix("linalg.svd", A, square=False)
    return Svd.apply(A, full_matrices=False)[1]


def svd(input, some: bool = True, compute_uv: bool = True, *, out=None):
    """torch.svd: (U, S, V) with V (not Vᵀ); ``some=False`` gives square U and V."""
    _check_matrix("linalg.svd", input, square=False)
    if not compute_uv:  # torch returns zero-filled U and V of the full shapes
        m, n = input.shape[-2], input.shape[-1]
        batch = tuple(input.shape[:-2])
        return old_svd_result(zeros(batch + (m, m), dtype=input.dtype), svdvals(input),
                              zeros(batch + (n, n), dtype=input.dtype))
    u, s, vh = Svd.apply(input, full_matrices=not some)
    return old_svd_result(u, s, _mT(vh))


def linalg_qr(A, mode: str = "reduced", *, out=None):
    """linalg.qr: A = Q R with orthonormal Q and upper-triangular R (mode 'reduced', 'complete', 'r')."""
    _check_matrix("linalg.qr", A, square=False)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' "
                           "(default), 'r', or 'complete'")
    if mode == "r":
        r = Qr.apply(A, mode="reduced")[1]
        return qr_result(zeros(0, dtype=A.dtype), r.detach())
    return qr_result(*Qr.apply(A, mode=mode))


def qr(input, some: bool = True, *, out=None):
    """torch.qr (deprecated in torch in favour of linalg.qr)."""
    _warn_once("qr", "torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a future "
               "PyTorch release.\nThe boolean parameter 'some' has been replaced with a string parameter "
               "'mode'.\nQ, R = torch.qr(A, some)\nshould be replaced with\nQ, R = torch.linalg.qr(A, "
               "'reduced' if some else 'complete')")
    return old_qr_result(*linalg_qr(input, "reduced" if some else "complete"))


def inverse(input, *, out=None):
    """torch.inverse: the same as linalg.inv."""
    return inv(input)


def diag_embed(input, offset: int = 0, dim1: int = -2, dim2: int = -1):
    """Matrices (in dims ``dim1``, ``dim2`` of the result) with ``input``'s last dim on the diagonal
    ``offset``; the other dims of ``input`` are batch dims."""
    from ._utils import normalize_dim
    nd = input.ndim + 1
    d1, d2 = normalize_dim(dim1, nd), normalize_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    size = input.shape[-1] + abs(offset)
    shape = list(input.shape[:-1])
    for d in sorted((d1, d2)):
        shape.insert(d, size)
    return _DiagEmbed.apply(input, offset=offset, dim1=d1, dim2=d2, in_shape=tuple(shape))


class _DiagEmbedCls(DiagonalScatter.cls):
    grad_fn = "DiagEmbedBackward0"  # the same scatter as diagonal's backward, under torch's name


_DiagEmbed = primitive(_DiagEmbedCls, saves=())


def trace(input):
    """The sum of the main diagonal of a 2-D tensor."""
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return _sum(diagonal(input))


def diag(input, diagonal: int = 0):
    """1-D input: a square matrix with it on diagonal ``diagonal``; 2-D input: that diagonal (a copy)."""
    if input.ndim == 1:
        return diag_embed(input, diagonal)
    if input.ndim == 2:
        return Diagonal.apply(input, offset=diagonal, dim1=0, dim2=1, in_shape=tuple(input.shape)).clone()
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


# --------------------------------------------------------------------------- the composites, re-exported
# imported last, since they import the primitives above
from ._linalg_more import *

_METHODS = ("addbmm", "addmv", "cholesky", "cross", "det", "diag", "diag_embed", "inverse", "kron",
            "logdet", "matrix_power", "pinverse", "qr", "slogdet", "svd", "trace")


def bind(T) -> None:
    """Tensor methods torch has for these functions (x.inverse(), x.det(), x.svd(), x.addmv_(), ...)."""
    import sys

    from ._registry import apply_inplace
    mod = sys.modules[__name__]
    for name in _METHODS:
        if not hasattr(T, name):
            setattr(T, name, getattr(mod, name))
    for name in ("addbmm", "addmv"):
        fn = getattr(mod, name)
        if not hasattr(T, name + "_"):
            setattr(T, name + "_", lambda self, *a, _fn=fn, **k: apply_inplace(_fn, self, *a, **k))
