"""ember.linalg and the matrix functions: errors, warnings, result types, drivers and Tensor methods,
against torch. Values and gradients of every function are checked in tests/_op_db/linalg_ext.py."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
import ember.linalg as LA
from ember.ops import linalg_ext as LE

torch = pytest.importorskip("torch")

LE.bind(ember.Tensor)  # what ops/__init__.bind_methods does once the family is registered


def _top(name):
    return getattr(ember, name, None) or getattr(LE, name)


def _pair(a, dtype="float64"):
    return ember.tensor(a, dtype=getattr(ember, dtype)), torch.tensor(a, dtype=getattr(torch, dtype))


SINGULAR = np.array([[1.0, 2, 3], [2, 4, 6], [1, 1, 1]])


def _same_error(fe, ft, *args):
    with pytest.raises(Exception) as te:
        ft(*[torch.tensor(a) for a in args])
    with pytest.raises(Exception) as ee:
        fe(*[ember.tensor(a) for a in args])
    assert isinstance(ee.value, RuntimeError)
    assert str(ee.value) == str(te.value)
    return ee.value


def test_linalg_error_is_a_runtime_error():
    assert issubclass(LA.LinAlgError, RuntimeError)


def test_inv_singular_message_and_type():
    err = _same_error(LA.inv, torch.linalg.inv, SINGULAR)
    assert isinstance(err, LA.LinAlgError)
    batch = np.stack([np.eye(3), SINGULAR])
    err = _same_error(LA.inv, torch.linalg.inv, batch)
    assert "(Batch element 1)" in str(err)


def test_solve_and_cholesky_errors():
    _same_error(LA.solve, torch.linalg.solve, SINGULAR, np.ones(3))
    err = _same_error(LA.cholesky, torch.linalg.cholesky, SINGULAR)
    assert isinstance(err, LA.LinAlgError)
    _same_error(LA.cholesky, torch.linalg.cholesky, np.stack([np.eye(3), SINGULAR]))


@pytest.mark.parametrize("name,args", [
    ("inv", [np.ones((2, 3))]), ("inv", [np.ones(3)]), ("det", [np.ones((2, 3))]),
    ("eigh", [np.ones((2, 3))]), ("matrix_power", [np.ones((2, 3)), 2]),
    ("solve", [np.eye(3), np.ones(2)]), ("matrix_norm", [np.ones(3)]), ("multi_dot", [[np.eye(2)]]),
    ("cross", [np.ones(2), np.ones(2)]),
])
def test_shape_errors(name, args):
    def call(lib, mod):
        conv = [[lib.tensor(x) for x in a] if isinstance(a, list) else
                (lib.tensor(a) if isinstance(a, np.ndarray) else a) for a in args]
        return getattr(mod, name)(*conv)
    with pytest.raises(RuntimeError) as te:
        call(torch, torch.linalg)
    with pytest.raises(RuntimeError) as ee:
        call(ember, LA)
    assert str(ee.value) == str(te.value)


def test_integer_input_refused():
    with pytest.raises(RuntimeError, match="Expected a floating point or complex tensor as input. Got Long"):
        LA.inv(ember.ones(3, 3, dtype=ember.int64))


@pytest.mark.parametrize("ord", [2, "fro", "nuc", 3])
def test_norm_errors_match(ord):
    e, t = _pair(np.ones((2, 2, 2)))
    with pytest.raises(RuntimeError) as te:
        torch.linalg.norm(t, ord=ord) if ord != 3 else torch.linalg.matrix_norm(t, ord=3)
    with pytest.raises(RuntimeError) as ee:
        LA.norm(e, ord=ord) if ord != 3 else LA.matrix_norm(e, ord=3)
    assert str(ee.value) == str(te.value)


def test_top_level_functions_and_methods():
    a = np.random.default_rng(0).normal(size=(3, 3)) + 3 * np.eye(3)
    e, t = _pair(a)
    spd_e, spd_t = e @ e.mT, t @ t.mT
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        chol = (spd_e.cholesky(), spd_t.cholesky())
    pairs = [chol,
        (e.inverse(), t.inverse()), (e.det(), t.det()), (spd_e.logdet(), spd_t.logdet()),
        (e.pinverse(), t.pinverse()), (e.matrix_power(3), t.matrix_power(3)), (e.trace(), t.trace()),
        (e.diag(), t.diag()), (e.diag_embed(), t.diag_embed()), (e.slogdet()[1], t.slogdet()[1]),
        (e.cross(e, dim=1), t.cross(t, dim=1)),
    ]
    for x, y in pairs:
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-10, atol=1e-12)


def test_logdet_negative_is_nan():
    e, t = _pair(np.diag([-1.0, 2.0]))
    assert np.isnan(_top("logdet")(e).item()) and np.isnan(torch.logdet(t).item())


def test_old_svd_and_qr_shapes():
    a = np.random.default_rng(1).normal(size=(4, 3))
    e, t = _pair(a)
    for some in (True, False):
        ue, se, ve = _top("svd")(e, some=some)
        ut, st, vt = torch.svd(t, some=some)
        assert ue.shape == ut.shape and ve.shape == vt.shape
        np.testing.assert_allclose((ue[:, :3] * se) @ ve.mT, a, atol=1e-12)
    u0, s0, v0 = _top("svd")(e, compute_uv=False)
    assert v0.shape == (3, 3)
    ut, st, vt = torch.svd(t, compute_uv=False)
    assert u0.shape == ut.shape and not u0.numpy().any()
    np.testing.assert_allclose(s0.numpy(), st.numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q, r = _top("qr")(e, some=False)
        qt, rt = torch.qr(t, some=False)
    assert q.shape == qt.shape and r.shape == rt.shape
    np.testing.assert_allclose(np.abs(r.numpy()), np.abs(rt.numpy()), atol=1e-12)


def test_deprecation_warnings():
    e = ember.eye(2)
    for name, args, kw, phrase in [("chain_matmul", (e, e), {}, "torch.chain_matmul is deprecated"),
                                   ("meshgrid", (ember.ones(2), ember.ones(3)), {},
                                    "it will be required to pass the indexing argument"),
                                   ("cross", (ember.ones(3, 3), ember.ones(3, 3)), {},
                                    "Using torch.cross without specifying the dim arg is deprecated")]:
        LE._ONCE.discard(name)
        with pytest.warns(UserWarning, match=phrase):
            _top(name)(*args, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _top("meshgrid")(ember.ones(2), ember.ones(3), indexing="xy")


def test_qr_mode_r_and_complete_backward():
    a = np.random.default_rng(2).normal(size=(4, 3))
    e = ember.tensor(a, requires_grad=True)
    q, r = LA.qr(e, mode="r")
    assert q.numel() == 0 and r.shape == (3, 3)
    q, r = LA.qr(e, mode="complete")
    with pytest.raises(RuntimeError, match="not differentiable when mode='complete'"):
        q.sum().backward()


@pytest.mark.parametrize("driver", [None, "gelsy", "gelsd", "gelss", "gels"])
def test_lstsq_fields_match_torch(driver):
    g = np.random.default_rng(3)
    a, b = g.normal(size=(5, 3)), g.normal(size=(5, 2))
    re = LA.lstsq(ember.tensor(a), ember.tensor(b), driver=driver)
    rt = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver=driver)
    assert re._fields == rt._fields if hasattr(rt, "_fields") else True
    for x, y in zip(re, rt):
        assert tuple(x.shape) == tuple(y.shape), (driver, x.shape, y.shape)
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-8, atol=1e-10)


def test_matrix_rank_and_tolerances():
    a = np.array([[1.0, 2, 3], [2, 4, 6], [0, 1, 1]])
    for kw in ({}, {"atol": 1.0}, {"rtol": 0.5}):
        assert LA.matrix_rank(ember.tensor(a), **kw).item() == torch.linalg.matrix_rank(
            torch.tensor(a), **kw).item()
    assert LA.matrix_rank(ember.tensor(a)).dtype is ember.int64


def test_cdist_matches_torch_cdist():
    g = np.random.default_rng(4)
    x1, x2 = g.normal(size=(2, 5, 3)), g.normal(size=(2, 4, 3))
    for p in (0.5, 1.0, 2.0, 3.0, float("inf")):
        e1, t1 = _pair(x1)
        e2, t2 = _pair(x2)
        for t in (e1, e2, t1, t2):
            t.requires_grad_(True)
        de, dt = _top("cdist")(e1, e2, p), torch.cdist(t1, t2, p)
        np.testing.assert_allclose(de.detach().numpy(), dt.detach().numpy(), rtol=1e-10)
        de.sum().backward()
        dt.sum().backward()
        np.testing.assert_allclose(e1.grad.numpy(), t1.grad.numpy(), rtol=1e-8, atol=1e-10)


def test_cholesky_top_level_matches_torch():
    a = np.random.default_rng(5).normal(size=(3, 3))
    a = a @ a.T + np.eye(3)
    e, t = _pair(a)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(_top("cholesky")(e, upper=True).numpy(),
                                   torch.cholesky(t, upper=True).numpy(), rtol=1e-12)


def test_grad_fn_names():
    a = ember.tensor(np.eye(3) * 2 + 0.1, requires_grad=True)
    assert type(LA.inv(a).grad_fn).__name__ == "LinalgInvExBackward0"
    assert type(LA.det(a).grad_fn).__name__ == "LinalgDetBackward0"
    assert type(LA.svd(a).U.grad_fn).__name__ == "LinalgSvdBackward0"
    assert type(LA.eigh(a).eigenvalues.grad_fn).__name__ == "LinalgEighBackward0"
    assert type(_top("diag_embed")(a).grad_fn).__name__ == "DiagEmbedBackward0"


def test_block_diag_and_cartesian_prod():
    a, b = np.arange(6.0).reshape(2, 3), np.array([7.0, 8.0])
    e = _top("block_diag")(ember.tensor(a), ember.tensor(5.0), ember.tensor(b))
    t = torch.block_diag(torch.tensor(a), torch.tensor(5.0), torch.tensor(b))
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    x = ember.tensor([1, 2])
    assert _top("cartesian_prod")(x) is x
    np.testing.assert_array_equal(_top("cartesian_prod")(x, ember.tensor([3, 4, 5])).numpy(),
                                  torch.cartesian_prod(torch.tensor([1, 2]), torch.tensor([3, 4, 5])).numpy())


def test_float32_results_stay_float32():
    a = ember.eye(3) * 2
    for out in (LA.inv(a), LA.det(a), LA.eigh(a)[0], LA.svd(a)[1], LA.qr(a)[0], LA.pinv(a),
                LA.matrix_norm(a, "nuc"), LA.solve(a, ember.ones(3))):
        assert out.dtype is ember.float32


def test_gradgrad_through_inverse_and_det():
    """Second derivatives of det (through inv's backward) against torch, float64."""
    a = np.random.default_rng(6).normal(size=(3, 3)) + 2 * np.eye(3)
    res = []
    for lib, la in ((ember, LA), (torch, torch.linalg)):
        x = lib.tensor(a, requires_grad=True)
        (g,) = lib.autograd.grad(la.det(x), x, create_graph=True)
        (h,) = lib.autograd.grad((g * g).sum(), x)
        res.append(h.numpy())
    np.testing.assert_allclose(res[0], res[1], rtol=1e-8)


def test_inplace_addmv_and_methods_only_where_torch_has_them():
    i, m, v = np.ones(2), np.arange(6.0).reshape(2, 3), np.array([1.0, -1.0, 2.0])
    e = ember.tensor(i)
    t = torch.tensor(i)
    e.addmv_(ember.tensor(m), ember.tensor(v), beta=0.5, alpha=2)
    t.addmv_(torch.tensor(m), torch.tensor(v), beta=0.5, alpha=2)
    np.testing.assert_allclose(e.numpy(), t.numpy())
    for name in ("meshgrid", "block_diag", "cdist", "tensordot"):
        assert not hasattr(ember.Tensor, name)


def test_out_argument():
    a = ember.eye(3) * 2
    o = ember.empty(3, 3)
    assert LA.inv(a, out=o) is o
    np.testing.assert_allclose(o.numpy(), np.eye(3) / 2)
    s, l = ember.empty(()), ember.empty(())
    r = LA.slogdet(a, out=(s, l))
    assert r.sign is s and abs(l.item() - 3 * np.log(2)) < 1e-6
