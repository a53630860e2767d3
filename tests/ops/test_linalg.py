"""matmul / mm / mv / dot / bmm / outer / inner / einsum / addmm against torch: values, grads, grad_fn
names and error messages (the shared op_db suite covers the rest, see tests/_op_db/linalg.py)."""
from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _both(fn, *arrays, dtype="float32", grad=True):
    """Run fn(lib, *tensors) under torch and ember; returns [(out, grads, grad_fn name)] for each."""
    res = []
    for lib in (torch, ember):
        ts = [lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=grad) for a in arrays]
        out = fn(lib, *ts)
        grads = None
        if grad:
            w = lib.tensor(np.cos(np.arange(out.numel())).reshape(tuple(out.shape)), dtype=out.dtype)
            grads = lib.autograd.grad((out * w).sum(), ts, allow_unused=True)
        name = out.grad_fn.name() if out.grad_fn is not None else None
        res.append((out, grads, name))
    return res


def _close(e, t, tol=1e-5):
    assert tuple(e.shape) == tuple(t.shape)
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)


def _check(fn, *arrays, name=True, dtype="float32"):
    (t, tg, tn), (e, eg, en) = _both(fn, *arrays, dtype=dtype)
    _close(e, t)
    for a, b in zip(eg, tg):
        if b is None:
            assert a is None or not np.any(a.numpy())
        else:
            _close(a, b, 1e-4)
    if name:
        assert en == tn


# ----------------------------------------------------------------------- the seed documents
def test_dot_seed():
    x = ember.arange(4.0, requires_grad=True)
    y = ember.dot(x, x)
    y.backward()
    tx = torch.arange(4.0, requires_grad=True)
    ty = torch.dot(tx, tx)
    ty.backward()
    assert y.item() == ty.item() == 14.0
    assert y.grad_fn.name() == "DotBackward0"
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


def test_mv_mm_seed():
    A = np.arange(20.0).reshape(5, 4)
    x = np.arange(4.0)
    B = np.ones((4, 3))
    _check(lambda lib, A, x: lib.mv(A, x), A, x)
    _check(lambda lib, A, B: lib.mm(A, B), A, B)
    assert repr(ember.mv(ember.tensor(A), ember.tensor(x))) == repr(torch.mv(torch.tensor(A), torch.tensor(x)))\
        .replace("torch", "ember")


def test_matmul_autograd_grad_seed():
    rng = np.random.default_rng(0)
    X, w = rng.normal(size=(10, 2)), rng.normal(size=(2, 1))
    out = []
    for lib in (torch, ember):
        Xt = lib.tensor(X, dtype=lib.float32)
        wt = lib.tensor(w, dtype=lib.float32, requires_grad=True)
        y = Xt @ wt
        loss = ((y - 1) ** 2).sum()
        (g,) = lib.autograd.grad(loss, [wt])
        out.append((y, g))
    _close(out[1][0], out[0][0])
    _close(out[1][1], out[0][1], 1e-4)


# ----------------------------------------------------------------------- matmul, every case
MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3, 4)), ((2, 3), (3,)), ((3,), (3, 4)), ((5, 2, 3), (5, 3, 4)),
                 ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 2, 3), (3,)), ((3,), (5, 3, 4)),
                 ((2, 1, 2, 3), (5, 3, 4)), ((1, 2, 3), (5, 3, 4)), ((2, 5, 2, 3), (2, 5, 3, 4)),
                 ((5, 2, 3), (1, 3, 4)), ((4, 5, 2, 3), (3,)), ((3,), (4, 5, 3, 2)), ((0, 3), (3, 2)),
                 ((2, 0), (0, 2)), ((4, 1, 2, 3), (5, 3, 1)), ((3,), (2, 5, 3, 4))]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matmul_matches_torch(shapes, dtype):
    rng = np.random.default_rng(1)
    a, b = (rng.normal(size=s) for s in shapes)
    _check(lambda lib, x, y: x @ y, a, b, dtype=dtype)
    _check(lambda lib, x, y: lib.matmul(x, y), a, b, dtype=dtype)


@pytest.mark.parametrize("shapes", [((3,), (3,)), ((2, 3), (3, 4)), ((2, 3), (3,)), ((3,), (3, 4)),
                                    ((5, 2, 3), (5, 3, 4)), ((2, 3), (5, 3, 4)), ((3,), (2, 5, 3, 4))],
                         ids=str)
def test_matmul_double_backward(shapes):
    rng = np.random.default_rng(2)
    a, b = (rng.normal(size=s) for s in shapes)
    res = []
    for lib in (torch, ember):
        x, y = (lib.tensor(v, requires_grad=True) for v in (a, b))
        gx, gy = lib.autograd.grad((x @ y).sin().sum(), [x, y], create_graph=True)
        res.append(lib.autograd.grad((gx ** 2).sum() + (gy ** 3).sum(), [x, y]))
    for e, t in zip(res[1], res[0]):
        _close(e, t, 1e-6)


def test_methods_and_ops():
    rng = np.random.default_rng(3)
    a, b, v = rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), rng.normal(size=3)
    _check(lambda lib, x, y: x.matmul(y), a, b)
    _check(lambda lib, x, y: x.mm(y), a, b)
    _check(lambda lib, x, y: x.mv(y), a, v)
    _check(lambda lib, x, y: y.__rmatmul__(x), a, b)
    _check(lambda lib, x, y: x[0].dot(y), a, v)
    _check(lambda lib, x, y: x.outer(y), v, v[:2])
    _check(lambda lib, x, y: lib.vdot(x, y), v, v)
    _check(lambda lib, x, y: lib.outer(x, y), v, v[:2])
    _check(lambda lib, x, y: lib.ger(x, y), v, v[:2])
    assert not hasattr(ember.ones(2), "einsum")


def test_bmm_and_integer_and_float32():
    rng = np.random.default_rng(4)
    _check(lambda lib, x, y: lib.bmm(x, y), rng.normal(size=(5, 2, 3)), rng.normal(size=(5, 3, 4)))
    for f in (lambda lib, x, y: x @ y, lambda lib, x, y: lib.mm(x, y)):
        a = np.arange(6).reshape(2, 3)
        t = f(torch, torch.tensor(a), torch.tensor(a.T))
        e = f(ember, ember.tensor(a), ember.tensor(a.T))
        assert e.dtype == ember.int64 and e.tolist() == t.tolist()
    x = ember.ones(3, 3, dtype=ember.float32)
    assert (x @ x).dtype == ember.float32 and ember.dot(x[0], x[0]).dtype == ember.float32
    assert (ember.ones(2, 2, dtype=ember.float16) @ ember.ones(2, 2, dtype=ember.float16)).dtype \
        == ember.float16


def test_addmm_baddbmm():
    rng = np.random.default_rng(5)
    i, a, b = rng.normal(size=(2, 4)), rng.normal(size=(2, 3)), rng.normal(size=(3, 4))
    _check(lambda lib, i, a, b: lib.addmm(i, a, b), i, a, b)
    _check(lambda lib, i, a, b: lib.addmm(i, a, b, beta=0.5, alpha=2), i[0], a, b)
    i3, a3, b3 = rng.normal(size=(5, 2, 4)), rng.normal(size=(5, 2, 3)), rng.normal(size=(5, 3, 4))
    _check(lambda lib, i, a, b: lib.baddbmm(i, a, b, beta=0.5, alpha=2), i3, a3, b3)
    _check(lambda lib, i, a, b: i.addmm(a, b), i, a, b)


# ----------------------------------------------------------------------- einsum
EINSUMS = [("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("i,j->ij", [(2,), (3,)]),
           ("i,i->", [(3,), (3,)]), ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("ij->ji", [(2, 3)]),
           ("ij->", [(2, 3)]), ("ij->i", [(2, 3)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
           ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]), ("...ij->...ji", [(4, 2, 3)]),
           ("i...->...", [(4, 2, 3)]), ("...j,j", [(4, 2, 3), (3,)]), ("ij,ij->ij", [(2, 3), (2, 3)]),
           (" i j , j -> i ", [(2, 3), (3,)]), ("ij,j->i", [(2, 1), (3,)]), ("ba", [(2, 3)]),
           ("...j,...j->...", [(2, 3), (5, 1, 3)]), ("iij->ji", [(3, 3, 2)]), ("ij,jk->ki", [(2, 3), (3, 4)]),
           ("ij,kl->ijkl", [(2, 2), (2, 2)])]


@pytest.mark.parametrize("eq,shapes", EINSUMS, ids=[e for e, _ in EINSUMS])
def test_einsum_matches_torch(eq, shapes):
    rng = np.random.default_rng(6)
    arrays = [rng.normal(size=s) for s in shapes]
    _check(lambda lib, *ops: lib.einsum(eq, *ops), *arrays)
    _check(lambda lib, *ops: lib.einsum(eq, list(ops)), *arrays, dtype="float64")


@pytest.mark.parametrize("eq,shapes", [("ij,jk->ik", [(2, 3), (3, 4)]), ("ii->i", [(3, 3)]),
                                       ("ij->", [(2, 3)]), ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)])])
def test_einsum_double_backward(eq, shapes):
    rng = np.random.default_rng(7)
    arrays = [rng.normal(size=s) for s in shapes]
    res = []
    for lib in (torch, ember):
        ts = [lib.tensor(a, requires_grad=True) for a in arrays]
        gs = lib.autograd.grad(lib.einsum(eq, *ts).sin().sum(), ts, create_graph=True)
        res.append(lib.autograd.grad(sum((g ** 2).sum() for g in gs), ts, allow_unused=True))
    for e, t in zip(res[1], res[0]):
        if t is None:
            assert e is None or not np.any(e.numpy())
        else:
            _close(e, t, 1e-6)


def test_einsum_int():
    a = np.arange(6).reshape(2, 3)
    assert ember.einsum("ij,kj->ik", ember.tensor(a), ember.tensor(a)).tolist() == \
        torch.einsum("ij,kj->ik", torch.tensor(a), torch.tensor(a)).tolist()


# ----------------------------------------------------------------------- errors, in torch's words
def _f(lib, *shape, dtype="float32"):
    return lib.ones(*shape, dtype=getattr(lib, dtype))


ERRORS = [
    lambda lib: lib.mm(_f(lib, 2, 3), _f(lib, 2, 3)),
    lambda lib: _f(lib, 2, 3) @ _f(lib, 2, 3),
    lambda lib: _f(lib, 2, 3) @ _f(lib, 2, 3, dtype="float64"),
    lambda lib: lib.mm(_f(lib, 2, 3), _f(lib, 3, 3, dtype="float64")),
    lambda lib: lib.mm(_f(lib, 2, 3, dtype="float64"), _f(lib, 3, 3)),
    lambda lib: lib.mm(_f(lib, 3), _f(lib, 3, 2)),
    lambda lib: lib.mm(_f(lib, 2, 3), _f(lib, 3)),
    lambda lib: lib.mv(_f(lib, 2, 3), _f(lib, 3, dtype="float64")),
    lambda lib: lib.mv(_f(lib, 2, 3, dtype="float64"), _f(lib, 3)),
    lambda lib: lib.mv(_f(lib, 2, 3), _f(lib, 4)),
    lambda lib: lib.mv(_f(lib, 2, 3), _f(lib, 2, 3)),
    lambda lib: _f(lib, 2, 3) @ _f(lib, 4),
    lambda lib: _f(lib, 3) @ _f(lib, 4, 2),
    lambda lib: _f(lib, 3) @ _f(lib, 3, 2, dtype="float64"),
    lambda lib: lib.bmm(_f(lib, 2, 2, 3), _f(lib, 2, 3, 3, dtype="float64")),
    lambda lib: lib.bmm(_f(lib, 2, 2, 3), _f(lib, 2, 4, 3)),
    lambda lib: lib.bmm(_f(lib, 2, 2, 3), _f(lib, 3, 3, 3)),
    lambda lib: lib.bmm(_f(lib, 2, 3), _f(lib, 3, 3)),
    lambda lib: lib.bmm(_f(lib, 2, 2, 3), _f(lib, 3, 3)),
    lambda lib: lib.dot(_f(lib, 3), _f(lib, 3, dtype="float64")),
    lambda lib: lib.dot(_f(lib, 3), _f(lib, 4)),
    lambda lib: lib.dot(_f(lib, 3, 1), _f(lib, 3)),
    lambda lib: _f(lib, 3) @ _f(lib, 4),
    lambda lib: _f(lib, 3) @ _f(lib, 3, dtype="float64"),
    lambda lib: lib.tensor(2.0) @ _f(lib, 3),
    lambda lib: _f(lib, 3) @ lib.tensor(2.0),
    lambda lib: _f(lib, 5, 2, 3) @ _f(lib, 5, 4, 2),
    lambda lib: _f(lib, 5, 2, 3) @ _f(lib, 4, 3, 2),
    lambda lib: _f(lib, 5, 2, 3) @ _f(lib, 4),
    lambda lib: _f(lib, 4) @ _f(lib, 5, 2, 3),
    lambda lib: _f(lib, 5, 2, 3) @ _f(lib, 5, 3, 2, dtype="float64"),
    lambda lib: _f(lib, 5, 2, 3) @ _f(lib, 3, 2, dtype="float64"),
    lambda lib: lib.outer(_f(lib, 3, 1), _f(lib, 3)),
    lambda lib: lib.outer(_f(lib, 3), _f(lib, 3, 1)),
    lambda lib: lib.arange(3) @ _f(lib, 3),
    lambda lib: lib.arange(6).reshape(2, 3).float() @ lib.arange(6).reshape(3, 2),
    lambda lib: _f(lib, 2, 3, dtype="bool") @ _f(lib, 3, 2, dtype="bool"),
    lambda lib: _f(lib, 3) @ 2,
    lambda lib: 2 @ _f(lib, 3),
    lambda lib: lib.einsum("ij,jk->ik", _f(lib, 2, 3), _f(lib, 4, 2)),
    lambda lib: lib.einsum("ij,jk", _f(lib, 2, 3)),
    lambda lib: lib.einsum("ij", _f(lib, 2, 3), _f(lib, 3)),
    lambda lib: lib.einsum("ij,jk->ik", _f(lib, 2, 3), _f(lib, 3, 2, dtype="float64")),
    lambda lib: lib.einsum("ij->ik", _f(lib, 2, 3)),
    lambda lib: lib.einsum("ijk->ij", _f(lib, 2, 3)),
    lambda lib: lib.einsum("ij->iij", _f(lib, 2, 3)),
    lambda lib: lib.einsum("i1", _f(lib, 2, 3)),
    lambda lib: lib.einsum("...j,...j->...", _f(lib, 2, 3), _f(lib, 5, 4, 3)),
    lambda lib: lib.inner(_f(lib, 2, 3), _f(lib, 4, 2)),
    lambda lib: lib.addmm(_f(lib, 2, 4), _f(lib, 2, 3), _f(lib, 3, 4, dtype="float64")),
    lambda lib: lib.addmm(_f(lib, 3), _f(lib, 2, 3), _f(lib, 3, 4)),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_match_torch(i):
    with pytest.raises(Exception) as t:
        ERRORS[i](torch)
    with pytest.raises(Exception) as e:
        ERRORS[i](ember)
    assert type(e.value) is type(t.value)
    assert str(e.value) == str(t.value)
