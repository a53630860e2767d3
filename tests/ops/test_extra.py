"""ember/ops/extra.py and ember/_finfo.py against torch: values, dtypes, shapes and errors.

Every case runs the same code on torch and on ember and compares values, dtypes and shapes, or the
error type and message (``torch.`` read as ``ember.``).
"""
from __future__ import annotations

import numpy as np
import pytest

import ember
from tests.ops.test_composite import T, api, compare

torch = pytest.importorskip("torch")

CASES: list = []
CASES.append(('unique', lambda L: L.unique(L.tensor([3,1,3,2]), return_inverse=True, return_counts=True)))
CASES.append(('unique 2d', lambda L: L.unique(L.tensor([[3,1],[3,2]]), return_inverse=True)))
CASES.append(('unique float', lambda L: L.unique(L.tensor([3.,1,3,2]))))
CASES.append(('unique meth', lambda L: L.tensor([3.,1,3,2]).unique(return_counts=True)))
CASES.append(('unique dim', lambda L: L.unique(L.tensor([[1,2],[1,2],[0,5]]), dim=0, return_inverse=True, return_counts=True)))
CASES.append(('unique dim1', lambda L: L.unique(L.tensor([[1,2,1],[1,2,1],[0,5,0]]), dim=1, return_inverse=True, return_counts=True)))
CASES.append(('uc', lambda L: L.unique_consecutive(L.tensor([1,1,2,2,3,1,1,2]), return_inverse=True, return_counts=True)))
CASES.append(('uc 2d', lambda L: L.unique_consecutive(L.tensor([[1,1],[2,2]]), return_inverse=True)))
CASES.append(('uc dim', lambda L: L.unique_consecutive(L.tensor([[1,1,2],[1,1,3]]), dim=1, return_inverse=True, return_counts=True)))
CASES.append(('isin', lambda L: L.isin(L.tensor([1,2,3]), L.tensor([2, 5]))))
CASES.append(('isin scalar', lambda L: L.isin(L.tensor([1,2,3]), 2)))
CASES.append(('isin scalar el', lambda L: L.isin(3, L.tensor([1,3]))))
CASES.append(('isin invert', lambda L: L.isin(L.tensor([[1.,2],[3,4]]), L.tensor([2., 4]), invert=True)))
CASES.append(('ss', lambda L: L.searchsorted(L.tensor([1,3,5]), L.tensor([[3,6],[0,1]]))))
CASES.append(('ss right', lambda L: L.searchsorted(L.tensor([1,3,5]), L.tensor([[3,6],[0,1]]), right=True)))
CASES.append(('ss side', lambda L: L.searchsorted(L.tensor([1,3,5]), 3, side='right')))
CASES.append(('ss 2d', lambda L: L.searchsorted(L.tensor([[1,3,5],[2,4,6]]), L.tensor([[3,6],[1,4]]))))
CASES.append(('ss err', lambda L: L.searchsorted(L.tensor([[1,3,5]]), L.tensor([[3,6],[1,2]]))))
CASES.append(('ss int32', lambda L: L.searchsorted(L.tensor([1.,3,5]), L.tensor([2.]), out_int32=True)))
CASES.append(('ss sorter', lambda L: L.searchsorted(L.tensor([5,1,3]), L.tensor([2, 4]), sorter=L.tensor([1,2,0]))))
CASES.append(('bucketize', lambda L: L.bucketize(L.tensor([1,5, 7]), L.tensor([1,3,5]), right=True)))
CASES.append(('bucketize2', lambda L: L.bucketize(L.tensor([[1.,5],[0,9]]), L.tensor([1.,3,5]))))
CASES.append(('bincount', lambda L: L.bincount(L.tensor([0,1,1,3]))))
CASES.append(('bincount w', lambda L: L.bincount(L.tensor([0,1,1,3]), weights=L.tensor([.5,1,1,2.]), minlength=6)))
CASES.append(('bincount w32', lambda L: L.bincount(L.tensor([0,1,1,3]), weights=L.tensor([.5,1,1,2.], dtype=L.float32))))
CASES.append(('bincount wi', lambda L: L.bincount(L.tensor([0,1]), weights=L.tensor([1,2]))))
CASES.append(('bincount empty', lambda L: L.bincount(L.tensor([], dtype=L.int64))))
CASES.append(('bincount err', lambda L: L.bincount(L.tensor([1,-1]))))
CASES.append(('bincount err2', lambda L: L.bincount(L.tensor([1.,2]))))
CASES.append(('histc', lambda L: L.histc(L.tensor([1.,2,1]), bins=4, min=0, max=3)))
CASES.append(('histc auto', lambda L: L.histc(L.tensor([1.,1]), bins=3)))
CASES.append(('histc data', lambda L: L.histc(T(L), bins=5)))
CASES.append(('histc out', lambda L: L.histc(T(L), bins=5, min=-1, max=1)))
CASES.append(('histc err', lambda L: L.histc(L.tensor([1,2]))))
CASES.append(('tril_indices', lambda L: L.tril_indices(3,3,1)))
CASES.append(('tril_indices2', lambda L: L.tril_indices(4,3,-1)))
CASES.append(('triu_indices', lambda L: L.triu_indices(3,4)))
CASES.append(('triu_indices0', lambda L: L.triu_indices(0,4)))
CASES.append(('unravel', lambda L: L.unravel_index(L.tensor([5,7]), (2,4))))
CASES.append(('unravel wrap', lambda L: L.unravel_index(L.tensor([[8, 3]]), (2,4))))
CASES.append(('unravel int', lambda L: L.unravel_index(L.tensor(5), 4)))
CASES.append(('unravel err', lambda L: L.unravel_index(L.tensor([1.]), (2,4))))
CASES.append(('argwhere', lambda L: L.argwhere(L.tensor([[0,1],[2,0]]))))
CASES.append(('argwhere m', lambda L: L.tensor([[0,1],[2,0]]).argwhere()))
CASES.append(('index_copy', lambda L: T(L).index_copy(1, L.tensor([2, 0]), L.ones(3, 2, dtype=L.float64))))
CASES.append(('index_copy_', lambda L: T(L).index_copy_(0, L.tensor([2]), L.zeros(1, 4, dtype=L.float64))))
CASES.append(('index_copy fn', lambda L: L.index_copy(T(L), 0, L.tensor([2]), L.zeros(1, 4, dtype=L.float64))))
CASES.append(('masked_scatter', lambda L: T(L).masked_scatter(T(L) > 0, L.arange(20.).double())))
CASES.append(('masked_scatter bc', lambda L: T(L).masked_scatter(L.tensor([True, False, False, True]), L.arange(20.).double())))
CASES.append(('masked_scatter_', lambda L: T(L).masked_scatter_(T(L) > 0, L.arange(20.).double())))
CASES.append(('masked_scatter err', lambda L: T(L).masked_scatter(T(L), L.arange(20.).double())))
CASES.append(('masked_scatter err2', lambda L: T(L).masked_scatter(T(L) > -9, L.arange(5.).double())))
CASES.append(('fill_diagonal_', lambda L: T(L).fill_diagonal_(7)))
CASES.append(('fill_diagonal_ tall', lambda L: L.zeros(7, 3).fill_diagonal_(1, wrap=True)))
CASES.append(('fill_diagonal_ tall nowrap', lambda L: L.zeros(7, 3).fill_diagonal_(1)))
CASES.append(('fill_diagonal_ 3d', lambda L: L.zeros(3, 3, 3).fill_diagonal_(1)))
CASES.append(('fill_diagonal_ err', lambda L: L.zeros(3).fill_diagonal_(1)))
CASES.append(('fill_diagonal_ err2', lambda L: L.zeros(3,3,2).fill_diagonal_(1)))
CASES.append(('tril_', lambda L: T(L).tril_(1)))
CASES.append(('triu_', lambda L: T(L).triu_()))
def tt(L):
    a = T(L); b = a.t_(); return a, b is a, a.shape
CASES.append(('t_', tt))
def tr(L):
    a = L.zeros(2,3,4); a.transpose_(0, 2); a.unsqueeze_(1); c = a.shape; a.squeeze_(); d = a.shape; a.unsqueeze_(0).squeeze_(0); return c, d, a.shape
CASES.append(('transpose_ etc', tr))
def sq_err(L):
    a = L.ones(3, 1, requires_grad=True); a.squeeze_()
CASES.append(('squeeze_ leaf', sq_err))
def sq_grad(L):
    a = L.ones(3, 1, requires_grad=True); b = a * 2; b.squeeze_(); b.unsqueeze_(0); (b * L.arange(3.)).sum().backward(); return b.shape, a.grad
CASES.append(('squeeze_ grad', sq_grad))
def rs(L):
    a = L.arange(6.); a.resize_(2, 2); b = a.clone(); a.resize_as_(L.ones(3)); return b, a.shape
CASES.append(('resize_', rs))
CASES.append(('resize_ grad', lambda L: L.ones(3,requires_grad=True).resize_(2)))
CASES.append(('new_zeros', lambda L: T(L).new_zeros(2, 3)))
CASES.append(('new_zeros tuple', lambda L: T(L).new_zeros((2, 3), dtype=L.int32)))
CASES.append(('new_ones', lambda L: L.tensor([1, 2]).new_ones(2)))
CASES.append(('new_full', lambda L: L.tensor([1]).new_full((2,),3.5)))
CASES.append(('new_empty', lambda L: T(L).new_empty((2, 0)).shape))
CASES.append(('new_tensor', lambda L: L.tensor([1,2.],requires_grad=True).new_tensor([1,2])))
CASES.append(('new_tensor rg', lambda L: L.tensor([1,2]).new_tensor([1,2], requires_grad=True, dtype=L.float32).requires_grad))
CASES.append(('new', lambda L: (L.tensor([1]).new([1.5]), T(L).new(2,3).shape, T(L).new().shape, T(L).new(L.Size([2])).shape)))
def scr(reduce, include_self):
    def f(L):
        src = L.tensor([[1., 5, 3, 4], [2, 6, 2, 8]], dtype=L.float64)
        idx = L.tensor([[0, 1, 0, 1], [2, 1, 0, 2]])
        return T(L).scatter_reduce(1, idx, src, reduce, include_self=include_self)
    return f
for r in ['sum', 'prod', 'mean', 'amax', 'amin']:
    for inc in [True, False]:
        CASES.append((f'scatter_reduce {r} {inc}', scr(r, inc)))
CASES.append(('scatter_reduce int mean', lambda L: L.tensor([1, 2, 3]).scatter_reduce(0, L.tensor([0, 0]), L.tensor([4, 4]), 'mean')))
CASES.append(('scatter_reduce err', lambda L: T(L).scatter_reduce(0, L.tensor([[0]]), T(L), 'max')))
CASES.append(('scatter_reduce_', lambda L: T(L).scatter_reduce_(0, L.tensor([[0, 2]]), T(L), 'amax', include_self=False)))
CASES.append(('put_', lambda L: T(L).put_(L.tensor([1, -1, 3]), L.tensor([9., 8, 7], dtype=L.float64))))
CASES.append(('put_ acc', lambda L: T(L).put_(L.tensor([1, 1]), L.tensor([9., 8], dtype=L.float64), accumulate=True)))
CASES.append(('put', lambda L: T(L).put(L.tensor([[1, 2]]), L.tensor([9., 8], dtype=L.float64))))
CASES.append(('put_ err', lambda L: T(L).put_(L.tensor([12]), L.tensor([9.], dtype=L.float64))))
CASES.append(('apply_', lambda L: T(L).apply_(lambda v: v * 2 + 1)))
CASES.append(('map_', lambda L: T(L).map_(L.tensor([1., 2, 3, 4], dtype=L.float64), lambda a, b: a * b)))
CASES.append(('real', lambda L: T(L).real))
CASES.append(('imag', lambda L: T(L).imag))
CASES.append(('finfo', lambda L: [repr(L.finfo(d)) for d in (L.float32, L.float64, L.float16)]))
CASES.append(('finfo attrs', lambda L: [(f.eps, f.max, f.min, f.tiny, f.resolution, f.bits, f.smallest_normal, f.dtype) for f in (L.finfo(), L.finfo(L.float64))]))
CASES.append(('iinfo', lambda L: [(repr(L.iinfo(d)), L.iinfo(d).bits, L.iinfo(d).max, L.iinfo(d).min, L.iinfo(d).dtype) for d in (L.int8, L.int16, L.int32, L.int64, L.uint8)]))
CASES.append(('finfo err', lambda L: L.finfo(L.int32)))
CASES.append(('iinfo err', lambda L: L.iinfo(L.float32)))
CASES.append(('iinfo bool', lambda L: L.iinfo(L.bool)))
CASES.append(('consts', lambda L: (L.e, L.pi, L.inf, str(L.nan), L.newaxis)))
CASES.append(('layouts', lambda L: [repr(v).split('.')[1] for v in (L.strided, L.sparse_coo, L.contiguous_format, L.preserve_format, L.channels_last)]))
CASES.append(('types', lambda L: [type(v).__name__ for v in (L.strided, L.contiguous_format)]))
def sdt(L):
    L.set_default_tensor_type('torch.DoubleTensor' if L is torch else 'ember.DoubleTensor'); a = L.tensor([1.5]).dtype
    L.set_default_tensor_type(L.FloatTensor); b = L.tensor([1.5]).dtype
    return a, b
CASES.append(('set_default_tensor_type', sdt))
CASES.append(('sdtt err', lambda L: L.set_default_tensor_type(5)))
CASES.append(('sdtt err2', lambda L: L.set_default_tensor_type(L.LongTensor)))
CASES.append(('sigmoid_', lambda L: L.sigmoid_(T(L))))
CASES.append(('relu_', lambda L: L.relu_(T(L))))
CASES.append(('dropout', lambda L: L.dropout(T(L), 0.5, False)))
CASES.append(('dropout0', lambda L: L.dropout(T(L), 1.0, True)))
CASES.append(('cos sim', lambda L: L.cosine_similarity(T(L), T(L)*2+1)))
CASES.append(('pdist', lambda L: L.pairwise_distance(T(L), T(L)*2+1)))
CASES.append(('scatter_reduce min', lambda L: L.zeros(3).scatter_reduce(0, L.tensor([0,0]), L.tensor([1.,-2]), 'min')))
CASES.append(('scatter_reduce foo', lambda L: L.zeros(3).scatter_reduce(0, L.tensor([0,0]), L.tensor([1.,-2]), 'foo')))
CASES.append(('scatter_reduce dt', lambda L: L.zeros(3).scatter_reduce(0, L.tensor([0,0]), L.tensor([1.,-2], dtype=L.float64), 'sum')))
CASES.append(('scatter_reduce idx', lambda L: L.zeros(3).scatter_reduce(0, L.tensor([0.,0]), L.tensor([1.,-2]), 'sum')))


@pytest.mark.parametrize("name,fn", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(name, fn):
    compare(fn)


# --------------------------------------------------------------------------- gradients and in-place
def _distinct(*shape, seed=0):
    g = np.random.default_rng(seed)
    return g.permutation(int(np.prod(shape))).reshape(shape) * 0.37 + 1.0 + g.uniform(0, 0.1, size=shape)


def _sr_grads(lib, x, src, idx, dim, reduce, include_self):
    xt = lib.tensor(x, requires_grad=True)
    st = lib.tensor(src, requires_grad=True)
    out = xt.scatter_reduce(dim, lib.tensor(idx), st, reduce, include_self=include_self)
    w = np.random.default_rng(3).uniform(-1, 1, size=out.shape)
    (out * lib.tensor(w)).sum().backward()
    return out.detach().numpy(), xt.grad.numpy(), st.grad.numpy()


@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_prod_grads_match_torch(include_self):
    # op_db leaves prod out (torch's forward-mode rule for it returns zeros), so reverse mode is here
    x, src = _distinct(2, 3), _distinct(2, 4, seed=1)
    idx = np.array([[0, 1, 0, 1], [2, 1, 0, 2]])
    e = _sr_grads(api(ember), x, src, idx, 1, "prod", include_self)
    t = _sr_grads(torch, x, src, idx, 1, "prod", include_self)
    for a, b in zip(e, t):
        np.testing.assert_allclose(a, b, rtol=1e-10)


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
def test_scatter_reduce_gradcheck_and_forward_ad(reduce):
    api(ember)
    x = ember.tensor(_distinct(3, 2), requires_grad=True)
    src = ember.tensor(_distinct(2, 3, seed=2), requires_grad=True)  # larger than index along dim 1
    idx = ember.tensor([[1, 0], [0, 0]])

    def f(a, b):
        return a.scatter_reduce(0, idx, b, reduce, include_self=False)
    assert ember.autograd.gradcheck(f, (x, src))
    assert ember.autograd.gradgradcheck(f, (x, src))
    jac = ember.autograd.functional.jacobian(f, (x, src))
    tx, ts = ember.ones_like(x), ember.full_like(src, 0.5)
    import ember.autograd.forward_ad as fwAD
    with fwAD.dual_level():
        tan = fwAD.unpack_dual(f(fwAD.make_dual(x.detach(), tx), fwAD.make_dual(src.detach(), ts))).tangent
    expected = (jac[0] * tx).sum((2, 3)) + (jac[1] * ts).sum((2, 3))
    np.testing.assert_allclose(tan.numpy(), expected.numpy(), rtol=1e-10, atol=1e-12)


def _inplace_grad(lib, method, *args):
    a = lib.tensor(_distinct(3, 3), requires_grad=True)
    b = a * 1.0
    getattr(b, method)(*[arg(lib) if callable(arg) else arg for arg in args])
    w = np.random.default_rng(1).uniform(-1, 1, size=b.shape)
    (b * lib.tensor(w)).sum().backward()
    return b.detach().numpy(), a.grad.numpy(), type(b.grad_fn).__name__


@pytest.mark.parametrize("method,args", [
    ("index_copy_", (0, lambda L: L.tensor([2, 0]), lambda L: L.ones(2, 3, dtype=L.float64))),
    ("masked_scatter_", (lambda L: L.tensor([True, False, True]), lambda L: L.arange(9.0).double())),
    ("put_", (lambda L: L.tensor([0, 8]), lambda L: L.tensor([5.0, 6.0], dtype=L.float64))),
    ("fill_diagonal_", (2.5,)),
    ("tril_", (0,)),
    ("triu_", (1,)),
    ("scatter_reduce_", (1, lambda L: L.tensor([[0, 0], [1, 2], [2, 2]]),
                         lambda L: L.ones(3, 2, dtype=L.float64), "amax")),
])
def test_inplace_methods_rebase_the_graph_like_torch(method, args):
    e = _inplace_grad(api(ember), method, *args)
    t = _inplace_grad(torch, method, *args)
    np.testing.assert_allclose(e[0], t[0])
    np.testing.assert_allclose(e[1], t[1])


def test_inplace_methods_bump_the_version_and_refuse_leaves():
    api(ember)
    a = ember.zeros(3, 3)
    v = a._version
    a.fill_diagonal_(1.0).tril_().index_copy_(0, ember.tensor([0]), ember.ones(1, 3))
    assert a._version == v + 3
    leaf = ember.zeros(3, 3, requires_grad=True)
    for call in (lambda: leaf.fill_diagonal_(1.0), lambda: leaf.t_(), lambda: leaf.unsqueeze_(0)):
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            call()


def test_transpose_in_place_keeps_the_graph():
    for lib in (api(ember), torch):
        a = lib.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
        b = a * 2
        b.t_()
        assert tuple(b.shape) == (3, 1)
        (b * lib.tensor([[1.0], [2.0], [3.0]])).sum().backward()
        assert a.grad.tolist() == [[2.0, 4.0, 6.0]]


def test_layouts_and_memory_formats_are_accepted_where_torch_takes_them():
    E = api(ember)
    x = ember.ones(2, 3)
    assert x.contiguous(memory_format=E.contiguous_format).shape == (2, 3)
    assert ember.zeros(2, layout=E.strided).shape == (2,)
    assert ember.empty_like(x, memory_format=E.preserve_format).shape == (2, 3)
    assert repr(E.channels_last) == "ember.channels_last"
    assert E.strided != E.sparse_coo


def test_finfo_compares_and_defaults_like_torch():
    E = api(ember)
    assert E.finfo() == E.finfo(ember.float32)
    assert E.finfo(ember.float64) != E.finfo(ember.float32)
    assert E.finfo(ember.float16).eps == torch.finfo(torch.float16).eps
    assert E.iinfo(ember.int64).max == torch.iinfo(torch.int64).max


def test_metadata_in_place_methods_bump_the_version_like_torch():
    for lib in (api(ember), torch):
        a = lib.zeros(2, 3)
        v = a._version
        a.t_()
        a.unsqueeze_(0).squeeze_(0).transpose_(0, 1)
        a.resize_(4)
        assert a._version - v == 5
