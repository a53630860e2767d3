"""Broadcasting of binary ops over generated shapes: values, result shape and un-broadcast gradients."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import ember

torch = pytest.importorskip("torch")

OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1),
    "maximum": lambda a, b: a.maximum(b),
    "pow": lambda a, b: (a * a + 1) ** b,
    "where": lambda a, b: (a > 0).float() * a + b,
}


@settings(max_examples=40, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4),
       op=st.sampled_from(sorted(OPS)), seed=st.integers(0, 2 ** 16))
def test_broadcast_values_and_grads(shapes, op, seed):
    rng = np.random.default_rng(seed)
    a_np = rng.uniform(-2, 2, size=shapes.input_shapes[0])
    b_np = rng.uniform(-2, 2, size=shapes.input_shapes[1])
    w_np = rng.uniform(-1, 1, size=shapes.result_shape)
    results = []
    for lib in (ember, torch):
        a = lib.tensor(a_np, dtype=lib.float64, requires_grad=True)
        b = lib.tensor(b_np, dtype=lib.float64, requires_grad=True)
        out = OPS[op](a, b)
        (out * lib.tensor(w_np, dtype=lib.float64)).sum().backward()
        results.append((out.detach().numpy(), a.grad.numpy(), b.grad.numpy(), tuple(out.shape)))
    (e_out, e_ga, e_gb, e_shape), (t_out, t_ga, t_gb, t_shape) = results
    assert e_shape == t_shape == tuple(shapes.result_shape)
    np.testing.assert_allclose(e_out, t_out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(e_ga, t_ga, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(e_gb, t_gb, rtol=1e-10, atol=1e-12)
    assert e_ga.shape == a_np.shape and e_gb.shape == b_np.shape


@settings(max_examples=30, deadline=None)
@given(a=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
       b=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
def test_incompatible_shapes_raise_like_torch(a, b):
    try:
        np.broadcast_shapes(a, b)
        compatible = True
    except ValueError:
        compatible = False
    if compatible:
        assert tuple((ember.ones(a) + ember.ones(b)).shape) == tuple((torch.ones(a) + torch.ones(b)).shape)
        return
    with pytest.raises(RuntimeError) as theirs:
        torch.ones(a) + torch.ones(b)
    with pytest.raises(RuntimeError) as ours:
        ember.ones(a) + ember.ones(b)
    assert str(ours.value) == str(theirs.value)
