# ruff: noqa: F401  (this module only re-exports)
"""ember.linalg: torch.linalg's functions (norms, inverses, solves, decompositions).

The primitives and their gradients are in ember/ops/linalg_ext.py; composites in
ember/ops/_linalg_more.py. This module only gives them torch.linalg's names.
"""
from ..ops import linalg_ext as _family  # first: it loads _linalg_more after its primitives
from ..ops._linalg_more import linalg_cross as cross
from ..ops._linalg_more import (
    lstsq,
    matrix_norm,
    matrix_power,
    matrix_rank,
    multi_dot,
    norm,
    pinv,
    solve_triangular,
    tensorinv,
    vecdot,
)
from ..ops.linalg import matmul
from ..ops.linalg_ext import (
    LinAlgError,
    det,
    eigh,
    eigvalsh,
    inv,
    slogdet,
    solve,
    svdvals,
)
from ..ops.linalg_ext import linalg_cholesky as cholesky
from ..ops.linalg_ext import linalg_qr as qr
from ..ops.linalg_ext import linalg_svd as svd
from ..ops.reduction import vector_norm

__all__ = ["LinAlgError", "cholesky", "cross", "det", "diagonal", "eigh", "eigvalsh", "inv", "lstsq",
           "matmul", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv", "qr",
           "slogdet", "solve", "solve_triangular", "svd", "svdvals", "tensorinv", "vecdot", "vector_norm"]


def diagonal(A, *, offset: int = 0, dim1: int = -2, dim2: int = -1):
    """linalg.diagonal: torch.diagonal with the last two dims as the default plane."""
    from ..ops.movement import diagonal as _diagonal
    return _diagonal(A, offset, dim1, dim2)


from ..ops._out import add_out_support as _add_out_support

_add_out_support(globals())  # out= for every function above, as for the top-level ones
