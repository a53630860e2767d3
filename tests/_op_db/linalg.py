"""op_db entries for ember/ops/linalg.py."""
from tests.op_db import OpInfo, Sample, arr


def _pairs(*shape_pairs):
    def make():
        return [Sample((arr(*a, seed=i), arr(*b, seed=i + 50)), name=f"{a}@{b}")
                for i, (a, b) in enumerate(shape_pairs)]
    return make


OPS = [
    OpInfo("matmul", lambda lib, x, y: lib.matmul(x, y),
           _pairs(((3,), (3,)), ((2, 3), (3, 4)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 2, 3), (2, 3, 4)),
                  ((2, 2, 3), (3, 4)), ((2, 3), (2, 3, 4)), ((2, 2, 3), (3,)), ((3,), (2, 3, 2)),
                  ((2, 1, 2, 3), (3, 3, 2)))),
    OpInfo("matmul_op", lambda lib, x, y: x @ y, _pairs(((2, 3), (3, 4)), ((2, 2, 3), (1, 3, 2)))),
    OpInfo("mm", lambda lib, x, y: lib.mm(x, y), _pairs(((2, 3), (3, 4)), ((1, 4), (4, 1)))),
    OpInfo("mv", lambda lib, x, y: lib.mv(x, y), _pairs(((2, 3), (3,)))),
    OpInfo("dot", lambda lib, x, y: lib.dot(x, y), _pairs(((4,), (4,)))),
    OpInfo("vdot", lambda lib, x, y: lib.vdot(x, y), _pairs(((4,), (4,)))),
    OpInfo("bmm", lambda lib, x, y: lib.bmm(x, y), _pairs(((2, 2, 3), (2, 3, 4)))),
    OpInfo("outer", lambda lib, x, y: lib.outer(x, y), _pairs(((3,), (4,)))),
    OpInfo("inner", lambda lib, x, y: lib.inner(x, y), _pairs(((3,), (3,)), ((2, 3), (4, 3)))),
    OpInfo("addmm", lambda lib, x, y: lib.addmm(x[0], x, y, beta=0.5, alpha=2), _pairs(((3, 3), (3, 3)))),
    OpInfo("baddbmm", lambda lib, x, y: lib.baddbmm(x, x, y, beta=0.5, alpha=2),
           _pairs(((2, 3, 3), (2, 3, 3)))),
    OpInfo("einsum", lambda lib, ops, eq: lib.einsum(eq, ops),
           lambda: [Sample(([arr(2, 3), arr(3, 4, seed=1)], "ij,jk->ik")),
                    Sample(([arr(3, 3)], "ii->i")),
                    Sample(([arr(2, 3)], "ij->")),
                    Sample(([arr(2, 3), arr(4, 3, 2, seed=1), arr(2, 2, seed=2)], "bn,anm,bm->ba")),
                    Sample(([arr(2, 2, 3), arr(3, seed=1)], "...j,j")),
                    Sample(([arr(2, 1), arr(3, seed=1)], "ij,j->i")),
                    Sample(([arr(3, 3, 2)], "iij->ji"))]),
]
