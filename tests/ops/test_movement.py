"""Movement ops beyond the op_db checks: memory sharing, grad_fn names, special cases, errors."""
from __future__ import annotations

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _pair(shape=(2, 3), requires_grad=False):
    a = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    return (ember.tensor(a, requires_grad=requires_grad), torch.tensor(a, requires_grad=requires_grad))


# ----------------------------------------------------------------------------- memory sharing
VIEWS = {
    "view": lambda x: x.view(6),
    "view_t": lambda x: x.t().view(3, 2),
    "reshape": lambda x: x.reshape(3, 2),
    "reshape_alias": lambda x: x.t().reshape(1, 3, 2),
    "flatten": lambda x: x.flatten(),
    "unflatten": lambda x: x.unflatten(1, (3, 1)),
    "transpose": lambda x: x.transpose(0, 1),
    "permute": lambda x: x.permute(1, 0),
    "t": lambda x: x.t(),
    "T": lambda x: x.T,
    "mT": lambda x: x.mT,
    "narrow": lambda x: x.narrow(1, 1, 2),
    "squeeze": lambda x: x.unsqueeze(0).squeeze(),
    "unsqueeze": lambda x: x.unsqueeze(1),
    "movedim": lambda x: x.movedim(0, 1),
    "split": lambda x: x.split(1)[1],
    "split_sizes": lambda x: x.split([1, 2], 1)[1],
    "chunk": lambda x: x.chunk(3, 1)[2],
    "unbind": lambda x: x.unbind(1)[1],
    "diagonal": lambda x: x.diagonal(),
}


@pytest.mark.parametrize("name", list(VIEWS))
def test_views_share_memory_like_torch(name):
    fn = VIEWS[name]
    e, t = _pair()
    ve, vt = fn(e), fn(t)
    ve.mul_(10)
    vt.mul_(10)
    np.testing.assert_array_equal(e.numpy(), t.numpy())  # the write went through to the base
    assert e._version == t._version and ve._version == vt._version
    assert ve._base is e and vt._base is t
    assert ve.stride() == vt.stride() and ve.is_contiguous() == vt.is_contiguous()
    assert ve.storage_offset() == vt.storage_offset()


COPIES = {
    "reshape_copy": lambda x: x.t().reshape(6),
    "flatten_copy": lambda x: x.t().flatten(),
    "contiguous": lambda x: x.t().contiguous(),
    "repeat": lambda x: x.repeat(1, 1),
    "flip": lambda x: x.flip(0),
    "roll": lambda x: x.roll(1),
    "tril": lambda x: x.tril(),
    "cat": lambda x: ember.cat([x]) if isinstance(x, ember.Tensor) else torch.cat([x]),
    "stack": lambda x: ember.stack([x]) if isinstance(x, ember.Tensor) else torch.stack([x]),
}


@pytest.mark.parametrize("name", list(COPIES))
def test_copies_do_not_share_memory(name):
    e, t = _pair()
    ce, ct = COPIES[name](e), COPIES[name](t)
    ce.add_(1)
    ct.add_(1)
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    np.testing.assert_array_equal(ce.numpy(), ct.numpy())
    assert ce.is_contiguous() and ct.is_contiguous()


def test_identity_results_are_the_input():
    e, t = _pair(requires_grad=True)
    for lib, x in ((ember, e), (torch, t)):
        assert x.contiguous() is x
        assert x.flatten(1, 1) is x
        assert lib.atleast_1d(x) is x and lib.atleast_2d(x) is x
        a, b = lib.broadcast_tensors(x, x)
        assert a is x and b is x


def test_expand_is_a_stride_zero_view():
    e, t = _pair((3, 1))
    ve, vt = e.expand(2, 3, 4), t.expand(2, 3, 4)
    assert ve.stride() == vt.stride() == (0, 1, 0)
    assert ve._base is e


# ----------------------------------------------------------------------------- grad_fn names
GRAD_FNS = {
    "view": lambda lib, x: x.view(3, 2),
    "reshape": lambda lib, x: x.reshape(6),
    "reshape_alias": lambda lib, x: x.t().reshape(3, 2),
    "reshape_copy": lambda lib, x: x.t().reshape(6),
    "flatten": lambda lib, x: x.flatten(),
    "flatten_copy": lambda lib, x: x.t().flatten(),
    "unflatten": lambda lib, x: x.unflatten(1, (3, 1)),
    "squeeze": lambda lib, x: x.unsqueeze(0).squeeze(),
    "squeeze_dim": lambda lib, x: x.unsqueeze(0).squeeze(0),
    "squeeze_dims": lambda lib, x: x.unsqueeze(0).squeeze((0, 1)),
    "unsqueeze": lambda lib, x: x.unsqueeze(0),
    "expand": lambda lib, x: x.expand(2, 2, 3),
    "broadcast_to": lambda lib, x: lib.broadcast_to(x, (2, 3)),
    "repeat": lambda lib, x: x.repeat(2, 1),
    "transpose": lambda lib, x: x.transpose(0, 1),
    "swapaxes": lambda lib, x: x.swapaxes(0, 1),
    "permute": lambda lib, x: x.permute(1, 0),
    "t": lambda lib, x: x.t(),
    "t_1d": lambda lib, x: x[0].t() if lib is torch else x.unbind(0)[0].t(),
    "T": lambda lib, x: x.T,
    "mT": lambda lib, x: x.mT,
    "movedim": lambda lib, x: lib.movedim(x, 0, 1),
    "narrow": lambda lib, x: x.narrow(0, 0, 1),
    "contiguous": lambda lib, x: x.t().contiguous(),
    "cat": lambda lib, x: lib.cat([x, x]),
    "stack": lambda lib, x: lib.stack([x, x]),
    "hstack": lambda lib, x: lib.hstack([x, x]),
    "split": lambda lib, x: x.split(1)[0],
    "split_sizes": lambda lib, x: x.split([1, 2], 1)[0],
    "chunk": lambda lib, x: x.chunk(3, 1)[0],
    "unbind": lambda lib, x: x.unbind()[0],
    "iter": lambda lib, x: next(iter(x)),
    "flip": lambda lib, x: x.flip(0),
    "roll": lambda lib, x: x.roll(1),
    "tril": lambda lib, x: x.tril(),
    "triu": lambda lib, x: x.triu(1),
    "diagonal": lambda lib, x: x.diagonal(),
    "atleast_3d": lambda lib, x: lib.atleast_3d(x),
}


@pytest.mark.parametrize("name", list(GRAD_FNS))
def test_grad_fn_names_match_torch(name):
    fn = GRAD_FNS[name]
    e, t = _pair(requires_grad=True)
    re_, rt = fn(ember, e), fn(torch, t)
    assert re_.grad_fn.name() == rt.grad_fn.name()
    if name != "t_1d":  # the inputs differ there (ember has no indexing yet in this file's tests)
        assert _names(re_.grad_fn.next_functions) == _names(rt.grad_fn.next_functions)


def _names(next_functions):
    return [None if n is None else n.name().split("::")[-1] for n, _ in next_functions]


def test_T_warns_on_non_matrices():
    e, t = _pair((2, 3, 4))
    with pytest.warns(UserWarning, match="x.T"):
        r = e.T
    assert tuple(r.shape) == tuple(t.permute(2, 1, 0).shape)


# ----------------------------------------------------------------------------- special cases
def test_cat_promotes_and_skips_legacy_empty():
    for lib in (ember, torch):
        r = lib.cat([lib.ones(2, dtype=lib.int64), lib.ones(2, dtype=lib.int32)])
        assert str(r.dtype).split(".")[-1] == "int64"
        r = lib.cat([lib.ones(2, dtype=lib.int64), lib.ones(2, dtype=lib.float16)])
        assert str(r.dtype).split(".")[-1] == "float16"
        assert tuple(lib.cat([lib.ones(2, 3), lib.ones(0)]).shape) == (2, 3)
        assert tuple(lib.cat([lib.ones(0), lib.ones(0)]).shape) == (0,)


def test_cat_grad_casts_back_to_each_input_dtype():
    grads = []
    for lib in (ember, torch):
        a = lib.ones(2, dtype=lib.float32, requires_grad=True)
        b = lib.ones(2, dtype=lib.float64, requires_grad=True)
        out = lib.cat([a, b])
        assert str(out.dtype).split(".")[-1] == "float64"
        (out * lib.arange(4.0, dtype=lib.float64)).sum().backward()
        grads.append((str(a.grad.dtype), a.grad.tolist(), b.grad.tolist()))
    assert grads[0][1:] == grads[1][1:] and grads[0][0].split(".")[-1] == grads[1][0].split(".")[-1]


@pytest.mark.parametrize("n,chunks", [(5, 3), (6, 4), (2, 5), (0, 2), (7, 7)])
def test_chunk_counts_like_torch(n, chunks):
    got = [tuple(c.shape) for c in ember.ones(n).chunk(chunks)]
    want = [tuple(c.shape) for c in torch.ones(n).chunk(chunks)]
    assert got == want


def test_split_backward_with_unused_outputs_and_double_backward():
    for lib in (ember, torch):
        x = lib.tensor([1.0, 2.0, 3.0, 4.0, 5.0], dtype=lib.float64, requires_grad=True)
        a, b, c = x.split(2)
        y = (b ** 3).sum() + lib.cat([a, c]).pow(2).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x)
        if lib is ember:
            mine = (g.tolist(), gg.tolist())
        else:
            assert mine == (g.tolist(), gg.tolist())


def test_view_dtype_matches_torch():
    e, t = _pair()
    assert e.view(ember.int32).tolist() == t.view(torch.int32).tolist()
    assert e.view(ember.float16).shape == t.view(torch.float16).shape


def test_shapes_accept_tuples_and_sizes():
    e, _ = _pair()
    assert e.view((3, 2)).shape == e.reshape([3, 2]).shape == e.view(ember.Size([3, 2])).shape
    assert e.permute((1, 0)).shape == e.expand((2, 2, 3))[0].t().shape
    assert e.repeat((2, 1)).shape == (4, 3)


# ----------------------------------------------------------------------------- errors
ERRORS = {
    "view_strides": lambda lib, x: x.t().view(6),
    "view_size": lambda lib, x: x.view(-1, 4),
    "reshape_size": lambda lib, x: x.reshape(-1, 4),
    "reshape_two_inferred": lambda lib, x: x.reshape(-1, -1),
    "reshape_negative": lambda lib, x: x.reshape(2, -3),
    "flatten_order": lambda lib, x: x.flatten(1, 0),
    "unflatten": lambda lib, x: x.unflatten(1, (2, 2)),
    "dim_range": lambda lib, x: x.unsqueeze(3),
    "squeeze_range": lambda lib, x: x.squeeze(2),
    "expand_mismatch": lambda lib, x: x.expand(3, 3),
    "expand_too_few": lambda lib, x: x.expand(3),
    "expand_leading_neg": lambda lib, x: x.expand(-1, 2, 3),
    "repeat_too_few": lambda lib, x: x.repeat(2),
    "repeat_negative": lambda lib, x: x.repeat(-1, 2),
    "t_3d": lambda lib, x: x.unsqueeze(0).t(),
    "mT_1d": lambda lib, x: x.flatten().mT,
    "permute_len": lambda lib, x: x.permute(0),
    "permute_dup": lambda lib, x: x.permute(0, 0),
    "transpose_range": lambda lib, x: x.transpose(0, 2),
    "narrow_long": lambda lib, x: x.narrow(0, 1, 2),
    "cat_sizes": lambda lib, x: lib.cat([x, lib.ones(3, 3)], 1),
    "cat_sizes0": lambda lib, x: lib.cat([x, lib.ones(2, 2)]),
    "cat_ndim": lambda lib, x: lib.cat([x, lib.ones(2, 3, 1)]),
    "cat_0d": lambda lib, x: lib.cat([lib.tensor(1.0), lib.tensor(2.0)]),
    "cat_empty": lambda lib, x: lib.cat([]),
    "cat_dim": lambda lib, x: lib.cat([x], 2),
    "stack_sizes": lambda lib, x: lib.stack([x, lib.ones(3, 2)]),
    "stack_empty": lambda lib, x: lib.stack([]),
    "stack_dim": lambda lib, x: lib.stack([x, x], 3),
    "split_zero": lambda lib, x: x.split(0),
    "split_negative": lambda lib, x: x.split(-1),
    "split_sizes": lambda lib, x: x.split([1, 2]),
    "chunk_zero": lambda lib, x: x.chunk(0),
    "unbind_0d": lambda lib, x: lib.tensor(1.0).unbind(),
    "roll_align": lambda lib, x: x.roll(1, (0, 1)),
    "flip_dup": lambda lib, x: x.flip(0, 0),
    "tril_1d": lambda lib, x: x.flatten().tril(),
    "broadcast_tensors": lambda lib, x: lib.broadcast_tensors(x, lib.ones(3, 2)),
    "view_dtype": lambda lib, x: x.view(lib.float64),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(name):
    fn = ERRORS[name]
    e, t = _pair()
    with pytest.raises(Exception) as te:
        fn(torch, t)
    with pytest.raises(type(te.value)) as ee:
        fn(ember, e)
    assert str(ee.value) == str(te.value)


DOUBLE = {
    "narrow": lambda lib, x: x.narrow(1, 1, 2),
    "cat": lambda lib, x: lib.cat([x, x * 2], 1),
    "stack": lambda lib, x: lib.stack([x, x], 1),
    "split": lambda lib, x: x.split([1, 3], 1)[1],
    "unbind": lambda lib, x: lib.stack(x.unbind(1)[::-1]),
    "diagonal": lambda lib, x: x.diagonal(1),
    "repeat": lambda lib, x: x.repeat(2, 1, 2),
    "roll": lambda lib, x: x.roll((1, 2), (0, 1)),
    "view_copy": lambda lib, x: x.t().reshape(12).view(2, 6),
    "expand": lambda lib, x: x.narrow(0, 0, 1).expand(3, 4),
    "flip_tril": lambda lib, x: x.flip(0, 1).tril(),
    "permute": lambda lib, x: x.unsqueeze(0).permute(2, 0, 1).squeeze(),
}


@pytest.mark.parametrize("name", list(DOUBLE))
def test_double_backward_matches_torch(name):
    a = np.random.default_rng(0).normal(size=(3, 4))
    res = []
    for lib in (ember, torch):
        x = lib.tensor(a, requires_grad=True)
        (g,) = lib.autograd.grad((DOUBLE[name](lib, x) ** 3).sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), x)
        res.append((g.detach().numpy(), gg.numpy()))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-10)
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-10)


@pytest.mark.parametrize("shape,sizes", [((2, 2), (3, 3)), ((2, 3), (3, 3)), ((2, 1, 2), (2, 3, 3)),
                                         ((2,), (3, 3)), ((2, 2, 2), (3, 3, 3))])
def test_expand_error_names_torchs_dimension(shape, sizes):
    import torch
    msgs = []
    for lib in (torch, ember):
        with pytest.raises(RuntimeError) as info:
            lib.ones(*shape).expand(*sizes)
        msgs.append(str(info.value))
    assert msgs[0] == msgs[1]
