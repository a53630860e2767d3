"""The fast paths of the op registry and the engine give what the general paths give.

Operators on floating tensors call their primitive directly, ``x[i]`` skips the general key parse,
``tensor ** number`` is its own primitive (PowBackward0, no saved result), reductions of at most
two elements use NumPy's sum, and a leaf's first gradient takes the incoming buffer when nothing
else holds it. Each is compared with torch, including the graph's shape (next_functions).
"""
import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _edges(lib, fn):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = lib.tensor([3.0, 4.0], requires_grad=True)
    m = lib.tensor([True, False])
    out = fn(lib, x, y, m)
    return type(out.grad_fn).__name__, [None if n is None else type(n).__name__.split("::")[-1]
                                        for n, _ in out.grad_fn.next_functions]


EDGE_CASES = {
    "x+2": lambda t, x, y, m: x + 2, "2+x": lambda t, x, y, m: 2 + x, "x-2": lambda t, x, y, m: x - 2,
    "2-x": lambda t, x, y, m: 2 - x, "x*2": lambda t, x, y, m: x * 2, "x/2": lambda t, x, y, m: x / 2,
    "x**2": lambda t, x, y, m: x ** 2, "x**2.5": lambda t, x, y, m: x ** 2.5,
    "2**x": lambda t, x, y, m: 2 ** x, "x**y": lambda t, x, y, m: x ** y,
    "where": lambda t, x, y, m: t.where(m, x, 0.0), "where2": lambda t, x, y, m: t.where(m, 0.0, x),
    "where3": lambda t, x, y, m: t.where(m, x, y),
    "masked_fill": lambda t, x, y, m: x.masked_fill(m, 0.0),
    "masked_fill_t": lambda t, x, y, m: x.masked_fill(m, y.sum()),
    "x%2": lambda t, x, y, m: x % 2, "fmod": lambda t, x, y, m: t.fmod(x, 2),
    "remainder_t": lambda t, x, y, m: t.remainder(x, y), "rsub_t": lambda t, x, y, m: t.rsub(x, y),
    "fmod_t": lambda t, x, y, m: t.fmod(x, y), "rsub_2": lambda t, x, y, m: t.rsub(x, 2),
    "x[0]": lambda t, x, y, m: x[0], "x[-1]": lambda t, x, y, m: x[-1],
}


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_next_functions_match_torch(name):
    fn = EDGE_CASES[name]
    assert _edges(ember, fn) == _edges(torch, fn)


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_gradients_match_torch(name):
    fn = EDGE_CASES[name]
    grads = []
    for lib in (ember, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = lib.tensor([3.0, 4.0], requires_grad=True)
        m = lib.tensor([True, False])
        fn(lib, x, y, m).sum().backward()
        grads.append([None if g is None else g.detach().numpy() for g in (x.grad, y.grad)])
    for a, b in zip(*grads):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize("exp", [0, 1, 2, 3, -1, 0.5, 2.0, -2.5])
def test_pow_scalar_values_grads_and_double_backward(exp):
    out = []
    for lib in (ember, torch):
        x = lib.tensor([0.5, 1.5, 3.0], dtype=lib.float64, requires_grad=True)
        y = x ** exp
        (g,) = lib.autograd.grad(y.sum(), x, create_graph=True)
        if exp == 0:  # a constant: its gradient (zeros) has no graph, in torch too
            assert not g.requires_grad
            gg = g
        else:
            (gg,) = lib.autograd.grad(g.sum(), x)
        out.append([t.detach().numpy() for t in (y, g, gg)] + [type(y.grad_fn).__name__])
    for a, b in zip(out[0][:3], out[1][:3]):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    assert out[0][3] == out[1][3]


def test_pow_scalar_int_and_errors_as_torch():
    assert (ember.tensor([1, 2]) ** 2).tolist() == [1, 4]
    assert (ember.tensor([1, 2]) ** 2).dtype == ember.int64
    assert (ember.tensor([1, 4]) ** 0.5).dtype == ember.float32
    with pytest.raises(RuntimeError, match="negative integer powers"):
        ember.tensor([1, 2]) ** -1


def test_operator_fast_path_keeps_bool_errors():
    b = ember.tensor([True, False])
    x = ember.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="with a bool tensor is not supported"):
        x - b
    with pytest.raises(RuntimeError, match="with a bool tensor is not supported"):
        x - True
    assert (x + b).tolist() == [2.0, 2.0]


@pytest.mark.parametrize("index", [0, 1, -1, -3])
def test_int_index_fast_path(index):
    data = np.arange(12.0).reshape(3, 4)
    e = ember.tensor(data, requires_grad=True)
    t = torch.tensor(data, requires_grad=True)
    ye, yt = e[index], t[index]
    assert type(ye.grad_fn).__name__ == type(yt.grad_fn).__name__ == "SelectBackward0"
    np.testing.assert_array_equal(ye.detach().numpy(), yt.detach().numpy())
    ye.sum().backward()
    yt.sum().backward()
    np.testing.assert_array_equal(e.grad.numpy(), t.grad.numpy())


def test_int_index_out_of_range_keeps_torch_error():
    x = ember.tensor([1.0, 2.0])
    with pytest.raises(IndexError, match="index 2 is out of bounds for dimension 0 with size 2"):
        x[2]
    with pytest.raises(IndexError, match="invalid index of a 0-dim tensor"):
        ember.tensor(1.0)[0]


@pytest.mark.parametrize("shape", [(), (1,), (2,), (1, 2), (2, 1)])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_tiny_sum_and_mean(shape, dtype):
    data = (np.arange(int(np.prod(shape))) + 0.3).reshape(shape).astype(dtype)
    for dim in (None, -1) if shape else (None,):
        for keepdim in (False, True):
            kw = {} if dim is None else {"dim": dim, "keepdim": keepdim}
            a, b = ember.tensor(data).sum(**kw), torch.tensor(data).sum(**kw)
            assert str(a.dtype).split(".")[1] == str(b.dtype).split(".")[1]
            np.testing.assert_array_equal(a.numpy(), b.numpy())
            if dtype != "int64":
                np.testing.assert_array_equal(ember.tensor(data).mean(**kw).numpy(),
                                              torch.tensor(data).mean(**kw).numpy())


def test_first_gradient_is_not_shared_between_leaves():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    w = ember.tensor([3.0, 4.0], requires_grad=True)
    (x + w).sum().backward()  # AddBackward0 sends the same gradient tensor to both leaves
    x.grad += 1
    assert w.grad.tolist() == [1.0, 1.0]
    assert not np.shares_memory(x.grad.numpy(), w.grad.numpy())


def test_first_gradient_does_not_alias_the_users_tensor():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    v = ember.ones(2)
    x.backward(v)  # the root gradient reaches the leaf unchanged
    x.grad += 5
    assert v.tolist() == [1.0, 1.0]
    y = x * 1
    y.backward(v)
    assert v.tolist() == [1.0, 1.0]


def test_first_gradient_takes_a_fresh_buffer():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    w = ember.tensor([3.0, 4.0], requires_grad=True)
    (x * w).sum().backward()
    assert x.grad.numpy().flags.owndata and w.grad.numpy().flags.writeable
    assert x.grad.tolist() == [3.0, 4.0] and w.grad.tolist() == [1.0, 2.0]
    x.grad += 1  # then accumulates in place
    (x * w).sum().backward()
    assert x.grad.tolist() == [7.0, 9.0]


def test_expanded_gradient_is_copied_not_taken():
    x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x.sum().backward()  # SumBackward0 gives a broadcast (read-only) view
    x.grad += 1
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


ARRAY_BACKWARD_CASES = {
    "add": lambda x, y: x + y, "add_alpha": lambda x, y: ember.add(x, y, alpha=0.3),
    "sub": lambda x, y: x - y, "sub_scalar": lambda x, y: x - 0.7, "rsub": lambda x, y: 2.5 - x,
    "mul": lambda x, y: x * y, "mul_scalar": lambda x, y: x * 0.3, "div": lambda x, y: x / y,
    "neg": lambda x, y: -x, "exp": lambda x, y: x.exp(), "tanh": lambda x, y: x.tanh(),
    "sigmoid": lambda x, y: x.sigmoid(), "relu": lambda x, y: x.relu(),
    "pow2": lambda x, y: x ** 2, "pow3": lambda x, y: x ** 3, "pow_half": lambda x, y: x.abs() ** 0.5,
    "pow_neg": lambda x, y: (x.abs() + 1) ** -1.5, "select": lambda x, y: x[-1] * y[0],
    "mixed_dtype": lambda x, y: x * y.double(),
}


@pytest.mark.parametrize("name", sorted(ARRAY_BACKWARD_CASES))
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 4), (4,)), ((1, 4), (3, 1))])
def test_array_backward_equals_tensor_backward(name, shapes):
    """Without create_graph, ops flagged array_backward run their formula on arrays: same bits as
    the Tensor formula (which create_graph=True uses)."""
    fn = ARRAY_BACKWARD_CASES[name]
    rng = np.random.default_rng(0)
    xs, ys = (rng.standard_normal(s).astype(np.float32) for s in shapes)
    results = []
    for _ in range(2):
        x = ember.tensor(xs, requires_grad=True)
        y = ember.tensor(ys, requires_grad=True)
        results.append((x, y, fn(x, y)))
    gout = rng.standard_normal(tuple(results[0][2].shape)).astype(np.float32)
    grads = []
    for (x, y, out), create_graph in zip(results, (False, True)):
        grads.append(ember.autograd.grad(out, (x, y), ember.tensor(gout).to(out.dtype),
                                         create_graph=create_graph, allow_unused=True))
    for a, b in zip(*grads):
        assert (a is None) == (b is None)
        if a is not None:
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


MATRIX_CASES = {
    "mm": lambda x, y: x @ y, "mv": lambda x, y: x @ y[:, 0], "bmm": lambda x, y: ember.bmm(
        x.unsqueeze(0).expand(2, 3, 4), y.unsqueeze(0).expand(2, 4, 5)),
    "addmm": lambda x, y: ember.addmm(y[0, :5], x, y, beta=0.5, alpha=1.5),
    "linear": lambda x, y: ember.nn.functional.linear(x, y.t(), y[0]),
    "view": lambda x, y: x.view(12) * y.reshape(20)[:12], "transpose": lambda x, y: x.transpose(0, 1) @ x,
    "t": lambda x, y: x.t() * 2, "squeeze": lambda x, y: x.unsqueeze(1).squeeze(1) * 3,
    "expand": lambda x, y: x[:, :1].expand(3, 4) * x, "contiguous": lambda x, y: x.t().contiguous() * 2,
}


@pytest.mark.parametrize("name", sorted(MATRIX_CASES))
def test_matrix_and_view_array_backward_equal_tensor_backward(name):
    rng = np.random.default_rng(1)
    xs = rng.standard_normal((3, 4)).astype(np.float32)
    ys = rng.standard_normal((4, 5)).astype(np.float32)
    grads = []
    for create_graph in (False, True):
        x = ember.tensor(xs, requires_grad=True)
        y = ember.tensor(ys, requires_grad=True)
        out = MATRIX_CASES[name](x, y)
        gout = ember.tensor(np.random.default_rng(2).standard_normal(tuple(out.shape)).astype(np.float32))
        grads.append(ember.autograd.grad(out, (x, y), gout, create_graph=create_graph, allow_unused=True))
    for a, b in zip(*grads):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())


def test_linear_weight_grad_takes_the_transposed_product_and_stays_separate():
    rng = np.random.default_rng(3)
    w0, x0 = rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal((5, 4)).astype(np.float32)
    w = ember.tensor(w0, requires_grad=True)
    wt = w.t()
    wt.retain_grad()  # a second holder of the same product: W.grad must not share it
    (ember.tensor(x0) @ wt).sum().backward()
    tw = torch.tensor(w0, requires_grad=True)
    (torch.tensor(x0) @ tw.t()).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-6)
    assert w.grad.is_contiguous()
    w.grad += 1
    np.testing.assert_allclose(wt.grad.numpy(), tw.grad.numpy().T, rtol=1e-6)


LOSS_CASES = {
    "ce_mean": {}, "ce_sum": {"reduction": "sum"}, "ce_none": {"reduction": "none"},
    "ce_weight": {"weight": [0.5, 2.0, 1.0, 3.0]}, "ce_ignore": {"ignore_index": 2},
    "ce_weight_ignore_sum": {"weight": [0.5, 2.0, 1.0, 3.0], "ignore_index": 1, "reduction": "sum"},
}


@pytest.mark.parametrize("name", sorted(LOSS_CASES))
@pytest.mark.parametrize("shape", [(6, 4), (3, 4, 5)])
def test_cross_entropy_array_backward_equals_tensor_backward_and_torch(name, shape):
    """log_softmax's and nll_loss's array forms give the Tensor formula's bits, and torch's grads."""
    kw = dict(LOSS_CASES[name])
    rng = np.random.default_rng(4)
    xs = rng.standard_normal(shape).astype(np.float32)
    ts = rng.integers(0, 4, size=(shape[0],) + shape[2:])
    grads = []
    for lib, create_graph in ((ember, False), (ember, True), (torch, False)):
        x = lib.tensor(xs, requires_grad=True)
        args = dict(kw)
        if "weight" in args:
            args["weight"] = lib.tensor(args["weight"])
        out = lib.nn.functional.cross_entropy(x, lib.tensor(ts), **args)
        gout = lib.tensor(np.random.default_rng(5).standard_normal(tuple(out.shape)).astype(np.float32))
        (g,) = lib.autograd.grad(out, x, gout, create_graph=create_graph)
        grads.append(g.detach().numpy())
    np.testing.assert_array_equal(grads[0], grads[1])
    np.testing.assert_allclose(grads[0], grads[2], rtol=1e-5, atol=1e-7)


def test_operator_fast_path_edge_cases_match_torch():
    for lib in (ember, torch):
        a = lib.ones(2, 3, requires_grad=True)
        with pytest.raises(RuntimeError, match="must match the size of tensor b"):
            a + lib.ones(4)
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * ember.tensor([1.0, 2.0], dtype=ember.float64)  # dtypes differ: the general path
    assert y.dtype == ember.float64 and type(y.grad_fn).__name__ == "MulBackward0"
    p = ember.nn.Parameter(ember.tensor([3.0]))
    assert (p * 2).grad_fn is not None and (2 * p).requires_grad
    with ember.inference_mode():
        z = x * 2
    assert z.is_inference() and not z.requires_grad
    with ember.no_grad():
        assert (x * 2).grad_fn is None
    assert (x + 2 ** 60).dtype == ember.float32  # a big int through the exact conversion
    assert (x + 2 ** 60).tolist() == torch.tensor([1.0, 2.0]).add(2 ** 60).tolist()


def test_operator_fast_path_keeps_forward_ad():
    import ember.autograd.forward_ad as fwad
    x = ember.tensor([1.0, 2.0])
    with fwad.dual_level():
        d = fwad.make_dual(x, ember.tensor([1.0, 0.5]))
        out = d * d + 3.0
        assert fwad.unpack_dual(out).tangent.tolist() == [2.0, 2.0]


@pytest.mark.parametrize("shape", [(16, 512, 128), (8, 600, 300), (4, 1024, 64), (3, 100, 50)])
def test_linear_forward_layouts_give_the_same_bits(shape):
    """Linear may compute x @ W.t() as (W @ xᵀ)ᵀ for long inner dims: the plain product's values
    (the same bits with this OpenBLAS; allclose in case another BLAS blocks them differently), a
    C-contiguous result, and torch's values."""
    n, k, m = shape
    rng = np.random.default_rng(7)
    xs = rng.standard_normal((n, k)).astype(np.float32)
    ws = rng.standard_normal((m, k)).astype(np.float32)
    bs = rng.standard_normal(m).astype(np.float32)
    out = ember.nn.functional.linear(ember.tensor(xs), ember.tensor(ws), ember.tensor(bs))
    assert out.is_contiguous() and out.stride() == (m, 1)
    np.testing.assert_allclose(out.numpy(), xs @ ws.T + bs, rtol=1e-6, atol=1e-6)
    ref = torch.nn.functional.linear(torch.tensor(xs), torch.tensor(ws), torch.tensor(bs))
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-4, atol=1e-4)


def test_node_reprs_read_as_torchs():
    import re

    def shown(lib):
        class Twice(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2

        x = lib.ones(2, requires_grad=True)
        text = f"{(x * 3).grad_fn.next_functions} {Twice.apply(x).grad_fn} {(x ** 2).grad_fn}"
        return re.sub(r"0x[0-9a-f]+", "ADDR", text).replace(lib.__name__, "LIB")

    assert shown(ember) == shown(torch)
    assert "AccumulateGrad object" in shown(ember)


@pytest.mark.parametrize("weight", [0.3, 0.7, -0.2, 0.5, "tensor"])
def test_lerp_addcmul_addcdiv_round_and_record_as_torch(weight):
    """Primitives with torch's fused roundings (lerp's two forms, addcmul's fma) and node names."""
    rng = np.random.default_rng(11)
    xs, es, t1 = (rng.standard_normal(500).astype(np.float32) for _ in range(3))
    ws = rng.uniform(-1.0, 1.5, 500).astype(np.float32)
    outs = []
    for lib in (ember, torch):
        x, e = lib.tensor(xs, requires_grad=True), lib.tensor(es, requires_grad=True)
        w = lib.tensor(ws, requires_grad=True) if weight == "tensor" else weight
        results = [lib.lerp(x, e, w), lib.addcmul(x, lib.tensor(t1), e, value=0.37),
                   lib.addcdiv(x, lib.tensor(t1), e + 3, value=-1.5)]
        names = [type(r.grad_fn).__name__ for r in results]
        edges = [len(r.grad_fn.next_functions) for r in results]
        sum(r.sum() for r in results).backward()
        outs.append(([r.detach().numpy() for r in results], names, edges, x.grad.numpy(), e.grad.numpy()))
    (ve, ne, ee, gxe, gee), (vt, nt, et, gxt, get) = outs
    for a, b in zip(ve, vt):
        np.testing.assert_array_equal(a, b)
    assert ne == nt and ee == et
    np.testing.assert_allclose(gxe, gxt, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(gee, get, rtol=1e-5, atol=1e-5)


def test_lerp_dtype_rules_as_torch():
    for lib in (ember, torch):
        with pytest.raises(NotImplementedError, match="lerp_kernel_scalar"):
            lib.lerp(lib.tensor([1, 2]), lib.tensor([3, 4]), 0.5)
        with pytest.raises(RuntimeError, match="expected dtype float for `end` but got dtype double"):
            lib.lerp(lib.tensor([1.0]), lib.tensor([2.0], dtype=lib.float64), 0.5)
        with pytest.raises(RuntimeError, match="Integer division with addcdiv"):
            lib.addcdiv(lib.tensor([1]), lib.tensor([3]), lib.tensor([1]))
