"""x[key], x[key] = v and the indexing ops: views vs copies, in-place writes, autograd, errors vs torch."""
from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _both(fn):
    return fn(ember), fn(torch)


def _same(e, t):
    assert tuple(e.shape) == tuple(t.shape)
    assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-6)


@pytest.mark.parametrize("key", [0, (1, 2), (slice(None), 0), slice(1, 3), (None, 0), Ellipsis,
                                 (slice(0, None, 2), None, 1)])
def test_basic_index_is_view(key):
    x = ember.arange(24.).reshape(2, 3, 4)
    y = x[key]
    y += 100  # writes through the view and bumps the shared counter
    assert x._version == y._version == 1
    t = torch.arange(24.).reshape(2, 3, 4)
    t[key] += 100
    np.testing.assert_array_equal(x.numpy(), t.numpy())


@pytest.mark.parametrize("key", [[0, 1], (slice(None), [2, 0]), "mask", True])
def test_advanced_index_copies(key):
    x = ember.arange(6.).reshape(2, 3)
    y = x[x > 2] if key == "mask" else x[key]
    y += 100
    np.testing.assert_array_equal(x.numpy(), np.arange(6.).reshape(2, 3))


@pytest.mark.parametrize("key,name", [((0, 0), "SelectBackward0"), ((slice(None), 0), "SelectBackward0"),
                                      (slice(1, 3), "SliceBackward0"), (None, "UnsqueezeBackward0"),
                                      ([0, 1], "IndexBackward0"), ("mask", "IndexBackward0"),
                                      ((0, None), "UnsqueezeBackward0"), (Ellipsis, "AliasBackward0")])
def test_grad_fn_names(key, name):
    for lib in (ember, torch):
        x = lib.ones(3, 4, requires_grad=True)
        y = x[x > 0] if key == "mask" else x[key]
        assert type(y.grad_fn).__name__ == name or y.grad_fn.name() == name


def test_d2l_assignments_keep_identity():
    X = ember.arange(12, dtype=ember.float32).reshape(3, 4)
    Y = ember.tensor([[2.0, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]])
    X[1, 2] = 9
    X[0:2, :] = 12
    before = id(X)
    ptr = X.data_ptr()
    X[:] = X + Y
    assert id(X) == before and X.data_ptr() == ptr
    Z = ember.zeros_like(Y)
    zid = id(Z)
    Z[:] = X + Y
    assert id(Z) == zid
    tX = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    tY = torch.tensor([[2.0, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]])
    tX[1, 2] = 9
    tX[0:2, :] = 12
    tX[:] = tX + tY
    _same(X, tX)


def test_write_through_detached_view():
    w1 = ember.ones(2, 3, 2, requires_grad=True)
    w2 = w1.detach()
    w2[:, :, 1] = 100
    assert w1[0, 0, 1].item() == 100 and w1._version == 1


@pytest.mark.parametrize("key,value", [(0, 5.0), ((slice(None), 1), [1.0, 2.0]), ("mask", 0.0),
                                       ([[0, 0]], 7), ((1, [0, 2]), 2.5), ("mask", "t")])
def test_setitem_values_and_cast(key, value):
    def run(lib):
        x = lib.arange(6).reshape(2, 3)  # int64: float values are truncated into it
        k = x > 2 if key == "mask" else key
        v = lib.tensor(-2.7) if value == "t" else lib.tensor(value) if isinstance(value, list) else value
        x[k] = v
        return x
    _same(*_both(run))


def test_setitem_autograd_matches_torch():
    def run(lib):
        a = lib.tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4), requires_grad=True)
        v = lib.tensor([0.5, -2.0, 3.0, 1.0], requires_grad=True)
        s = lib.tensor(4.0, requires_grad=True)
        x = a * 2
        x[1] = v
        x[x > 0.9] = s
        x[[0, 0], [1, 2]] = s * 3
        (x * lib.arange(12.).reshape(3, 4)).sum().backward()
        return x, a.grad, v.grad, s.grad
    e, t = _both(run)
    for ee, tt in zip(e, t):
        _same(ee, tt)


def test_setitem_grad_fn_and_value_grad_into_leafless_tensor():
    v = ember.ones(4, requires_grad=True)
    x = ember.zeros(3, 4)
    x[1] = v
    assert repr(x.grad_fn).startswith("<CopySlices")
    x[[0]] = v
    assert x.grad_fn.name() == "IndexPutBackward0"
    x.sum().backward()
    np.testing.assert_array_equal(v.grad.numpy(), [2.0] * 4)


def test_double_backward_through_index():
    def run(lib):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = (x[[0, 0, 2]] ** 3).sum() + (x[1:] ** 2).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        (g * g).sum().backward()
        return g, x.grad
    e, t = _both(run)
    for ee, tt in zip(e, t):
        _same(ee, tt)


def test_sort_return_type_and_stability():
    x = ember.tensor([3.0, 1.0, 3.0, float("nan"), 1.0])
    r = ember.sort(x, descending=True)
    t = torch.sort(torch.tensor([3.0, 1.0, 3.0, float("nan"), 1.0]), descending=True, stable=True)
    assert repr(r).startswith("ember.return_types.sort(\nvalues=")
    np.testing.assert_array_equal(r.indices.numpy(), t.indices.numpy())
    values, indices = r
    assert indices.dtype == ember.int64 and values is r.values


ERRORS = [
    (lambda lib: lib.arange(3)[5], IndexError, "index 5 is out of bounds for dimension 0 with size 3"),
    (lambda lib: lib.arange(3)[0, 0], IndexError, "too many indices for tensor of dimension 1"),
    (lambda lib: lib.arange(3)[::-1], ValueError, "step must be greater than zero"),
    (lambda lib: lib.arange(3)[[0, 3]], IndexError, "index 3 is out of bounds for dimension 0 with size 3"),
    (lambda lib: lib.zeros(3, 4)[lib.tensor([True, False])], IndexError, "The shape of the mask [2] at index 0"),
    (lambda lib: lib.tensor(1.0)[0], IndexError, "invalid index of a 0-dim tensor"),
    (lambda lib: lib.arange(3)[lib.tensor([1.0])], IndexError, "tensors used as indices must be long"),
    (lambda lib: lib.zeros(2, 3)[[0, 1], [0, 1, 1]], IndexError, "shape mismatch: indexing tensors could not"),
    (lambda lib: lib.zeros(2, 3).gather(1, lib.tensor([[5]])), RuntimeError,
     "index 5 is out of bounds for dimension 1 with size 3"),
    (lambda lib: lib.zeros(2, 3).gather(1, lib.tensor([0])), RuntimeError,
     "Index tensor must have the same number of dimensions as input tensor"),
    (lambda lib: lib.zeros(2, 3).scatter(1, lib.zeros(3, 1, dtype=lib.long), 1.0), RuntimeError,
     "Expected index [3, 1] to be no larger than self [2, 3] apart from dimension 1"),
    (lambda lib: lib.zeros(2, 3).masked_fill(lib.tensor([1.0, 0, 1]), 0.0), RuntimeError,
     "masked_fill_ only supports boolean masks, but got mask with dtype float"),
    (lambda lib: lib.zeros(2, 3).masked_fill(lib.tensor([True, False]), 0.0), RuntimeError,
     "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 1"),
    (lambda lib: lib.zeros(2, 3).masked_fill(lib.tensor([True, False, True]), lib.ones(2)), RuntimeError,
     "only supports a 0-dimensional value tensor"),
    (lambda lib: lib.zeros(2, 3).topk(4), RuntimeError, "selected index k out of range"),
    (lambda lib: lib.zeros(2, 3).index_select(1, lib.tensor([[0]])), IndexError,
     "Index is supposed to be a vector"),
    (lambda lib: lib.zeros(2, 3).take(lib.tensor([7])), IndexError, "out of range: tried to access index 7"),
]


def _set(lib, key, value):
    x = lib.zeros(3, 4)
    x[key] = value


ERRORS += [
    (lambda lib: _set(lib, 0, lib.ones(2)), RuntimeError, "The expanded size of the tensor (4) must match"),
    (lambda lib: _set(lib, [0, 1], lib.ones(5)), RuntimeError, "shape mismatch: value tensor of shape [5]"),
    (lambda lib: _set(lib, [0], lib.ones(4, dtype=lib.float64)), RuntimeError,
     "got Float for the destination and Double for the source."),
    (lambda lib: _set_leaf(lib, 0), RuntimeError, "a view of a leaf Variable that requires grad"),
    (lambda lib: _set_leaf(lib, [0]), RuntimeError, "a leaf Variable that requires grad is being used"),
]


def _set_leaf(lib, key):
    x = lib.zeros(3, requires_grad=True)
    x[key] = 1.0


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_match_torch(i):
    fn, exc, text = ERRORS[i]
    for lib in (torch, ember):
        with pytest.raises(exc) as info:
            fn(lib)
        assert text in str(info.value), (lib.__name__, str(info.value))


def test_inplace_forms():
    def run(lib):
        x = lib.arange(6.).reshape(2, 3)
        x.masked_fill_(x > 3, -1.0)
        x.scatter_(1, lib.tensor([[2], [0]]), 9.0)
        x.index_fill_(0, lib.tensor([1]), 0.5)
        x.index_add_(1, lib.tensor([0, 0]), lib.ones(2, 2))
        x.scatter_add_(0, lib.tensor([[1, 1, 1]]), lib.ones(1, 3))
        return x
    _same(*_both(run))


def test_nonzero_and_where_forms():
    def run(lib):
        x = lib.tensor([[0.0, 1.0], [2.0, 0.0]])
        return [lib.nonzero(x), *lib.nonzero(x, as_tuple=True), x.argsort(dim=0, descending=True)]
    for e, t in zip(*_both(run)):
        _same(e, t)


@pytest.mark.parametrize("shape,dim,i", [((5,), 0, 5), ((5,), 0, -1), ((2, 3, 4), 1, 7), ((2, 3, 4), 2, -1),
                                         ((2, 3, 4), 0, 2), ((2, 3), 1, -1)])
def test_index_select_out_of_range_like_torch(shape, dim, i):
    import torch
    errors = []
    for lib in (torch, ember):
        with pytest.raises((IndexError, RuntimeError)) as info:
            lib.ones(*shape).index_select(dim, lib.tensor([i]))
        errors.append((info.type, str(info.value)))
    assert errors[0] == errors[1]



@pytest.mark.parametrize("key", ["idx3", "(idx3, 1)", "(idx3, idx3)", "mask2"])
def test_multi_dim_index_arrays_count_as_one_dim(key):
    import torch
    shapes = []
    for lib in (torch, ember):
        x = lib.arange(24.0).reshape(4, 6)
        idx3 = lib.tensor([[[0, 1], [2, 3]]])
        mask2 = x > 10
        shapes.append(tuple(x[eval(key, {"idx3": idx3, "mask2": mask2})].shape))
    assert shapes[0] == shapes[1]
