"""op_db entries for ember/ops/linalg_ext.py and _linalg_more.py (ember.linalg and the matrix
functions). Matrices are made well conditioned inside ``fn`` (``a + 3 I``, ``a aᵀ + I``), so the
finite-difference and vmap checks see valid inputs; eigen/singular vectors are put in a fixed sign
gauge, since LAPACK builds may pick opposite signs."""
import warnings

import numpy as np

from tests.op_db import OpInfo, Sample, arr


def _la(lib):
    import importlib
    return lib.linalg if lib.__name__ == "torch" else importlib.import_module("ember.linalg")


def _top(lib):
    """torch, or ember's family module until ember/__init__ re-exports it."""
    if lib.__name__ == "torch":
        return lib
    from ember.ops import linalg_ext
    return linalg_ext


def _wc(lib, a, k=3.0):
    """a + k I: comfortably invertible."""
    return a + k * lib.eye(a.shape[-1], dtype=a.dtype)


def _spd(lib, a):
    return a @ a.mT + lib.eye(a.shape[-1], dtype=a.dtype)


def _one(*shapes):
    return lambda: [Sample((arr(*s, seed=i),), name=str(s)) for i, s in enumerate(shapes)]


def _two(*pairs):
    return lambda: [Sample((arr(*a, seed=i), arr(*b, seed=i + 40)), name=f"{a},{b}")
                    for i, (a, b) in enumerate(pairs)]


def _eigh(lib, a):
    lam, v = _la(lib).eigh(a + a.mT)
    return lam, v * lib.sign(v[..., :1, :])


def _svd(lib, a):
    u, s, vh = _la(lib).svd(a, full_matrices=False)
    g = lib.sign(u[..., :1, :])
    return u * g, s, vh * g.mT


def _old_svd(lib, a):
    u, s, v = _top(lib).svd(a)
    g = lib.sign(u[..., :1, :])
    return u * g, s, v * g


def _qr(lib, a, mode="reduced"):
    return tuple(_la(lib).qr(a, mode=mode))


def _quiet(f):
    def g(lib, *a, **k):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return f(lib, *a, **k)
    return g


OPS = [
    OpInfo("linalg.inv", lambda lib, a: _la(lib).inv(_wc(lib, a)), _one((3, 3), (2, 3, 3), (1, 1))),
    OpInfo("inverse", lambda lib, a: _top(lib).inverse(_wc(lib, a)), _one((3, 3))),
    OpInfo("linalg.det", lambda lib, a: _la(lib).det(_wc(lib, a, 1.0)), _one((3, 3), (2, 2, 2), (1, 1))),
    OpInfo("det", lambda lib, a: _top(lib).det(a), _one((3, 3))),
    OpInfo("linalg.slogdet", lambda lib, a: tuple(_la(lib).slogdet(_wc(lib, a, 0.5))),
           _one((3, 3), (2, 3, 3))),
    OpInfo("logdet", lambda lib, a: _top(lib).logdet(_spd(lib, a)), _one((3, 3))),
    OpInfo("linalg.solve", lambda lib, a, b: _la(lib).solve(_wc(lib, a), b),
           _two(((3, 3), (3, 2)), ((3, 3), (3,)), ((2, 3, 3), (2, 3)), ((2, 3, 3), (3, 1)))),
    OpInfo("linalg.solve_left", lambda lib, a, b: _la(lib).solve(_wc(lib, a), b, left=False),
           _two(((3, 3), (2, 3)))),
    OpInfo("linalg.cholesky", lambda lib, a: _la(lib).cholesky(_spd(lib, a)), _one((3, 3), (2, 3, 3))),
    OpInfo("linalg.cholesky_upper", lambda lib, a: _la(lib).cholesky(_spd(lib, a), upper=True),
           _one((3, 3))),
    # torch.cholesky has no forward-mode rule in torch: its reference is linalg.cholesky (the same
    # function); test_linalg.py compares the two libraries' top-level cholesky directly
    OpInfo("cholesky", _quiet(lambda lib, a: (lib.linalg.cholesky if lib.__name__ == "torch" else
                                              _top(lib).cholesky)(_spd(lib, a))), _one((3, 3))),
    OpInfo("linalg.eigh", _eigh, _one((3, 3), (2, 3, 3)), rtol=1e-4, atol=1e-5),
    OpInfo("linalg.eigvalsh", lambda lib, a: _la(lib).eigvalsh(a + a.mT), _one((3, 3))),
    OpInfo("linalg.svd", _svd, _one((3, 3), (4, 2), (2, 4), (2, 3, 2)), rtol=1e-4, atol=1e-5),
    OpInfo("linalg.svdvals", lambda lib, a: _la(lib).svdvals(a), _one((3, 2), (2, 3, 3))),
    OpInfo("svd", _old_svd, _one((3, 2)), rtol=1e-4, atol=1e-5),
    OpInfo("linalg.qr", _qr, _one((3, 3), (4, 2), (2, 4), (2, 3, 2)), rtol=1e-4, atol=1e-5),
    OpInfo("qr", _quiet(lambda lib, a: tuple(_top(lib).qr(a))), _one((3, 2)), rtol=1e-4, atol=1e-5),
    OpInfo("linalg.pinv", lambda lib, a: _la(lib).pinv(a), _one((3, 2), (2, 3), (2, 3, 3)),
           rtol=1e-4, atol=1e-5, grad_rtol=1e-3, grad_atol=1e-3),
    OpInfo("pinverse", lambda lib, a: _top(lib).pinverse(a), _one((3, 2)), rtol=1e-4, atol=1e-5),
    OpInfo("linalg.matrix_norm", lambda lib, a, ord, **k: _la(lib).matrix_norm(a, ord, **k),
           lambda: [Sample((arr(3, 3, seed=i), o), name=str(o))
                    for i, o in enumerate(["fro", "nuc", 2, -2, 1, -1, float("inf"), float("-inf")])]
           + [Sample((arr(2, 3, 4), 1), {"dim": (0, 2), "keepdim": True})]),
    OpInfo("linalg.norm", lambda lib, a, *o, **k: _la(lib).norm(a, *o, **k),
           lambda: [Sample((arr(3, 4),)), Sample((arr(3, 4), "nuc")), Sample((arr(4,), 3)),
                    Sample((arr(2, 3, 4),), {"dim": (1, 2)}), Sample((arr(2, 3),), {"dim": 1})]),
    OpInfo("linalg.vector_norm", lambda lib, a: _la(lib).vector_norm(a, 3, -1), _one((2, 3))),
    OpInfo("linalg.matrix_power", lambda lib, a, n: _la(lib).matrix_power(_wc(lib, a, 2.0), n),
           lambda: [Sample((arr(3, 3), n), name=str(n)) for n in (3, 1, 0, -2)]
           + [Sample((arr(2, 2, 2), 5))]),
    OpInfo("matrix_power", lambda lib, a: _top(lib).matrix_power(a, 2), _one((3, 3))),
    OpInfo("linalg.lstsq", lambda lib, a, b: _la(lib).lstsq(a, b).solution,
           _two(((4, 3), (4, 2)), ((2, 4, 3), (2, 4, 1))), rtol=1e-4, atol=1e-5),
    OpInfo("linalg.cross", lambda lib, a, b: _la(lib).cross(a, b), _two(((3,), (3,)), ((2, 3), (1, 3)))),
    OpInfo("cross", lambda lib, a, b: _top(lib).cross(a, b, dim=0), _two(((3, 2), (3, 2)))),
    OpInfo("linalg.multi_dot", lambda lib, a, b: _la(lib).multi_dot([a, b.mT, a]),
           _two(((2, 3), (2, 3)))),
    OpInfo("linalg.vecdot", lambda lib, a, b: _la(lib).vecdot(a, b), _two(((2, 3), (3,)))),
    OpInfo("linalg.tensorinv", lambda lib, a: _la(lib).tensorinv(_wc(lib, a).reshape(2, 2, 4), 2),
           _one((4, 4))),
    OpInfo("linalg.solve_triangular",
           lambda lib, a, b: _la(lib).solve_triangular(_wc(lib, a), b, upper=True),
           _two(((3, 3), (3, 2)))),
    OpInfo("linalg.diagonal", lambda lib, a: _la(lib).diagonal(a, offset=1), _one((2, 3, 3))),
    OpInfo("trace", lambda lib, a: _top(lib).trace(a), _one((3, 4))),
    OpInfo("diag", lambda lib, a, k: _top(lib).diag(a, k),
           lambda: [Sample((arr(3), 0)), Sample((arr(3), -1)), Sample((arr(3, 4), 1))]),
    OpInfo("diag_embed", lambda lib, a, *k: _top(lib).diag_embed(a, *k),
           lambda: [Sample((arr(2, 3),)), Sample((arr(2, 3), 1, 0, 2)), Sample((arr(3,), -1))]),
    OpInfo("tensordot", lambda lib, a, b, d: _top(lib).tensordot(a, b, d),
           lambda: [Sample((arr(2, 3, 4), arr(3, 4, 2, seed=1), 2)),
                    Sample((arr(2, 3, 4), arr(4, 3, seed=1), ([1, 2], [1, 0])))]),
    OpInfo("kron", lambda lib, a, b: _top(lib).kron(a, b), _two(((2, 3), (2, 2)), ((2,), (3, 2)))),
    # torch's cdist backward has no derivative of its own (no double backward, no forward mode), so
    # the reference is the distance written out in torch; test_linalg.py compares with torch.cdist
    OpInfo("cdist", lambda lib, a, b, p: _top(lib).cdist(a, b, p) if lib.__name__ != "torch" else
           lib.linalg.vector_norm(a.unsqueeze(-2) - b.unsqueeze(-3), p, -1),
           lambda: [Sample((arr(3, 2), arr(4, 2, seed=1), 2.0)), Sample((arr(2, 3, 2), arr(2, 2, 2, seed=1), 1.0)),
                    Sample((arr(3, 2), arr(2, 2, seed=1), 3.0))], rtol=1e-4, atol=1e-5),
    OpInfo("addmv", lambda lib, i, m, v: _top(lib).addmv(i, m, v, beta=0.5, alpha=2),
           lambda: [Sample((arr(2), arr(2, 3, seed=1), arr(3, seed=2)))]),
    OpInfo("addbmm", lambda lib, i, b1, b2: _top(lib).addbmm(i, b1, b2, beta=0.5, alpha=2),
           lambda: [Sample((arr(2, 4), arr(3, 2, 3, seed=1), arr(3, 3, 4, seed=2)))]),
    OpInfo("chain_matmul", _quiet(lambda lib, a, b: _top(lib).chain_matmul(a, b, a)),
           _two(((2, 2), (2, 2)))),
    OpInfo("meshgrid", lambda lib, a, b, ix: _top(lib).meshgrid(a, b, indexing=ix),
           lambda: [Sample((arr(2), arr(3, seed=1), "ij")), Sample((arr(2), arr(3, seed=1), "xy"))]),
    OpInfo("cartesian_prod", lambda lib, a, b: _top(lib).cartesian_prod(a, b), _two(((2,), (3,)))),
    OpInfo("block_diag", lambda lib, a, b, c: _top(lib).block_diag(a, b, c),
           lambda: [Sample((arr(2, 3), np.asarray(arr(1)[0]), arr(2, seed=2)))]),
]
