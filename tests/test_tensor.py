"""Tensor attributes and conversions, against torch where torch decides."""
from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def test_attributes():
    x = ember.arange(12, dtype=ember.float32).reshape(3, 4)
    assert x.shape == (3, 4) and x.size() == (3, 4) and x.size(1) == 4 and x.size(-1) == 4
    assert x.dim() == 2 and x.ndim == 2 and x.numel() == 12 and len(x) == 3
    assert x.dtype is ember.float32 and str(x.device) == "cpu" and x.device == ember.device("cpu")
    assert x.is_contiguous() and x.element_size() == 4 and x.is_floating_point()
    assert x.T.shape == (4, 3) and not x.T.is_contiguous()
    assert x.T.contiguous().is_contiguous()
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.size(2)


def test_scalar_conversions():
    a = ember.tensor([3.5])
    assert (a.item(), float(a), int(a)) == (3.5, 3.5, 3)
    assert ember.tensor([2]).item() == 2 and isinstance(ember.tensor([2]).item(), int)
    assert ember.tensor(True).item() is True
    assert f"{ember.tensor(2.5):.2f}" == "2.50"
    with pytest.raises(RuntimeError, match="a Tensor with 4 elements cannot be converted to Scalar"):
        ember.ones(4).item()
    with pytest.raises(ValueError, match="only one element tensors can be converted to Python scalars"):
        float(ember.ones(2))
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
        bool(ember.ones(2))
    assert bool(ember.tensor([1.0])) is True


def test_tolist_and_iteration():
    x = ember.tensor([[1, 2], [3, 4]])
    assert x.tolist() == [[1, 2], [3, 4]]
    assert [r.tolist() for r in x] == [[1, 2], [3, 4]]
    assert ember.full((2, 3), 7.0).tolist() == [[7.0] * 3] * 2
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(ember.tensor(1.0))
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(ember.tensor(1.0))


def test_casts_and_to():
    x = ember.tensor([1.7, -2.2])
    assert x.long().tolist() == torch.tensor([1.7, -2.2]).long().tolist()
    assert x.int().dtype is ember.int32 and x.double().dtype is ember.float64
    assert x.half().dtype is ember.float16 and x.bool().dtype is ember.bool
    assert x.to(ember.float64).dtype is ember.float64 and x.to("cpu") is x
    assert x.to(ember.float32) is x and x.to(ember.float32, copy=True) is not x
    assert x.type() == "ember.FloatTensor" and x.type(ember.int64).dtype is ember.int64
    assert x.to(ember.ones(1, dtype=ember.float64)).dtype is ember.float64


def test_cuda_refused_without_gpu():
    with pytest.raises((AssertionError, RuntimeError)):
        ember.ones(2, device="cuda")
    with pytest.raises((AssertionError, RuntimeError)):
        ember.ones(2).to("cuda")


def test_numpy_array_protocol():
    x = ember.tensor([1.0, 2.0])
    assert np.asarray(x).dtype == np.float32
    r = np.array([1.0, 2.0]) * x
    assert isinstance(r, ember.Tensor)


def test_data_get_and_set():
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    d = w.data
    assert not d.requires_grad
    d[0] = 5
    assert w[0].item() == 5
    w.data = w.data - 0.1 * ember.ones(2)
    assert w.requires_grad and w.is_leaf
    np.testing.assert_allclose(w.detach().numpy(), [4.9, 1.9], rtol=1e-6)


def test_memory_identity_semantics():
    X = ember.arange(12, dtype=ember.float32).reshape(3, 4)
    Y = ember.ones(3, 4)
    before = id(Y)
    Y = Y + X
    assert id(Y) != before
    before = id(X)
    X += Y
    assert id(X) == before
    before, ptr = id(X), X.data_ptr()
    X[:] = X + Y
    assert id(X) == before and X.data_ptr() == ptr


def test_inplace_dtype_errors_match_torch():
    a = ember.ones(2, dtype=ember.int64)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        a += 1.5
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        ember.ones(2).add_(ember.ones(2, 2))


def test_broadcast_error_matches_torch():
    with pytest.raises(RuntimeError,
                       match=r"The size of tensor a \(3\) must match the size of tensor b \(4\) at "
                             r"non-singleton dimension 0"):
        ember.ones(3) + ember.ones(4)
