"""Linear-algebra functions built from other ops (no backward of their own): norms, pinv, lstsq,
matrix_power, cross, products (tensordot, kron, multi_dot, cdist, addmv, addbmm), meshgrid and
block_diag. Their gradients come from the primitives they call (see linalg_ext.py for those)."""
from __future__ import annotations

import math
import warnings

from .. import return_types as _rt
from .._creation import eye, zeros
from .._dtype import bool as bool_
from ._join import cat, stack
from ._utils import normalize_dim
from .linalg import _mT, bmm, matmul, mm, mv
from .linalg_ext import Svd, _check_float, _check_matrix, _warn_once, inv, solve
from .movement import expand, movedim, permute, reshape, roll, squeeze, tril, triu, unsqueeze
from .pointwise import abs, where
from .reduction import amax, amin, vector_norm
from .reduction import sum as _sum

__all__ = ["addbmm", "addmv", "block_diag", "cartesian_prod", "cdist", "chain_matmul", "cross", "kron",
           "matrix_power", "meshgrid", "pinverse", "tensordot"]

lstsq_result = _rt._make("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))


def _svdvals(A):
    return Svd.apply(A, full_matrices=False)[1]


# --------------------------------------------------------------------------- norms
def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None, out=None):
    """linalg.matrix_norm: 'fro', 'nuc', inf, -inf, 1, -1, 2, -2 of the matrices in dims ``dim``."""
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    _check_float("linalg.matrix_norm", A)
    if dtype is not None:
        A = A.to(dtype)
    d0, d1 = (normalize_dim(d, A.ndim) for d in dim)
    if isinstance(ord, str):
        if ord == "fro":
            return vector_norm(A, 2, (d0, d1), keepdim)
        if ord != "nuc":
            raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    elif ord not in (1, -1, 2, -2, math.inf, -math.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if ord in ("nuc", 2, -2):  # functions of the singular values
        s = _svdvals(movedim(A, (d0, d1), (-2, -1)))
        r = _sum(s, -1) if ord == "nuc" else (amax(s, -1) if ord == 2 else amin(s, -1))
    else:  # 1: largest column sum of |A|; inf: largest row sum
        axis, red = (d0, d1) if abs_ord(ord) == 1 else (d1, d0)
        sums = _sum(abs(A), axis, keepdim=True)
        r = (amax if ord > 0 else amin)(sums, red, keepdim=True)
        r = squeeze(squeeze(r, max(d0, d1)), min(d0, d1))
    if keepdim:
        for d in sorted((d0, d1)):
            r = unsqueeze(r, d)
    return r


def abs_ord(ord) -> float:
    return ord if ord >= 0 else -ord


def norm(A, ord=None, dim=None, keepdim: bool = False, *, dtype=None, out=None):
    """linalg.norm: a vector norm (1-D input or an int ``dim``) or a matrix norm (2-D or two dims).
    With ``ord=None`` and no ``dim`` the 2-norm of the flattened input."""
    if isinstance(dim, int):
        dim = (dim,)
    if dim is None:
        if ord is None:
            return vector_norm(A, 2, None, keepdim, dtype=dtype)
        if A.ndim not in (1, 2):
            raise RuntimeError("linalg.norm: If dim is not specified but ord is, the input must be 1D or "
                               f"2D. Got {A.ndim}D.")
        dim = tuple(range(A.ndim))
    if len(dim) == 2:
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    if isinstance(ord, str):  # a matrix order ('fro', 'nuc') with one dim
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {len(dim)}")  # noqa: TRY004
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


# --------------------------------------------------------------------------- pinv, rank, lstsq
def _tolerance(s, shape, atol, rtol):
    """max(atol, rtol * largest singular value), per matrix, with torch's default rtol."""
    if rtol is None:
        eps = 1.1920928955078125e-07 if s.dtype.name == "float32" else 2.220446049250313e-16
        rtol = 0.0 if (atol is not None and atol > 0) else max(shape[-2:]) * eps
    tol = amax(s, -1, keepdim=True) * rtol if s.shape[-1] else s[..., :0] * 0
    if atol is not None:
        tol = where(tol > atol, tol, atol)
    return tol


def pinv(A, *, atol=None, rtol=None, hermitian: bool = False, out=None):
    """linalg.pinv: the Moore-Penrose pseudo-inverse from the SVD, singular values below the
    tolerance treated as zero."""
    _check_matrix("linalg.pinv", A, square=False)
    u, s, vh = Svd.apply(A, full_matrices=False)
    keep = s > _tolerance(s.detach(), A.shape, atol, rtol)
    s_inv = where(keep, 1 / where(keep, s, 1), 0)  # no 1/0 anywhere, for a clean gradient
    return matmul(_mT(vh) * unsqueeze(s_inv, -2), _mT(u))


def pinverse(input, rcond: float = 1e-15):
    """torch.pinverse: linalg.pinv with ``rtol=rcond``."""
    return pinv(input, rtol=rcond)


def matrix_rank(A, *, atol=None, rtol=None, hermitian: bool = False, out=None):
    """linalg.matrix_rank: how many singular values exceed the tolerance (an int64 tensor)."""
    _check_matrix("linalg.matrix_rank", A, square=False)
    s = _svdvals(A.detach())
    return _sum(s > _tolerance(s, A.shape, atol, rtol), -1)


def lstsq(A, B, rcond=None, *, driver=None):
    """linalg.lstsq: the least-squares solution of A X = B (minimum norm when A is rank deficient).

    Returns (solution, residuals, rank, singular_values) like torch's CPU drivers: 'gelsy' (default)
    fills rank only; 'gelsd'/'gelss' also the singular values, and the residuals when m > n and A
    has full rank; 'gels' only residuals.
    """
    _check_matrix("linalg.lstsq", A, square=False)
    drivers = ("gels", "gelsy", "gelsd", "gelss")
    if driver is None:
        driver = "gelsy"
    if driver not in drivers:
        raise RuntimeError(f"parameter `driver` should be one of {drivers}")
    vector = B.ndim == A.ndim - 1
    b = unsqueeze(B, -1) if vector else B
    if b.shape[-2] != A.shape[-2]:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size(-2). Got "
                           f"{A.shape[-2]} and {b.shape[-2]}")
    x = matmul(pinv(A, rtol=rcond), b)
    m, n = A.shape[-2], A.shape[-1]
    empty = zeros(0, dtype=A.dtype)
    s = _svdvals(A.detach())
    rank = _sum(s > _tolerance(s, A.shape, None, rcond), -1)
    full = bool((rank == min(m, n)).all())
    residuals = empty
    if driver != "gelsy" and m > n and full:
        residuals = _sum((matmul(A, x) - b) ** 2, -2)
        if vector:
            residuals = residuals[..., 0]
    return lstsq_result(x[..., 0] if vector else x, residuals,
                        zeros(0, dtype=rank.dtype) if driver == "gels" else rank,
                        s if driver in ("gelsd", "gelss") else empty)


def matrix_power(input, n: int):
    """A to the integer power n by repeated squaring (n < 0: of the inverse; n == 0: identity)."""
    _check_matrix("linalg.matrix_power", input)
    if n == 0:  # the identity, still connected to input (whose gradient is then zero, as in torch)
        ident = expand(eye(input.shape[-1], dtype=input.dtype), tuple(input.shape))
        return where(zeros(tuple(input.shape), dtype=bool_), input, ident)
    base = inv(input) if n < 0 else input
    n = n if n > 0 else -n
    result = None
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result


def tensorinv(A, ind: int = 2, *, out=None):
    """linalg.tensorinv: the inverse of A seen as a matrix from its first ``ind`` dims to the rest."""
    rows, cols = A.shape[:ind], A.shape[ind:]
    p = math.prod(rows)
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    if p != math.prod(cols):
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {math.prod(cols)} != {p}")
    return reshape(inv(reshape(A, (p, p))), tuple(cols) + tuple(rows))


def solve_triangular(A, B, *, upper: bool, left: bool = True, unitriangular: bool = False, out=None):
    """linalg.solve_triangular: solve with only the upper (or lower) triangle of A."""
    _check_matrix("linalg.solve_triangular", A)
    T = triu(A) if upper else tril(A)
    if unitriangular:
        T = T - T * eye(A.shape[-1], dtype=A.dtype) + eye(A.shape[-1], dtype=A.dtype)
    return solve(T, B, left=left) if B.ndim >= 2 else solve(T, B)


# --------------------------------------------------------------------------- products
def cross(input, other, dim=None, *, out=None):
    """torch.cross: the 3-D cross product along ``dim`` (the first dim of size 3 when None)."""
    if dim is None:
        _warn_once("cross", "Using torch.cross without specifying the dim arg is deprecated.\nPlease "
                   "either pass the dim explicitly or simply use torch.linalg.cross.\nThe default "
                   "value of dim will change to agree with that of linalg.cross in a future release.")
        dim = next((i for i, s in enumerate(input.shape) if s == 3), -1)
    return linalg_cross(input, other, dim=dim)


def linalg_cross(input, other, *, dim: int = -1, out=None):
    """linalg.cross: a × b along ``dim`` (size 3), the other dims broadcast."""
    if input.ndim != other.ndim:
        raise RuntimeError(f"linalg.cross: inputs must have the same number of dimensions. Got "
                           f"{input.ndim} and {other.ndim}")
    d = normalize_dim(dim, input.ndim)
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{input.shape[d]} and {other.shape[d]}")
    # (a1 b2 - a2 b1, a2 b0 - a0 b2, a0 b1 - a1 b0), as rolled copies
    return (roll(input, -1, d) * roll(other, -2, d)) - (roll(input, -2, d) * roll(other, -1, d))


def vecdot(x, y, *, dim: int = -1, out=None):
    """linalg.vecdot: the dot product along ``dim``, the other dims broadcast."""
    return _sum(x * y, dim)


def multi_dot(tensors, *, out=None):
    """linalg.multi_dot: the product of a chain of matrices; the first and last may be vectors."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    for i, t in enumerate(tensors):
        allowed = (1, 2) if i in (0, len(tensors) - 1) else (2,)
        if t.ndim not in allowed:
            where_ = "first" if i == 0 else ("last" if i == len(tensors) - 1 else None)
            if where_ is None:
                raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D")
            raise RuntimeError(f"multi_dot(): the {where_} tensor must be 1D or 2D but got {t.ndim}D")
    result = tensors[0]
    for t in tensors[1:]:
        result = matmul(result, t)
    return result


def chain_matmul(*matrices, out=None):
    """torch.chain_matmul (deprecated in torch in favour of linalg.multi_dot)."""
    _warn_once("chain_matmul", "torch.chain_matmul is deprecated and will be removed in a future "
               "PyTorch release. Use torch.linalg.multi_dot instead, which accepts a list of two or "
               "more tensors rather than multiple parameters.")
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    if len(matrices) == 1:
        return matrices[0].clone()
    return multi_dot(matrices)


def tensordot(a, b, dims=2, out=None):
    """Sum of products over ``dims``: an int (a's last dims with b's first) or two lists of dims."""
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
    da = [normalize_dim(d, a.ndim) for d in da]
    db = [normalize_dim(d, b.ndim) for d in db]
    for x, y in zip(da, db):
        if a.shape[x] != b.shape[y]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {a.shape[x]} "
                               f"in dim {x} and second has size {b.shape[y]} in dim {y}")
    free_a = [d for d in range(a.ndim) if d not in da]
    free_b = [d for d in range(b.ndim) if d not in db]
    k = math.prod(a.shape[d] for d in da)
    a2 = reshape(permute(a, free_a + da), (math.prod(a.shape[d] for d in free_a), k))
    b2 = reshape(permute(b, db + free_b), (k, math.prod(b.shape[d] for d in free_b)))
    return reshape(mm(a2, b2), tuple(a.shape[d] for d in free_a) + tuple(b.shape[d] for d in free_b))


def kron(input, other, *, out=None):
    """Kronecker product: blocks input[i, j] * other, for any number of dims."""
    nd = max(input.ndim, other.ndim)
    sa = (1,) * (nd - input.ndim) + tuple(input.shape)
    sb = (1,) * (nd - other.ndim) + tuple(other.shape)
    a = reshape(input, tuple(x for s in sa for x in (s, 1)))  # (a0, 1, a1, 1, ...)
    b = reshape(other, tuple(x for s in sb for x in (1, s)))  # (1, b0, 1, b1, ...)
    return reshape(a * b, tuple(x * y for x, y in zip(sa, sb)))


def cdist(x1, x2, p: float = 2.0, compute_mode: str = "use_mm_for_euclid_dist_if_necessary"):
    """Pairwise p-norm distances between the rows of x1 (..., P, M) and x2 (..., R, M)."""
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} "
                           f"X2: {x2.shape[-1]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    return vector_norm(unsqueeze(x1, -2) - unsqueeze(x2, -3), p, -1)


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):
    """beta * input + alpha * (mat @ vec); with beta == 0 input is ignored (nan included)."""
    prod = mv(mat, vec)
    prod = prod if alpha == 1 else prod * alpha
    if beta == 0:
        return prod
    return (input if beta == 1 else input * beta) + prod


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    """beta * input + alpha * (sum over the batch of batch1[i] @ batch2[i])."""
    prod = _sum(bmm(batch1, batch2), 0)
    prod = prod if alpha == 1 else prod * alpha
    if beta == 0:
        return prod
    return (input if beta == 1 else input * beta) + prod


# --------------------------------------------------------------------------- grids and blocks
def meshgrid(*tensors, indexing: str | None = None):
    """Coordinate grids from 1-D tensors: 'ij' (matrix) or 'xy' (Cartesian) indexing; torch warns
    when ``indexing`` is left out (it defaults to 'ij')."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing "
                      "argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: "
                           f"{indexing}")
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: "
                               f"{t.ndim}D")
    flat = [reshape(t, (-1,)) for t in tensors]
    swap = indexing == "xy" and len(flat) >= 2
    if swap:  # 'xy' is 'ij' of the first two inputs exchanged, with those two outputs exchanged back
        flat[0], flat[1] = flat[1], flat[0]
    shape = tuple(t.shape[0] for t in flat)
    n = len(flat)
    grids = [expand(reshape(t, tuple(-1 if i == k else 1 for i in range(n))), shape)
             for k, t in enumerate(flat)]
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def cartesian_prod(*tensors):
    """All combinations of the 1-D inputs' elements, one row each (the input itself if only one)."""
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([reshape(g, (-1,)) for g in grids], 1)


def block_diag(*tensors):
    """A block-diagonal matrix from 0-, 1- and 2-D tensors (0-D is 1×1, 1-D is one row)."""
    mats = []
    for i, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input "
                               f"{i} has {t.ndim} dimensions")
        mats.append(reshape(t, (1, 1)) if t.ndim == 0 else (reshape(t, (1, -1)) if t.ndim == 1 else t))
    if not mats:
        return zeros((1, 0))
    from .._dtype import promote_types
    dt = mats[0].dtype
    for m in mats[1:]:
        dt = promote_types(dt, m.dtype)
    width = sum(m.shape[1] for m in mats)
    rows, col = [], 0
    for m in mats:
        m = m.to(dt)
        c = m.shape[1]
        parts = [zeros((m.shape[0], col), dtype=dt), m, zeros((m.shape[0], width - col - c), dtype=dt)]
        rows.append(cat(parts, 1))
        col += c
    return cat(rows, 0)
