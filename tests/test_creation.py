"""Creation functions against torch: values, dtypes, shapes, memory sharing, errors."""
from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _same(e, t):
    assert tuple(e.shape) == tuple(t.shape)
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    np.testing.assert_array_equal(e.numpy(), t.numpy())


@pytest.mark.parametrize("call", [
    "arange(12)", "arange(4.0)", "arange(1, 10, 3)", "arange(0, 1, 0.1)", "arange(-3, 3, 0.7)",
    "arange(5, dtype={lib}.float64)", "arange(10, 0, -1.5)",
    "linspace(-1, 1, 6)", "linspace(0, 1, 11)", "linspace(-5, 5, 100)", "linspace(0, 10, 1)",
    "linspace(3, 7, 0)", "linspace(0, 1, 7, dtype={lib}.float64)", "logspace(0, 2, 5)",
    "zeros(2, 3, 4)", "zeros((2, 3))", "ones(4)", "ones([2, 2], dtype={lib}.int32)",
    "full((2, 3), 7.)", "full([2, 3], 7)", "full((2,), True)", "eye(3)", "eye(2, 4)",
    "empty(0, 3).shape and {lib}.zeros(0, 3)", "zeros(())", "tensor(3.5)", "tensor([])",
    "tensor([[1, 2], [3, 4]], dtype={lib}.float16)", "tensor(True)", "tensor([1.5, 2], dtype={lib}.int64)",
    "zeros_like({lib}.ones(2, 3, dtype={lib}.int8))", "ones_like({lib}.ones(2))",
    "full_like({lib}.ones(2, dtype={lib}.int64), 3.7)", "Tensor([1, 2, 3])",
    "FloatTensor([1, 2])", "LongTensor([1, 2])", "Tensor(2, 3).zero_()",
])
def test_creation_matches_torch(call):
    _same(eval("ember." + call.format(lib="ember")), eval("torch." + call.format(lib="torch")))


def test_from_numpy_shares_memory_and_as_tensor():
    a = np.arange(4, dtype=np.float64)
    t = ember.from_numpy(a)
    a[0] = 9
    assert t[0].item() == 9 and t.dtype is ember.float64
    t2 = ember.as_tensor(a)
    t2[1] = 7
    assert a[1] == 7
    b = ember.tensor(a)
    b[2] = -1
    assert a[2] == 2  # tensor() copies
    with pytest.raises(TypeError, match=r"expected np.ndarray \(got list\)"):
        ember.from_numpy([1, 2])


def test_numpy_shares_memory():
    t = ember.ones(3)
    a = t.numpy()
    a[0] = 5
    assert t[0].item() == 5
    t.add_(1)
    assert a[1] == 2


def test_ragged_and_bad_data_errors():
    with pytest.raises(ValueError, match="expected sequence of length 2 at dim 1 \\(got 1\\)"):
        ember.tensor([[1, 2], [3]])
    with pytest.raises(TypeError):
        ember.tensor("abc")
    with pytest.raises(RuntimeError, match="negative dimension"):
        ember.zeros(-1)


def test_requires_grad_creation():
    x = ember.arange(4.0, requires_grad=True)
    assert x.requires_grad and x.is_leaf
    with pytest.raises(RuntimeError, match="floating point"):
        ember.arange(4, requires_grad=True)


def test_size_object():
    s = ember.zeros(2, 3).shape
    assert s == (2, 3) and isinstance(s, tuple) and repr(s) == "ember.Size([2, 3])"
    assert s.numel() == 6 and s[1:] == (3,) and repr(s[1:]) == "ember.Size([3])"


def test_tensor_from_tensor_warns_and_copies():
    a = ember.ones(2)
    with pytest.warns(UserWarning, match="To copy construct from a tensor"):
        b = ember.tensor(a)
    b[0] = 3
    assert a[0].item() == 1
