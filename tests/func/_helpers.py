"""Shared by the ember.func tests: the same code run with ember and with torch, results compared."""
from __future__ import annotations

import numpy as np

import ember


def to_lib(value, lib):
    """A nest of numpy arrays as tensors of ``lib`` (ember or torch), same structure."""
    if isinstance(value, np.ndarray):
        return lib.tensor(value)
    if isinstance(value, dict):
        return {k: to_lib(v, lib) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(to_lib(v, lib) for v in value)
    return value


def assert_same(ours, theirs, torch, rtol=1e-5, atol=1e-6, check_grad=True):
    """Same nesting (types included), shapes, dtypes, values and requires_grad."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, ember.Tensor), f"expected a Tensor, got {type(ours)}"
        assert tuple(ours.shape) == tuple(theirs.shape), (ours.shape, theirs.shape)
        assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1]
        if check_grad:
            assert ours.requires_grad == theirs.requires_grad, (ours.requires_grad, theirs.requires_grad)
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol, atol=atol)
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs)
        for k in theirs:
            assert_same(ours[k], theirs[k], torch, rtol, atol, check_grad)
    elif isinstance(theirs, (tuple, list)):
        assert type(ours) is type(theirs), (type(ours), type(theirs))
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_same(a, b, torch, rtol, atol, check_grad)
    else:
        assert ours == theirs
