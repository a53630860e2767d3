"""The generated data sets: d2l's synthetic_data (same draws as torch) and the spiral."""
from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.datasets import make_spiral, synthetic_data
from ember.utils.data import DataLoader, TensorDataset

torch = pytest.importorskip("torch")


def book_synthetic_data(w, b, num_examples):
    """d2l 3.1's synthetic_data, run on torch."""
    X = torch.normal(0, 1, (num_examples, len(w)))
    y = torch.matmul(X, w) + b
    y += torch.normal(0, 0.01, y.shape)
    return X, y.reshape((-1, 1))


@pytest.mark.parametrize("seed", [0, 7])
def test_synthetic_data_matches_the_book_on_torch(seed):
    torch.manual_seed(seed)
    X_t, y_t = book_synthetic_data(torch.tensor([2, -3.4]), 4.2, 50)
    ember.manual_seed(seed)
    ds = synthetic_data(ember.tensor([2, -3.4]), 4.2, 50)
    assert isinstance(ds, TensorDataset) and len(ds) == 50
    X, y = ds.tensors
    assert X.shape == (50, 2) and y.shape == (50, 1) and X.dtype == ember.float32
    np.testing.assert_allclose(X.numpy(), X_t.numpy(), rtol=0, atol=0)
    np.testing.assert_allclose(y.numpy(), y_t.numpy(), rtol=1e-6, atol=1e-6)
    assert (y - (X @ ember.tensor([2, -3.4]) + 4.2).reshape(-1, 1)).abs().max() < 0.1


def test_synthetic_data_generator_and_noise():
    g1, g2 = ember.Generator().manual_seed(3), ember.Generator().manual_seed(3)
    a = synthetic_data([1.0, 2.0, 3.0], 0.5, 20, generator=g1)
    b = synthetic_data([1.0, 2.0, 3.0], 0.5, 20, generator=g2)
    assert ember.equal(a.tensors[0], b.tensors[0]) and ember.equal(a.tensors[1], b.tensors[1])
    exact = synthetic_data([1.0, -1.0], 2.0, 10, noise=0.0)
    X, y = exact.tensors
    np.testing.assert_allclose(y.numpy()[:, 0], X.numpy() @ [1.0, -1.0] + 2.0, rtol=1e-6, atol=1e-6)


def test_make_spiral_geometry():
    ds = make_spiral(50, 4, noise=0.0)
    X, y = ds.tensors
    assert X.shape == (200, 2) and X.dtype == ember.float32 and y.dtype == ember.int64
    np.testing.assert_array_equal(y.numpy(), np.repeat(np.arange(4), 50))
    r = np.linspace(0, 1, 50)
    x = X.numpy().reshape(4, 50, 2)
    # radius grows linearly along each arm; without noise the angle is 4k + 4r
    np.testing.assert_allclose(np.hypot(x[..., 0], x[..., 1]), np.broadcast_to(r, (4, 50)), atol=1e-6)
    theta = 4 * np.arange(4)[:, None] + 4 * r
    np.testing.assert_allclose(x[..., 0], r * np.sin(theta), atol=1e-5)
    np.testing.assert_allclose(x[..., 1], r * np.cos(theta), atol=1e-5)


def test_make_spiral_noise_and_generator():
    a = make_spiral(30, 3, 0.2, ember.Generator().manual_seed(1)).tensors[0]
    b = make_spiral(30, 3, 0.2, ember.Generator().manual_seed(1)).tensors[0]
    c = make_spiral(30, 3, 0.2, ember.Generator().manual_seed(2)).tensors[0]
    assert ember.equal(a, b) and not ember.equal(a, c)
    # noise moves only the angle: radii are unchanged
    np.testing.assert_allclose(a.norm(dim=1).numpy(), np.tile(np.linspace(0, 1, 30), 3), atol=1e-6)
    batches = list(DataLoader(make_spiral(10, 2, 0.1), batch_size=8, shuffle=True))
    assert sum(len(yb) for _, yb in batches) == 20


def test_make_spiral_rejects_empty():
    with pytest.raises(ValueError, match="must be positive"):
        make_spiral(0, 3)
