"""nn.utils against torch: gradient clipping and parameter vectors."""
import math

import numpy as np
import pytest

import ember
from ember.nn import utils as eutils

torch = pytest.importorskip("torch")
tutils = torch.nn.utils


def _params(lib, dtype=np.float32, scale=1.0, seed=0):
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (4,), (2, 2, 2)]
    out = []
    for s in shapes:
        p = lib.nn.Parameter(lib.tensor(rng.standard_normal(s).astype(dtype)))
        p.grad = lib.tensor((scale * rng.standard_normal(s)).astype(dtype))
        out.append(p)
    return out


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.0, math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e4])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clip_grad_norm(norm_type, max_norm, dtype):
    pe, pt = _params(ember, dtype), _params(torch, dtype)
    ne = eutils.clip_grad_norm_(pe, max_norm, norm_type=norm_type)
    nt = tutils.clip_grad_norm_(pt, max_norm, norm_type=norm_type)
    assert isinstance(ne, ember.Tensor) and ne.dim() == 0 and str(ne.dtype)[6:] == str(nt.dtype)[6:]
    tol = 1e-6 if dtype is np.float32 else 1e-12
    np.testing.assert_allclose(ne.numpy(), nt.numpy(), rtol=tol)
    for a, b in zip(pe, pt):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=tol, atol=tol)
        assert a.grad.dtype.is_floating_point


def test_clip_grad_norm_single_tensor_and_no_grads():
    pe, pt = _params(ember)[0], _params(torch)[0]
    ne, nt = eutils.clip_grad_norm_(pe, 0.1), tutils.clip_grad_norm_(pt, 0.1)
    np.testing.assert_allclose(ne.numpy(), nt.numpy(), rtol=1e-6)
    np.testing.assert_allclose(pe.grad.numpy(), pt.grad.numpy(), rtol=1e-6)
    empty = eutils.clip_grad_norm_([ember.nn.Parameter(ember.ones(2))], 1.0)
    assert empty.item() == 0.0 and empty.dtype is ember.float32
    # a generator is consumed once but both the norm and the clipping see every gradient
    pe = _params(ember)
    ne = eutils.clip_grad_norm_((p for p in pe), 0.1)
    total = np.sqrt(sum((p.grad.numpy().astype(np.float64) ** 2).sum() for p in pe))
    assert total == pytest.approx(0.1, rel=1e-4) and ne.item() > 1.0


def test_clip_grad_norm_nonfinite():
    pe = _params(ember)
    pe[0].grad[0, 0] = float("inf")
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is non"):
        eutils.clip_grad_norm_(pe, 1.0, error_if_nonfinite=True)
    pt = _params(torch)
    pt[0].grad[0, 0] = float("inf")
    ne, nt = eutils.clip_grad_norm_(pe, 1.0), tutils.clip_grad_norm_(pt, 1.0)
    assert ne.item() == nt.item() == math.inf
    np.testing.assert_array_equal(np.isnan(pe[1].grad.numpy()), np.isnan(pt[1].grad.numpy()))


def test_get_total_norm_and_clip_with_norm():
    pe, pt = _params(ember, scale=3.0), _params(torch, scale=3.0)
    ne = eutils.get_total_norm([p.grad for p in pe], 2.0)
    nt = tutils.get_total_norm([p.grad for p in pt], 2.0)
    np.testing.assert_allclose(ne.numpy(), nt.numpy(), rtol=1e-6)
    eutils.clip_grads_with_norm_(pe, 1.0, ne)
    tutils.clip_grads_with_norm_(pt, 1.0, nt)
    for a, b in zip(pe, pt):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-6)


@pytest.mark.parametrize("clip", [0.3, 2])
def test_clip_grad_value(clip):
    pe, pt = _params(ember), _params(torch)
    assert eutils.clip_grad_value_(pe, clip) is None
    tutils.clip_grad_value_(pt, clip)
    for a, b in zip(pe, pt):
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())
    single = _params(ember)[0]
    eutils.clip_grad_value_(single, 0.1)
    assert np.abs(single.grad.numpy()).max() <= 0.1


def test_parameters_vector_roundtrip():
    pe, pt = _params(ember), _params(torch)
    ve, vt = eutils.parameters_to_vector(pe), tutils.parameters_to_vector(pt)
    np.testing.assert_array_equal(ve.detach().numpy(), vt.detach().numpy())
    assert ve.requires_grad and ve.shape == (24,)
    ve.sum().backward()  # the vector is differentiable w.r.t. the parameters
    new = ember.arange(24, dtype=ember.float32)
    eutils.vector_to_parameters(new, pe)
    tutils.vector_to_parameters(torch.arange(24, dtype=torch.float32), pt)
    for a, b in zip(pe, pt):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
        assert a.requires_grad and isinstance(a, ember.nn.Parameter)
    new[0] = 100.0  # parameters now view the vector's memory, as in torch
    assert pe[0][0, 0].item() == 100.0
    with pytest.raises(TypeError, match="expected torch.Tensor, but got"):
        eutils.vector_to_parameters([1.0], pe)
